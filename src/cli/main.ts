import yargs, { type Argv } from 'yargs';
import { Parser } from 'yargs/helpers';
import { formatError } from './report-error.js';
import { EXIT } from './exit-codes.js';
import { VethcapError, ioReason, isVethcapError } from '../errors.js';
import { commands } from './commands.js';
import { VETHCAP_VERSION } from '../version.js';
import type { CommandContext, ParsedCommand } from './context.js';

const EPILOGUE = `Exit codes: 0 ok, 1 forwarding failed (verify), 2 usage, 3 target, 4 environment (tool or Docker missing), 5 permission, 6 capture failed, 7 file, 8 undetermined (verify: capture drops leave probes unchecked), 70 internal error, 130/143 interrupted (SIGINT/SIGTERM), 141 stdout closed by its reader (| head).
Docs: README.md. Set VETHCAP_DEBUG=1 for stack traces.`;

/** What to say instead of yargs' "Not enough non-option arguments", per command. */
const MISSING_ARGUMENT: Record<string, string> = {
  trace: 'trace needs a target: a container (name or ID prefix, in any runtime), docker:NAME, podman:NAME, pid:N, netns:NAME, containerd:NAMESPACE/ID or pod:NAMESPACE/NAME, e.g. vethcap trace box --filter icmp.',
  resolve: 'resolve needs a target: a container (name or ID prefix, in any runtime), docker:NAME, podman:NAME, pid:N, netns:NAME, containerd:NAMESPACE/ID or pod:NAMESPACE/NAME, e.g. vethcap resolve box.',
  verify: 'verify needs a source: a container, podman:NAME, pid:N, netns:NAME, containerd:NAMESPACE/ID or pod:NAMESPACE/NAME, e.g. vethcap verify box --to web.',
};

export type { CommandContext, ParsedCommand } from './context.js';

export function buildCli(argv: string[], ctx: CommandContext = { exitCode: EXIT.OK }): Argv {
  ctx.argv = argv;
  let cli = yargs(argv)
    .scriptName('vethcap')
    .usage(
      'vethcap: capture a container\'s traffic at both ends of its veth pair and on its bridge at once,\nand merge it into one annotated timeline and one pcapng.\n\nUsage: $0 <command> [options]',
    )
    .strict()
    .demandCommand(1, 'Name a command: vethcap --help lists them.')
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .version(VETHCAP_VERSION)
    // On a terminal, fit it; piped (to grep, a file, a test), one line per option and example.
    .wrap(process.stdout.isTTY ? Math.min(110, process.stdout.columns || 100) : null)
    .epilogue(EPILOGUE)
    .fail((message, error) => {
      // yargs' own parse errors (YError: "Not enough arguments following: label") are the
      // user's mistake too; anything else thrown while checking is ours (a bug, exit 70).
      if (error && !isVethcapError(error) && error.name === 'YError') {
        throw new VethcapError('USAGE', `${error.message}.`, { hint: 'vethcap --help shows the commands; vethcap COMMAND --help shows one.' });
      }
      if (error) throw error;
      const missing = /^Not enough non-option arguments/.test(message ?? '') ? MISSING_ARGUMENT[argv[0] ?? ''] : undefined;
      throw new VethcapError('USAGE', missing ?? message ?? 'invalid command line', {
        hint: missing ? `vethcap ${argv[0]} --help shows its options and examples.` : 'vethcap --help shows the commands; vethcap COMMAND --help shows one.',
      });
    });
  ctx.commands = commands;
  for (const command of commands) cli = command(cli, ctx);
  skipHelpCache(cli);
  return cli;
}

/**
 * yargs renders the whole help text of a command each time it runs its handler, to have it
 * at hand should the handler fail (usage.cacheHelpMessage); that took ~70 ms of the time to
 * "armed" (string-width over every line). Our .fail() never prints help, so it is skipped.
 * Internal to yargs (pinned in package.json); if the shape changes, nothing is skipped.
 */
function skipHelpCache(cli: Argv): void {
  const internal = cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: unknown } } };
  const usage = internal.getInternalMethods?.().getUsageInstance?.();
  if (usage && typeof usage.cacheHelpMessage === 'function') usage.cacheHelpMessage = () => undefined;
}

/**
 * Errors of process.stdout outside the sinks (which handle their own): the reader went
 * away (EPIPE, `| head`) or a write failed. Without a listener Node would end the process
 * with a stack trace; main() turns them into an exit code instead.
 */
function watchStdout(): { gone: boolean; error: unknown } {
  const state: { gone: boolean; error: unknown } = { gone: false, error: undefined };
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') state.gone = true;
    else state.error ??= error;
  });
  return state;
}

/**
 * Checks a command line exactly as main() would and says what it would run, without
 * running it; a mistake throws the VethcapError('USAGE') main() would report. For tests
 * (README and --help examples that need containers) and for callers that build command
 * lines. --help and --version are not for it (yargs prints and exits).
 */
export async function parseCommandLine(argv: string[]): Promise<ParsedCommand> {
  const ctx: CommandContext = { exitCode: EXIT.OK, parseOnly: true };
  await buildCli(argv, ctx).exitProcess(false).parseAsync();
  if (!ctx.parsed) throw new VethcapError('INTERNAL', `the command line ${argv.join(' ')} ran no command handler.`);
  return ctx.parsed;
}

/** Runs the CLI and resolves to the exit code; never throws. */
export async function main(argv: string[]): Promise<number> {
  const debug = process.env.VETHCAP_DEBUG === '1';
  const stdout = watchStdout();
  const report = (error: unknown): number => {
    const r = formatError(error, debug);
    // Whatever the command wrote to stdout went out in whole lines: this one is the last.
    if (jsonErrorWanted(argv) && !stdout.gone) process.stdout.write(JSON.stringify(r.json) + '\n');
    process.stderr.write(r.lines.join('\n') + '\n');
    return r.exitCode;
  };
  // An exception thrown where no one awaits it (a callback, an unawaited promise) is a bug:
  // reported as one, exit 70, instead of Node's stack trace and exit 1. The tcpdumps' orphan
  // guard ends them, as on any abrupt end.
  process.once('uncaughtException', (error) => process.exit(report(error)));
  try {
    const ctx: CommandContext = { exitCode: EXIT.OK };
    await buildCli(argv, ctx).parseAsync();
    // Let a failed last write report itself before the exit code is chosen.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (ctx.exitCode === EXIT.OK && stdout.error !== undefined) {
      throw new VethcapError('IO', `cannot write standard output: ${ioReason(stdout.error)}.`, { cause: stdout.error });
    }
    if (ctx.exitCode === EXIT.OK && stdout.gone) return EXIT.OUTPUT_CLOSED;
    return ctx.exitCode;
  } catch (error) {
    return report(error);
  }
}

/** The commands that take --json; under it, an error is also one JSON object on stdout. */
export const JSON_COMMANDS: readonly string[] = ['trace', 'merge', 'resolve', 'verify'];

/**
 * Whether a failed command line asked for --json, read from argv itself: the error may be
 * yargs' own, before any handler saw the options. Not when a pcapng goes to stdout
 * (-w -): no text may join it there. Options after trace's `--` are the command's.
 */
export function jsonErrorWanted(argv: readonly string[]): boolean {
  const parsed = Parser([...argv], {
    boolean: ['json'],
    string: ['write', 'o'],
    alias: { write: ['w'], o: ['output'] },
    configuration: { 'populate--': true },
  });
  if (!JSON_COMMANDS.includes(String(parsed._[0] ?? '')) || parsed.json !== true) return false;
  const writes = ([] as unknown[]).concat(parsed.write ?? [], parsed.o ?? []);
  return !writes.includes('-');
}
