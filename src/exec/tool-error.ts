import { VethcapError } from '../errors.js';

/**
 * How a child process ended, as spawnTool() reports it: the errno of a spawn that failed
 * (then no process ran), or its exit code or signal.
 */
export interface ChildEnd {
  /** ENOENT, EACCES, EPERM, …: the program could not be started at all. */
  spawnError?: string | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Ended by the caller's time limit. */
  timedOut?: boolean;
}

export interface ToolContext {
  /** The program vethcap asked for (tcpdump, ip, the user's command). */
  file: string;
  /** The program executed: nsenter when `file` runs inside a namespace, else `file`. */
  bin: string;
  /** The command line, for the error report. */
  command: string;
  /** What the child printed on stderr, when the caller kept it. */
  stderr?: string | undefined;
}

/**
 * The one mapping from "a program could not be run" to a VethcapError, for every spawn
 * site (pure: the facts come in, the error goes out):
 * - the spawn failed with ENOENT: `bin` is not installed (MISSING_TOOL);
 * - it failed with EACCES or EPERM: `bin` exists but may not be executed (PERMISSION);
 * - exit 127 or 126: what nsenter (and sh, env) exit with when they cannot find, or
 *   cannot execute, the program they were to run: MISSING_TOOL or PERMISSION for `file`.
 * Anything else is for the caller to judge (undefined): a tool's own failure.
 */
export function toolError(end: ChildEnd, ctx: ToolContext): VethcapError | undefined {
  const { file, bin, command, stderr } = ctx;
  const report = { command, ...(stderr ? { stderr } : {}) };
  if (end.spawnError === 'ENOENT') {
    return new VethcapError('MISSING_TOOL', `${bin} is not installed or not on PATH.`, { hint: toolHint(bin), ...report });
  }
  if (end.spawnError === 'EACCES' || end.spawnError === 'EPERM') {
    return new VethcapError('PERMISSION', `${bin} cannot be executed: permission denied.`, { hint: executableHint(bin), ...report });
  }
  if (end.spawnError !== undefined) return undefined;
  // Through nsenter, `file` is the program nsenter failed to run; run directly (sh -c),
  // it is a program `file` itself tried to run.
  const wrapped = file !== bin;
  if (end.exitCode === 127) {
    return wrapped
      ? new VethcapError('MISSING_TOOL', `${file} is not installed or not on PATH.`, { hint: toolHint(file), ...report })
      : new VethcapError('MISSING_TOOL', `${command} exited 127: a program it runs is not installed or not on PATH.`, { hint: toolHint(''), ...report });
  }
  if (end.exitCode === 126) {
    return wrapped
      ? new VethcapError('PERMISSION', `${file} cannot be executed: permission denied.`, { hint: executableHint(file), ...report })
      : new VethcapError('PERMISSION', `${command} exited 126: a program it runs cannot be executed.`, { hint: executableHint(''), ...report });
  }
  return undefined;
}

/** The package that brings each program vethcap runs, on Debian and Ubuntu. */
const PACKAGES: Record<string, string> = {
  ip: 'iproute2',
  bridge: 'iproute2',
  tc: 'iproute2',
  nsenter: 'util-linux',
  fallocate: 'util-linux',
  tcpdump: 'tcpdump',
  tshark: 'tshark',
  ping: 'iputils-ping',
  sysctl: 'procps',
  nft: 'nftables',
  iptables: 'iptables',
  'iptables-save': 'iptables',
};

export function toolHint(bin: string): string {
  const pkg = PACKAGES[bin];
  return pkg ? `install it (Debian/Ubuntu: apt-get install ${pkg}).` : 'install it and make sure it is on PATH.';
}

function executableHint(bin: string): string {
  return `check that ${bin || 'the program'} is executable (chmod +x) by the user vethcap runs as, or run vethcap as root.`;
}
