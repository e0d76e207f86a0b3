import { execa } from 'execa';
import { VethcapError } from '../errors.js';

export interface RunOptions {
  /** Run inside this network namespace (a path such as /proc/PID/ns/net) via nsenter. */
  netns?: string;
  timeoutMs?: number;
}

/** The argv actually executed: nsenter-wrapped when a namespace is given. */
export function commandLine(file: string, args: readonly string[], options: RunOptions = {}): string[] {
  return options.netns ? ['nsenter', `--net=${options.netns}`, '--', file, ...args] : [file, ...args];
}

/** Quotes an argv for display in an error message (never executed through a shell). */
export function displayCommand(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/**
 * Runs a program (no shell) and returns its stdout. Failures become VethcapErrors:
 * a missing program is MISSING_TOOL, an EPERM from nsenter is PERMISSION, anything
 * else COMMAND_FAILED with the command line and its stderr.
 */
export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const [bin, ...rest] = commandLine(file, args, options) as [string, ...string[]];
  const shown = displayCommand([bin, ...rest]);
  const result = await execa(bin, rest, {
    reject: false,
    timeout: options.timeoutMs ?? 15_000,
    stdin: 'ignore',
    env: { LC_ALL: 'C' },
  });
  if (result.exitCode === 0 && !result.failed) return result.stdout;
  const code = (result as { code?: string }).code;
  if (code === 'ENOENT') {
    throw new VethcapError('MISSING_TOOL', `${bin} is not installed or not on PATH.`, {
      hint: toolHint(bin),
      command: shown,
    });
  }
  const stderr = result.stderr ?? '';
  if (/Operation not permitted|Permission denied/i.test(stderr)) {
    throw new VethcapError('PERMISSION', `${bin} was refused the privileges it needs: run vethcap as root (or with CAP_SYS_ADMIN and CAP_NET_RAW).`, {
      command: shown,
      stderr,
    });
  }
  if (options.netns && /nsenter: failed to execute/.test(stderr)) {
    throw new VethcapError('MISSING_TOOL', `${file} is not installed or not on PATH.`, { hint: toolHint(file), command: shown, stderr });
  }
  if (options.netns && /nsenter: /.test(stderr) && /No such file|reassociate/i.test(stderr)) {
    throw new VethcapError('TARGET_NOT_RUNNING', `the network namespace ${options.netns} went away (did the process exit?).`, {
      command: shown,
      stderr,
    });
  }
  if (result.timedOut) {
    throw new VethcapError('COMMAND_FAILED', `${shown} did not answer within ${options.timeoutMs ?? 15_000} ms.`, { command: shown, stderr });
  }
  throw new VethcapError('COMMAND_FAILED', `${shown} failed (exit ${result.exitCode ?? 'signal ' + String(result.signal)}).`, {
    command: shown,
    stderr,
  });
}

const PACKAGES: Record<string, string> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  nsenter: 'util-linux',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
  ping: 'iputils-ping',
  iptables: 'iptables',
};

export function toolHint(bin: string): string {
  const pkg = PACKAGES[bin];
  return pkg ? `install it (Debian/Ubuntu: apt-get install ${pkg}).` : 'install it and make sure it is on PATH.';
}
