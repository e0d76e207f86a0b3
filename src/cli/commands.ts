import type { CommandModule } from './context.js';
import { resolveCommand } from './resolve-command.js';
import { demoCommand } from './demo-command.js';
import { mergeCommand } from './merge-command.js';
import { traceCommand } from './trace-command.js';
import { verifyCommand } from './verify-command.js';
import { extcapCommand } from './extcap-command.js';
import { wiresharkCommand } from './wireshark-command.js';
import { completionCommand } from './completion-command.js';

export type { CommandModule } from './context.js';

export const commands: CommandModule[] = [traceCommand, verifyCommand, resolveCommand, mergeCommand, demoCommand, extcapCommand, wiresharkCommand, completionCommand];
