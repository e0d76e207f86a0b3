import type { Argv } from 'yargs';
/** What main() and the command handlers share. */

/** What a command handler reports back to main(). */
export interface CommandContext {
  exitCode: number;
  /** The command line as given (for what yargs does not keep: the order of merge's inputs). */
  argv?: readonly string[];
  /**
   * Parse only: each handler checks its arguments as it would, records what it would run
   * in `parsed`, and returns before doing anything (no capture, no file, no namespace).
   */
  parseOnly?: boolean;
  parsed?: ParsedCommand;
  /** Every command registered (buildCli sets it): what `vethcap completion` reads the flags from. */
  commands?: readonly CommandModule[];
}

/** What a command line asks for, once checked: the command and its options as the handler reads them. */
export interface ParsedCommand {
  command: string;
  options: Record<string, unknown>;
}

/** In parse-only mode, records what the handler would run and returns true: the handler stops there. */
export function parsedOnly(ctx: CommandContext, command: string, options: Record<string, unknown>): boolean {
  if (!ctx.parseOnly) return false;
  ctx.parsed = { command, options };
  return true;
}

/** A subcommand registers itself on the yargs instance; one file per command. */
export type CommandModule = (cli: Argv, ctx: CommandContext) => Argv;
