import { VethcapError } from '../errors.js';
import { spawnTool } from './spawn.js';

// Where they were first defined; src/verify imports them from here.
export { commandLine, displayCommand } from './spawn.js';

export interface RunOptions {
  /** Run inside this network namespace (a path such as /proc/PID/ns/net) via nsenter. */
  netns?: string;
  timeoutMs?: number;
}

/**
 * Runs a program (no shell) to its end and returns its stdout (without the final
 * newline). Failures become VethcapErrors: a program that cannot be run is MISSING_TOOL
 * or PERMISSION (toolError), an EPERM it reports is PERMISSION, a namespace gone under
 * nsenter TARGET_NOT_RUNNING, anything else COMMAND_FAILED with the command line and
 * its stderr.
 */
export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const spawned = spawnTool(file, args, { netns: options.netns, timeoutMs });
  const { child, command } = spawned;
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const end = await spawned.ended;
  if (end.exitCode === 0 && !end.timedOut) return stdout.replace(/\r?\n$/, '');
  const unrunnable = spawned.toolError(end, stderr);
  if (unrunnable) throw unrunnable;
  const bin = spawned.argv[0]!;
  if (/Operation not permitted|Permission denied/i.test(stderr)) {
    throw new VethcapError('PERMISSION', `${bin} was refused the privileges it needs: run vethcap as root (or with CAP_SYS_ADMIN and CAP_NET_RAW).`, {
      command,
      stderr,
    });
  }
  if (options.netns && /nsenter: /.test(stderr) && /No such file|reassociate/i.test(stderr)) {
    throw new VethcapError('TARGET_NOT_RUNNING', `the network namespace ${options.netns} went away (did the process exit?).`, {
      command,
      stderr,
    });
  }
  if (end.timedOut) {
    throw new VethcapError('COMMAND_FAILED', `${command} did not answer within ${timeoutMs} ms.`, { command, stderr });
  }
  throw new VethcapError('COMMAND_FAILED', `${command} failed (exit ${end.exitCode ?? 'signal ' + String(end.signal)}).`, {
    command,
    stderr,
  });
}
