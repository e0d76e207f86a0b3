import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { VethcapError } from '../errors.js';
import { atNormalPriority } from '../exec/priority.js';
import { spawnTool } from '../exec/spawn.js';
import { canFlushSafely, flushWhenSafe, type FlushOutcome } from './flush.js';
import { failureReason, isListening, parseStats, StderrLog, type CaptureStats } from './tcpdump-output.js';

export interface TcpdumpOptions {
  /** The point's label, for messages. */
  label: string;
  ifname: string;
  /** Enter this network namespace first (nsenter --net=PATH). */
  netns?: string;
  /** A pcap-filter expression, passed as one argv element, never through a shell. */
  filter?: string;
  snaplen?: number;
  /** Kernel buffer size in KiB (tcpdump -B). */
  bufferSizeKiB?: number;
  /**
   * Deliver each packet as it arrives (tcpdump --immediate-mode) instead of in blocks
   * that the kernel hands over when full or after libpcap's 1 s buffer timeout. Off by
   * default: measured on a lab path at ~40 k packets/s per point (ping -f), immediate
   * mode lost 20-30 % of packets to kernel drops at every point, block mode none.
   */
  immediate?: boolean;
  /**
   * Write in stdio blocks (no -U) and rely on flushWhenSafe() for a quiet point, instead of
   * one write() per packet. Default: where the safe flush works (canFlushSafely), and not
   * in immediate mode (whose point is each packet at once).
   */
  blockWrites?: boolean;
  /** How long to wait for "listening on" before calling the start failed. */
  armTimeoutMs?: number;
  /**
   * Write the pcap to this open file descriptor (tcpdump's stdout is the file) instead of
   * a pipe; `stdout` is then null. See SpoolFile.
   */
  outputFd?: number;
}

/**
 * Without immediate mode a packet may wait in a kernel block up to libpcap's buffer
 * timeout (1 s in tcpdump) before tcpdump sees it, and tcpdump stopped by SIGINT drops a
 * block not yet handed over. Waiting this long before stopping delivers them all.
 */
export const BLOCK_DRAIN_MS = 1100;

/** Whether the tcpdump of these options writes in stdio blocks (see TcpdumpOptions.blockWrites). */
export function writesInBlocks(o: TcpdumpOptions): boolean {
  return o.blockWrites ?? (!(o.immediate ?? false) && canFlushSafely());
}

export function tcpdumpArgs(o: TcpdumpOptions): string[] {
  const args = ['-i', o.ifname, '-w', '-', ...(writesInBlocks(o) ? [] : ['-U']), '-n', '--time-stamp-precision=nano', '-s', String(o.snaplen ?? 262144)];
  if (o.immediate ?? false) args.push('--immediate-mode');
  if (o.bufferSizeKiB) args.push('-B', String(o.bufferSizeKiB));
  if (o.filter && o.filter.trim() !== '') args.push('--', o.filter);
  return args;
}

/**
 * One tcpdump on one capture point: nanosecond pcap on stdout, started in its own process
 * group (nsenter execs tcpdump, so the PID is tcpdump's). `armed` resolves when tcpdump
 * says it is listening and rejects, with tcpdump's reason, when it exits before that.
 * stop() ends it with SIGINT (it flushes and prints its statistics) and, if it lingers,
 * SIGKILL to its group.
 */
export class TcpdumpProcess {
  readonly label: string;
  readonly command: string;
  /** The pcap stream, unless it goes to `outputFd`. */
  readonly stdout: Readable | null;
  readonly armed: Promise<void>;
  /** Resolves when the process has exited, with its statistics when it printed them. */
  readonly exited: Promise<CaptureStats | null>;
  private readonly child: ChildProcess;
  private readonly stderrLog = new StderrLog();
  private done = false;
  private listening = false;
  /** It writes in stdio blocks: a quiet point's tail waits for flush(). */
  readonly blockWrites: boolean;

  constructor(options: TcpdumpOptions) {
    this.label = options.label;
    this.blockWrites = writesInBlocks(options);
    const spawned = spawnTool('tcpdump', tcpdumpArgs(options), {
      netns: options.netns,
      detached: true, // its own process group, so stop() can signal tcpdump and all it forked
      stdio: ['ignore', options.outputFd ?? 'pipe', 'pipe'],
      // LC_ALL=C (the default): tcpdump's messages as the parsers expect them
    });
    this.command = spawned.command;
    const child = spawned.child;
    this.child = child;
    this.stdout = child.stdout;
    const stderr = child.stderr!;
    stderr.setEncoding('utf8'); // a character split across two chunks stays whole
    stderr.on('data', (chunk: string) => this.stderrLog.push(chunk));
    const ended = spawned.ended;
    this.exited = ended.then((end) => {
      this.done = true;
      return end.spawnError !== undefined ? null : parseStats(this.stderr);
    });
    this.armed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(this.startError(`did not start listening within ${options.armTimeoutMs ?? 10_000} ms`));
      }, options.armTimeoutMs ?? 10_000);
      const onData = () => {
        if (isListening(this.stderr)) {
          this.listening = true;
          clearTimeout(timer);
          stderr.off('data', onData);
          resolve();
        }
      };
      stderr.on('data', onData);
      void ended.then((end) => {
        clearTimeout(timer);
        if (isListening(this.stderr)) return;
        // Not installed, not executable: nsenter or tcpdump (a failed spawn, nsenter's 127 / 126).
        const unrunnable = spawned.toolError(end, this.stderr);
        reject(unrunnable ?? this.startError(failureReason(this.stderr)));
      });
    });
    this.armed.catch(() => undefined); // observed by the session; avoid an unhandled rejection
  }

  private get stderr(): string {
    return this.stderrLog.text;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /**
   * The process has exited and been reaped ('exit'; 'close' comes later, once its stderr
   * is read): its PID may be another process's from now on, so it is never signalled again.
   */
  private get reaped(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /**
   * Asks tcpdump for its statistics so far (SIGUSR1: it prints them on stderr, and goes on);
   * `liveStats` has them once it answered. Only once it is listening: before, SIGUSR1 would
   * end it. False when no signal was sent.
   */
  requestStats(): boolean {
    const pid = this.child.pid;
    if (!this.listening || this.done || this.reaped || pid === undefined) return false;
    try {
      process.kill(pid, 'SIGUSR1');
      return true;
    } catch {
      return false; // exiting
    }
  }

  /**
   * Has tcpdump write out what its stdio buffer holds, where that is safe (see flush.ts);
   * only for a tcpdump writing in blocks, once listening. Undefined when nothing was tried.
   */
  flush(): FlushOutcome | undefined {
    const pid = this.child.pid;
    if (!this.blockWrites || !this.listening || this.done || this.reaped || pid === undefined) return undefined;
    // At vethcap's normal priority, not the one it yields at: tcpdump is stopped meanwhile,
    // and a vethcap at nice 19 on a busy machine could be preempted for long with it stopped.
    return atNormalPriority(() => flushWhenSafe(pid));
  }

  /** Called with each answer to requestStats() as tcpdump prints it. */
  set onLiveStats(listener: ((stats: CaptureStats) => void) | undefined) {
    this.stderrLog.onLive = listener;
  }

  /** The statistics tcpdump last printed (on requestStats() or at its end), or null. */
  get liveStats(): CaptureStats | null {
    return parseStats(this.stderr) ?? this.stderrLog.live;
  }

  /** What tcpdump printed on stderr so far. */
  get log(): string {
    return this.stderr;
  }

  private startError(reason: string): VethcapError {
    const perm = /Operation not permitted|permission/i.test(reason);
    return new VethcapError(perm ? 'PERMISSION' : 'CAPTURE_FAILED', `capture point ${this.label} failed to start: ${reason}.`, {
      command: this.command,
      stderr: this.stderr,
      hint: /filter|syntax/.test(reason) ? 'check the --filter expression (pcap-filter syntax, as tcpdump takes it).' : undefined,
    });
  }

  /** Ends tcpdump (SIGINT, then SIGKILL to its group after `graceMs`) and returns its statistics. */
  async stop(graceMs = 3000): Promise<CaptureStats | null> {
    const pid = this.child.pid;
    if (!this.done && !this.reaped && pid !== undefined) {
      signalGroup(pid, 'SIGINT');
      const timer = setTimeout(() => {
        if (!this.reaped) signalGroup(pid, 'SIGKILL');
      }, graceMs);
      try {
        return await this.exited;
      } finally {
        clearTimeout(timer);
      }
    }
    return this.exited;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // its process group: tcpdump and anything it forked
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
