import type { PacketPath } from '../correlate/path.js';
import type { TopologyIndex } from '../correlate/topology-index.js';
import { copySpanMs, judgePath, markAfterStop } from '../correlate/verdict.js';
import type { SourceCoverage } from './source.js';

/** Paths held for judging past this many: the oldest are judged with what is known (a point that never answers). */
const MAX_HELD = 200_000;

function firstMs(path: PacketPath): number {
  const t = path.copies[0]!.ts;
  return t.tsSec * 1000 + t.tsNsec / 1e6;
}

/**
 * Between the correlation and the outputs: gives each path its verdict on the capture
 * window and the points' drops (a live trace's, or a replayed session's), in id order.
 * - A path whose first copy came before every point was armed is left out (`outside`
 *   counts its copies): a point still starting may have missed it.
 * - A path whose first copy came after the stop moment gets no verdict (`after-stop`).
 * - A path with a copy missing waits until every point's drops around it are known
 *   (tcpdump answered a question asked after it), then is judged (verdict.ts). Paths
 *   behind it wait too, so ids stay in order; a complete path with nothing waiting
 *   before it goes straight through.
 */
export class VerdictGate {
  private held: PacketPath[] = [];
  private head = 0;
  /** Copies of paths left out because they began before the window. */
  outside = 0;
  private fromMs = Infinity;
  private stopMs = Infinity;

  constructor(
    private readonly topo: TopologyIndex,
    /** null: every capture counts as whole, and a path is passed on as the correlation judged it. */
    private readonly coverage: SourceCoverage | null,
    private readonly sink: (path: PacketPath) => void,
  ) {}

  /** Every point is armed: the window opens (ms since the epoch). */
  open(atMs: number): void {
    this.fromMs = atMs;
  }

  /** The stop was asked for: the window closes (the first call counts). */
  close(atMs: number): void {
    if (this.stopMs === Infinity) this.stopMs = atMs;
  }

  get stopAtMs(): number {
    return this.stopMs;
  }

  get waiting(): number {
    return this.held.length - this.head;
  }

  readonly push = (path: PacketPath): void => {
    if (firstMs(path) < this.fromMs) {
      this.outside += path.copies.length;
      return;
    }
    if (this.waiting === 0 && this.ready(path)) this.emit(path);
    else {
      this.held.push(path);
      if (this.waiting > MAX_HELD) this.emit(this.take());
    }
  };

  /** Judges and passes on the held paths whose drops are known now. */
  release(): void {
    while (this.waiting > 0 && this.ready(this.held[this.head]!)) this.emit(this.take());
  }

  /** Every capture has ended: judge and pass on everything held. */
  flush(): void {
    while (this.waiting > 0) this.emit(this.take());
  }

  private take(): PacketPath {
    const path = this.held[this.head]!;
    this.held[this.head++] = undefined as unknown as PacketPath;
    if (this.head > 4096 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.head = 0;
    }
    return path;
  }

  private ready(path: PacketPath): boolean {
    if (path.verdict === null || path.verdict === 'complete' || this.coverage === null) return true;
    if (firstMs(path) > this.stopMs) return true;
    return this.coverage.knows(copySpanMs(path).toMs);
  }

  private emit(path: PacketPath): void {
    if (firstMs(path) > this.stopMs) markAfterStop(path);
    else if (path.verdict !== null && path.verdict !== 'complete' && this.coverage !== null) judgePath(path, this.topo, this.coverage);
    this.sink(path);
  }
}
