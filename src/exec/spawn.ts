import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { VethcapError } from '../errors.js';
import { atNormalPriority } from './priority.js';
import { toolError, type ChildEnd } from './tool-error.js';

/**
 * The one place vethcap starts other programs (tcpdump, nsenter, ip, the command after
 * --, …), so that a program that cannot be run is reported the same way everywhere
 * (toolError). Node's spawn, not execa: tcpdump's spawns are on the path to "armed", and
 * execa's own work per call was ~1-2 ms of the ~4.5 ms each spawn took in vethcap.
 */

export interface SpawnToolOptions {
  /** Run inside this network namespace (a path such as /proc/PID/ns/net) via nsenter. */
  netns?: string | undefined;
  /** Default: stdin ignored, stdout and stderr piped. */
  stdio?: StdioOptions;
  /** Its own process group (to signal it and all it forks), out of reach of the terminal's Ctrl-C. */
  detached?: boolean;
  /**
   * `C` (the default) sets LC_ALL=C, so that vethcap's parsers read the tools' messages in
   * the words they expect; `inherit` leaves the environment as it is (the user's command).
   */
  locale?: 'C' | 'inherit';
  /** Ends it (SIGTERM, then SIGKILL 2 s later) after this long; `ended` then says timedOut. */
  timeoutMs?: number;
}

export interface SpawnedTool {
  readonly child: ChildProcess;
  /** The argv executed: nsenter-wrapped when a namespace is given. */
  readonly argv: readonly string[];
  /** That argv, quoted for messages. */
  readonly command: string;
  /**
   * Resolves once the process has exited and its pipes are read to the end, or at once
   * when it could not be started; never rejects.
   */
  readonly ended: Promise<ChildEnd>;
  /** MISSING_TOOL or PERMISSION when the program could not be run (see toolError), else undefined. */
  toolError(end: ChildEnd, stderr?: string): VethcapError | undefined;
}

/** The argv actually executed: nsenter-wrapped when a namespace is given. */
export function commandLine(file: string, args: readonly string[], options: { netns?: string | undefined } = {}): string[] {
  return options.netns ? ['nsenter', `--net=${options.netns}`, '--', file, ...args] : [file, ...args];
}

/** Quotes an argv for display in an error message (never executed through a shell). */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Starts `file ARGS` (no shell), inside `netns` when given, for as long as the caller
 * wants it: the caller reads its streams and awaits `ended`; run() is the run-to-completion
 * form. A failed spawn is not an 'error' event left to crash the process: it ends `ended`
 * (ENOENT, EACCES), or, for the few errors Node throws at once (EPERM), spawnTool throws
 * their VethcapError.
 */
export function spawnTool(file: string, args: readonly string[], options: SpawnToolOptions = {}): SpawnedTool {
  const argv = commandLine(file, args, { netns: options.netns });
  const [bin, ...rest] = argv as [string, ...string[]];
  const command = displayCommand(argv);
  const mapError = (end: ChildEnd, stderr?: string) => toolError(end, { file, bin, command, stderr });
  let child: ChildProcess;
  try {
    // At vethcap's normal priority, not the one it yields at while capturing (priority.ts).
    child = atNormalPriority(() =>
      spawn(bin, rest, {
        stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'],
        detached: options.detached ?? false,
        env: (options.locale ?? 'C') === 'C' ? { ...process.env, LC_ALL: 'C' } : process.env,
      }),
    );
  } catch (error) {
    // Node reports ENOENT and EACCES through 'error', but throws the rarer ones (EPERM).
    const code = (error as NodeJS.ErrnoException).code;
    throw mapError({ spawnError: code ?? 'UNKNOWN', exitCode: null, signal: null }) ?? new VethcapError('COMMAND_FAILED', `${command} could not be started: ${(error as Error).message}.`, { command, cause: error });
  }
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const ended = new Promise<ChildEnd>((resolve) => {
    // 'close': exited and its pipes read to the end. A failed spawn (no pid) may give 'error'
    // alone; an 'error' of a running child (a kill that failed) is not its end.
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve({ spawnError: error.code ?? 'UNKNOWN', exitCode: null, signal: null });
    });
    child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => resolve({ exitCode, signal, ...(timedOut ? { timedOut } : {}) }));
  }).finally(() => clearTimeout(timer));
  if (options.timeoutMs !== undefined && child.pid !== undefined) {
    timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), 2000).unref();
    }, options.timeoutMs);
  }
  return {
    child,
    argv,
    command,
    ended,
    toolError: mapError,
  };
}
