import type { Argv } from 'yargs';
import type { CommandContext } from './context.js';
import { resolveCommand } from './resolve-command.js';
import { demoCommand } from './demo-command.js';
import { mergeCommand } from './merge-command.js';
import { traceCommand } from './trace-command.js';
import { verifyCommand } from './verify-command.js';

/** A subcommand registers itself on the yargs instance; one file per command. */
export type CommandModule = (cli: Argv, ctx: CommandContext) => Argv;

export const commands: CommandModule[] = [traceCommand, verifyCommand, resolveCommand, mergeCommand, demoCommand];
