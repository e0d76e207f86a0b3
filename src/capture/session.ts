import { VethcapError } from '../errors.js';
import type { CaptureStats } from './tcpdump-output.js';
import { TcpdumpProcess, type TcpdumpOptions } from './tcpdump.js';

export interface PointCapture {
  /** Bytes of nanosecond pcap as tcpdump writes them. */
  onData(point: number, chunk: Buffer): void;
  /** The point's stream ended (tcpdump exited). */
  onEnd(point: number): void;
}

export interface SessionResult {
  /** Per point, in point order; null where tcpdump printed no statistics. */
  stats: Array<CaptureStats | null>;
}

/**
 * One tcpdump per capture point, all started at once. start() resolves when every point is
 * armed (tcpdump says it is listening); if any fails, all are stopped and the first
 * failure is thrown, naming the point and tcpdump's reason. stop() ends them all, by PID
 * and process group, and always waits for every stream to end.
 */
export class CaptureSession {
  readonly processes: TcpdumpProcess[] = [];
  private readonly streamsEnded: Array<Promise<void>> = [];
  private stopped: Promise<SessionResult> | undefined;

  constructor(
    private readonly points: readonly TcpdumpOptions[],
    private readonly sink: PointCapture,
  ) {}

  async start(signal?: AbortSignal): Promise<void> {
    this.points.forEach((options, index) => {
      const proc = new TcpdumpProcess(options);
      this.processes.push(proc);
      proc.stdout.on('data', (chunk: Buffer) => this.sink.onData(index, chunk));
      this.streamsEnded.push(
        new Promise<void>((resolve) => {
          proc.stdout.once('close', () => {
            this.sink.onEnd(index);
            resolve();
          });
        }),
      );
    });
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

  /** PIDs of the running tcpdumps (for tests and the status line). */
  pids(): number[] {
    return this.processes.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  stop(): Promise<SessionResult> {
    this.stopped ??= (async () => {
      const stats = await Promise.all(this.processes.map((p) => p.stop()));
      await Promise.all(this.streamsEnded);
      return { stats };
    })();
    return this.stopped;
  }
}
