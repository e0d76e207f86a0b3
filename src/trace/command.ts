import type { Writable } from 'node:stream';
import { VethcapError } from '../errors.js';
import { displayCommand, spawnTool } from '../exec/spawn.js';
import type { StopTrigger } from '../pipeline/stop.js';

export interface CommandRun {
  readonly command: string;
  readonly pid: number | undefined;
  /** Resolves with the command's exit code (128 + signal number when killed). */
  readonly done: Promise<number>;
  kill(): void;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };

/**
 * Runs `-- CMD ARGS` inside a namespace (host binaries, as nsenter gives them), or on the
 * host when `netns` is undefined; no shell, in the user's locale. Its output goes to
 * `output` (vethcap's stderr unless told), so that stdout stays the timeline (or NDJSON).
 */
export function runInNamespace(netns: string | undefined, argv: readonly string[], output: Writable = process.stderr): CommandRun {
  const [file, ...args] = argv as [string, ...string[]];
  const spawned = spawnTool(file, args, { netns, detached: true, locale: 'inherit' });
  const child = spawned.child;
  child.stdout?.pipe(output, { end: false });
  child.stderr?.pipe(output, { end: false });
  const done = spawned.ended.then((end) => {
    // Not installed, not executable (a failed spawn, or nsenter's exit 127 / 126).
    const unrunnable = spawned.toolError(end);
    if (unrunnable && netns && end.spawnError === undefined) {
      // What nsenter could not run is looked for on the host, not in the container.
      throw new VethcapError(unrunnable.code, unrunnable.message, { hint: `${unrunnable.hint ?? ''} Commands after -- are the host's programs, run inside the namespace.`.trim(), command: spawned.command, cause: unrunnable });
    }
    if (unrunnable) throw unrunnable;
    if (end.signal) return 128 + (SIGNAL_NUMBERS[end.signal] ?? 0);
    return end.exitCode ?? 1;
  });
  return {
    command: displayCommand(argv),
    pid: child.pid,
    done,
    kill() {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // gone
        }
      }
    },
  };
}

/** The command after `--` as a stop trigger: started once every point is armed; its end stops the trace. */
export interface CommandTrigger extends StopTrigger {
  /** Its exit code once it ended, else null. */
  readonly exitCode: number | null;
}

/**
 * Runs the command once the window opens; `graceMs` after it exits the trace stops, so
 * packets it caused just before (a late reply, a TCP close) still get a verdict. When
 * the trace stops first, the command is ended.
 */
export function afterCommand(netns: string | undefined, argv: readonly string[], graceMs: number, output?: Writable): CommandTrigger {
  let run: CommandRun | undefined;
  let timer: NodeJS.Timeout | undefined;
  let exitCode: number | null = null;
  return {
    get exitCode() {
      return exitCode;
    },
    arm(stop, fail) {
      run = runInNamespace(netns, argv, output);
      run.done.then(
        (code) => {
          exitCode = code;
          timer = setTimeout(() => stop('command'), graceMs);
        },
        fail,
      );
    },
    disarm() {
      clearTimeout(timer);
      run?.kill();
    },
  };
}
