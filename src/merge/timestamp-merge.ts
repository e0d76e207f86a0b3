import { VethcapError } from '../errors.js';
import type { CaptureRecord } from '../model/record.js';
import type { Timestamp } from '../model/time.js';
import { StreamQueue } from './stream-queue.js';

export interface MergeOptions {
  /**
   * How long (ns) a live stream may stay silent before the merge stops waiting for it.
   * Applied only when the caller passes `now` to `release`: a stream is then taken to
   * have passed `now - idleNs`. It bounds how late a record may be delivered after its
   * kernel timestamp (tcpdump's buffering), so choose it above that. Default 1 s.
   */
  idleNs?: number;
}

export interface MergeStats {
  /** Records pushed and not yet released. */
  buffered: number;
  /** The most records ever buffered at once: the memory the window took. */
  maxBuffered: number;
  released: number;
  /** Records that arrived older than a record already released (released anyway, out of order). */
  late: number;
}

export type RecordSink = (record: CaptureRecord) => void;

const NEG_INF = -Infinity;

/**
 * Streaming k-way merge by timestamp across capture points with a watermark.
 *
 * Each point's records are pushed as they arrive (any batch size). A record is
 * released once every live stream has passed its timestamp: the watermark is the
 * minimum over streams not ended of the latest timestamp each has shown (or that the
 * caller vouched for with `advance`, or `now - idleNs` for a silent stream). Only
 * records strictly earlier than the watermark are released, because a stream at time t
 * may still deliver another record at exactly t (the kernel reuses timestamps); so the
 * output does not depend on how input was batched. Ties are released in stream-index
 * order, then arrival order: deterministic. Ordering the copies of one packet along its
 * path is the correlator's job.
 *
 * Memory is the records inside the window (watermark to newest), not the capture length.
 */
export class TimestampMerge {
  private readonly queues: StreamQueue[];
  private readonly frontierSec: Float64Array;
  private readonly frontierNsec: Float64Array;
  private readonly ended: Uint8Array;
  private liveCount: number;
  private readonly idleNs: number;
  /** Indexed binary min-heap of stream ids whose queue is not empty, keyed by queue head. */
  private readonly heap: Int32Array;
  private readonly heapPos: Int32Array;
  private heapSize = 0;
  private lastOutSec = NEG_INF;
  private lastOutNsec = 0;
  private readonly counters: MergeStats = { buffered: 0, maxBuffered: 0, released: 0, late: 0 };

  constructor(streamCount: number, options: MergeOptions = {}) {
    if (!Number.isInteger(streamCount) || streamCount < 1) {
      throw new VethcapError('USAGE', `A merge needs at least one stream, not ${streamCount}.`);
    }
    this.queues = Array.from({ length: streamCount }, () => new StreamQueue());
    this.frontierSec = new Float64Array(streamCount).fill(NEG_INF);
    this.frontierNsec = new Float64Array(streamCount);
    this.ended = new Uint8Array(streamCount);
    this.liveCount = streamCount;
    this.idleNs = options.idleNs ?? 1_000_000_000;
    this.heap = new Int32Array(streamCount);
    this.heapPos = new Int32Array(streamCount).fill(-1);
  }

  get streamCount(): number {
    return this.queues.length;
  }

  get stats(): Readonly<MergeStats> {
    return this.counters;
  }

  /** Add one record of stream `stream`. */
  push(stream: number, r: CaptureRecord): void {
    const q = this.queue(stream);
    if (this.ended[stream] === 1) {
      throw new VethcapError('USAGE', `Stream ${stream} was ended; no more records can be pushed to it.`);
    }
    if (r.tsSec < this.lastOutSec || (r.tsSec === this.lastOutSec && r.tsNsec < this.lastOutNsec)) this.counters.late++;
    const newHead = q.push(r);
    if (r.tsSec > this.frontierSec[stream]! || (r.tsSec === this.frontierSec[stream] && r.tsNsec > this.frontierNsec[stream]!)) {
      this.frontierSec[stream] = r.tsSec;
      this.frontierNsec[stream] = r.tsNsec;
    }
    const c = this.counters;
    if (++c.buffered > c.maxBuffered) c.maxBuffered = c.buffered;
    if (this.heapPos[stream] === -1) this.heapInsert(stream);
    else if (newHead) this.siftUp(this.heapPos[stream]!);
  }

  /** Add a batch of records of one stream. */
  pushBatch(stream: number, records: readonly CaptureRecord[]): void {
    for (const r of records) this.push(stream, r);
  }

  /** The caller vouches that stream `stream` will deliver nothing earlier than `ts` (a heartbeat). */
  advance(stream: number, ts: Timestamp): void {
    this.queue(stream);
    if (ts.tsSec > this.frontierSec[stream]! || (ts.tsSec === this.frontierSec[stream] && ts.tsNsec > this.frontierNsec[stream]!)) {
      this.frontierSec[stream] = ts.tsSec;
      this.frontierNsec[stream] = ts.tsNsec;
    }
  }

  /** Stream `stream` will deliver nothing more; the watermark no longer waits for it. */
  end(stream: number): void {
    this.queue(stream);
    if (this.ended[stream] === 1) return;
    this.ended[stream] = 1;
    this.liveCount--;
  }

  /** True once every stream has ended. */
  get allEnded(): boolean {
    return this.liveCount === 0;
  }

  /**
   * The watermark: every record earlier than it has been or can be released. Infinite
   * seconds once all streams ended; -Infinity while a live stream has shown nothing.
   */
  watermark(now?: Timestamp): Timestamp {
    let sec = Infinity;
    let nsec = 0;
    let idleSec = NEG_INF;
    let idleNsec = 0;
    if (now !== undefined) {
      const total = now.tsNsec - this.idleNs;
      const borrow = Math.floor(total / 1e9);
      idleSec = now.tsSec + borrow;
      idleNsec = total - borrow * 1e9;
    }
    for (let i = 0; i < this.queues.length; i++) {
      if (this.ended[i] === 1) continue;
      let s = this.frontierSec[i]!;
      let n = this.frontierNsec[i]!;
      if (idleSec > s || (idleSec === s && idleNsec > n)) {
        s = idleSec;
        n = idleNsec;
      }
      if (s < sec || (s === sec && n < nsec)) {
        sec = s;
        nsec = n;
      }
    }
    return { tsSec: sec, tsNsec: nsec };
  }

  /**
   * Release, in timestamp order, every buffered record earlier than the watermark.
   * Pass `now` (the capture clock's current time) to stop waiting for silent streams.
   * Returns how many were released.
   */
  release(sink: RecordSink, now?: Timestamp): number {
    const w = this.watermark(now);
    return this.releaseBefore(w.tsSec, w.tsNsec, sink);
  }

  /** Release everything buffered, in timestamp order (at the end, or when giving up on waiting). */
  flush(sink: RecordSink): number {
    return this.releaseBefore(Infinity, 0, sink);
  }

  /**
   * Releases runs: the root stream's records go out one after another for as long as they
   * come before both the watermark and the next stream's head (the smaller of the root's
   * children), with one heap repair per run instead of one per record. The order is the
   * heap's own: timestamp, then stream index.
   */
  private releaseBefore(wSec: number, wNsec: number, sink: RecordSink): number {
    let n = 0;
    const heap = this.heap;
    const queues = this.queues;
    while (this.heapSize > 0) {
      const s = heap[0]!;
      const q = queues[s]!;
      let r = q.peek()!;
      if (r.tsSec > wSec || (r.tsSec === wSec && r.tsNsec >= wNsec)) break;
      // The run's bound: the watermark, or the next stream's head when that comes first.
      let bSec = wSec;
      let bNsec = wNsec;
      // A head equal to the bound still goes out when its stream comes before the next one.
      let tieOut = false;
      const size = this.heapSize;
      if (size > 1) {
        let c = heap[1]!;
        if (size > 2 && this.less(heap[2]!, c)) c = heap[2]!;
        const h = queues[c]!.peek()!;
        if (h.tsSec < bSec || (h.tsSec === bSec && h.tsNsec <= bNsec)) {
          // At a tie with the watermark the watermark is the stricter bound (it excludes).
          const tiesWatermark = h.tsSec === bSec && h.tsNsec === bNsec;
          bSec = h.tsSec;
          bNsec = h.tsNsec;
          tieOut = !tiesWatermark && s < c;
        }
      }
      for (;;) {
        q.shift();
        n++;
        this.lastOutSec = r.tsSec;
        this.lastOutNsec = r.tsNsec;
        sink(r);
        if (q.length === 0) break;
        r = q.peek()!;
        if (r.tsSec > bSec || (r.tsSec === bSec && (tieOut ? r.tsNsec > bNsec : r.tsNsec >= bNsec))) break;
      }
      if (q.length === 0) this.heapRemoveRoot();
      else this.siftDown(0);
    }
    this.counters.buffered -= n;
    this.counters.released += n;
    return n;
  }

  private queue(stream: number): StreamQueue {
    const q = this.queues[stream];
    if (q === undefined) {
      throw new VethcapError('USAGE', `No stream ${stream}: this merge has streams 0 to ${this.queues.length - 1}.`);
    }
    return q;
  }

  /** Heap order: head timestamp, then stream index. */
  private less(a: number, b: number): boolean {
    const ra = this.queues[a]!.peek()!;
    const rb = this.queues[b]!.peek()!;
    if (ra.tsSec !== rb.tsSec) return ra.tsSec < rb.tsSec;
    if (ra.tsNsec !== rb.tsNsec) return ra.tsNsec < rb.tsNsec;
    return a < b;
  }

  private heapInsert(stream: number): void {
    const i = this.heapSize++;
    this.heap[i] = stream;
    this.heapPos[stream] = i;
    this.siftUp(i);
  }

  private heapRemoveRoot(): void {
    const heap = this.heap;
    this.heapPos[heap[0]!] = -1;
    const last = heap[--this.heapSize]!;
    if (this.heapSize > 0) {
      heap[0] = last;
      this.heapPos[last] = 0;
      this.siftDown(0);
    }
  }

  private siftUp(i: number): void {
    const heap = this.heap;
    const s = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const ps = heap[p]!;
      if (!this.less(s, ps)) break;
      heap[i] = ps;
      this.heapPos[ps] = i;
      i = p;
    }
    heap[i] = s;
    this.heapPos[s] = i;
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    const n = this.heapSize;
    const s = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.less(heap[r]!, heap[l]!)) c = r;
      const cs = heap[c]!;
      if (!this.less(cs, s)) break;
      heap[i] = cs;
      this.heapPos[cs] = i;
      i = c;
    }
    heap[i] = s;
    this.heapPos[s] = i;
  }
}
