import { execa } from 'execa';
import { VethcapError } from '../errors.js';
import { commandLine, displayCommand } from '../exec/run.js';

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
 * host when `netns` is undefined; no shell. Its output goes to vethcap's stderr, so that
 * stdout stays the timeline (or NDJSON).
 */
export function runInNamespace(netns: string | undefined, argv: readonly string[]): CommandRun {
  const [file, ...args] = argv as [string, ...string[]];
  const full = commandLine(file, args, netns ? { netns } : {});
  const [bin, ...rest] = full as [string, ...string[]];
  const child = execa(bin, rest, { reject: false, stdin: 'ignore', stdout: ['pipe'], stderr: ['pipe'], buffer: false, detached: true });
  child.stdout?.pipe(process.stderr, { end: false });
  child.stderr?.pipe(process.stderr, { end: false });
  const done = child.then((result) => {
    // nsenter exits 127 when it cannot execute the command.
    if (result.exitCode === 127 || (result as { code?: string }).code === 'ENOENT') {
      throw new VethcapError('MISSING_TOOL', `${file} is not installed or not on PATH on the host (commands after -- run host binaries inside the namespace).`, { command: displayCommand(full) });
    }
    if (result.signal) return 128 + (SIGNAL_NUMBERS[result.signal] ?? 0);
    return result.exitCode ?? 1;
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
