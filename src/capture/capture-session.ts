import { VethcapError, ioReason } from '../errors.js';
import type { CaptureStats } from './tcpdump-output.js';
import { OrphanGuard } from './orphan-guard.js';
import { SpoolFile, SpoolReader } from './spool.js';
import { TcpdumpProcess, type TcpdumpOptions } from './tcpdump.js';

/**
 * How long after SIGUSR2 (sent while tcpdump sleeps in poll, then SIGCONT) its buffer is
 * taken to be written: the handler runs as soon as tcpdump is scheduled again.
 */
const FLUSH_SETTLE_MS = 100;

export interface PointCapture {
  /** Bytes of nanosecond pcap as tcpdump writes them. */
  onData(point: number, chunk: Buffer): void;
  /**
   * The point's stream ended: tcpdump exited and all it wrote was read, or reading failed
   * (`error`, e.g. EIO from the spool's disk), or the rest was abandoned.
   */
  onEnd(point: number, error?: unknown): void;
}

export interface SessionOptions {
  /** Backpressure for the spool readers: see SpoolReaderOptions.gate. */
  gate?: () => Promise<void> | undefined;
}

export interface SessionResult {
  /** Per point, in point order; null where tcpdump printed no statistics. */
  stats: Array<CaptureStats | null>;
}

/**
 * One tcpdump per capture point, all started at once. Each writes its pcap into a spool
 * file (unnamed, on disk) that the session reads back as it grows: tcpdump never waits
 * for vethcap, so a burst vethcap cannot keep up with is late on screen, not dropped by
 * the kernel. An OrphanGuard ends the tcpdumps should vethcap itself be killed. start() resolves when every point is
 * armed (tcpdump says it is listening); if any fails, all are stopped and the first
 * failure is thrown, naming the point and tcpdump's reason. stop() ends them all, by PID
 * and process group, and always waits for every stream to end.
 */
export class CaptureSession {
  readonly processes: TcpdumpProcess[] = [];
  private readonly streamsEnded: Array<Promise<void>> = [];
  private readonly readers: SpoolReader[] = [];
  private stopped: Promise<SessionResult> | undefined;
  private guard: OrphanGuard | undefined;
  /** Per point, the spool's size at the last flushQuiet(). */
  private readonly lastSize: number[] = [];
  /** Per point writing in blocks, its last two successful flushes (ms). */
  private readonly flushes: Array<{ last: number; prev: number }> = [];

  constructor(
    private readonly points: readonly TcpdumpOptions[],
    private readonly sink: PointCapture,
    private readonly options: SessionOptions = {},
  ) {}

  async start(signal?: AbortSignal): Promise<void> {
    try {
      this.points.forEach((options, index) => {
        const spool = SpoolFile.create();
        let proc: TcpdumpProcess;
        try {
          proc = new TcpdumpProcess({ ...options, outputFd: spool.fd });
        } catch (error) {
          spool.close();
          throw error;
        }
        this.processes.push(proc);
        const reader = new SpoolReader(spool, (chunk) => this.sink.onData(index, chunk), this.options.gate ? { gate: this.options.gate } : {});
        this.readers.push(reader);
        void proc.exited.then(() => {
          reader.writerDone();
          if (proc.pid !== undefined) this.guard?.forget(proc.pid);
        });
        this.streamsEnded.push(
          reader.ended.then(
            () => this.endPoint(index, spool),
            (error: unknown) => {
              // Nothing more can be read from this point: its tcpdump has no reason to go on.
              void proc.stop();
              this.endPoint(index, spool, new VethcapError('IO', `cannot read the capture of ${options.label} back from its spool file: ${ioReason(error)}.`, { cause: error }));
            },
          ),
        );
      });
      this.guard = new OrphanGuard(this.pids());
    } catch (error) {
      await this.stop();
      throw error;
    }
    try {
      await Promise.race([
        Promise.all(this.processes.map((p) => p.armed)),
        new Promise<never>((_, reject) => {
          if (signal?.aborted) reject(signal.reason);
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        }),
      ]);
    } catch (error) {
      await this.stop();
      throw error instanceof VethcapError ? error : new VethcapError('CAPTURE_FAILED', `a capture point failed to start: ${String(error)}`, { cause: error });
    }
  }

  private endPoint(index: number, spool: SpoolFile, error?: unknown): void {
    spool.close();
    this.sink.onEnd(index, error);
  }

  /** Capture written by the tcpdumps (or one point's) and not read back yet, in bytes: the backlog. */
  unreadBytes(point?: number): number {
    if (point !== undefined) return this.readers[point]?.unreadBytes() ?? 0;
    return this.readers.reduce((sum, r) => sum + r.unreadBytes(), 0);
  }

  /**
   * Read nothing more (what is left of the backlog is not wanted): the streams end at once,
   * once stop() has ended the tcpdumps. Returns the bytes left unread (by readers not
   * abandoned before).
   */
  abandonBacklog(): number {
    let unread = 0;
    for (const r of this.readers) {
      if (r.isAbandoned) continue;
      unread += r.unreadBytes();
      r.abandon();
    }
    return unread;
  }

  /**
   * Has every quiet tcpdump that writes in blocks write out its buffered tail (see flush.ts):
   * quiet is a spool that did not grow since the last call (the runner's tick, ~100 ms) and
   * that vethcap has read to its end. A point that writes is left alone: its buffer goes out
   * whenever it fills, so what waits in it is never older than its last write. Returns how
   * many were flushed.
   */
  flushQuiet(nowMs = Date.now()): number {
    let flushed = 0;
    this.processes.forEach((proc, i) => {
      if (!proc.blockWrites) return;
      const reader = this.readers[i];
      const size = reader?.writtenBytes() ?? 0;
      const grew = size !== this.lastSize[i];
      this.lastSize[i] = size;
      // Behind on this point (a backlog in its spool): its tail can wait until the rest is
      // read; the flush would cost a stop of tcpdump each tick of a long catch-up for nothing.
      const behind = reader !== undefined && size > reader.bytesRead;
      if (grew || behind || proc.flush() !== 'flushed') return;
      flushed++;
      const f = (this.flushes[i] ??= { last: -Infinity, prev: -Infinity });
      if (f.last <= nowMs - FLUSH_SETTLE_MS) f.prev = f.last;
      f.last = nowMs;
    });
    return flushed;
  }

  /**
   * Up to when the point's capture is known to be in its spool, apart from what the kernel
   * has not handed over yet: a point writing per packet (-U), always (Infinity); a point
   * writing in blocks, the moment of its last flush that has had FLUSH_SETTLE_MS to be
   * written (what tcpdump had then is in the spool), or -Infinity before its first.
   */
  flushedUntil(point: number, nowMs = Date.now()): number {
    if (!(this.processes[point]?.blockWrites ?? false)) return Infinity;
    const f = this.flushes[point];
    if (f === undefined) return -Infinity;
    return f.last <= nowMs - FLUSH_SETTLE_MS ? f.last : f.prev;
  }

  /** Asks every running tcpdump for its statistics so far (see TcpdumpProcess.liveStats). */
  requestStats(): void {
    for (const p of this.processes) p.requestStats();
  }

  /** PIDs of the running tcpdumps (for tests and the status line). */
  pids(): number[] {
    return this.processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  stop(): Promise<SessionResult> {
    this.stopped ??= (async () => {
      const stats = await Promise.all(this.processes.map((p) => p.stop()));
      await this.guard?.dispose();
      await Promise.all(this.streamsEnded);
      return { stats };
    })();
    return this.stopped;
  }
}
