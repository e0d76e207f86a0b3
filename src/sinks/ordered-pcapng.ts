import type { PacketPath } from '../correlate/path.js';
import type { Direction } from '../model/record.js';
import type { CapturePoint } from '../model/topology.js';
import { PcapngWriter, interfacesFromPoints, type InterfaceStatsInput } from '../pcap/pcapng-writer.js';
import { packetComment } from '../render/comment.js';

interface Pending {
  tsSec: number;
  tsNsec: number;
  seq: number;
  point: number;
  data: Uint8Array;
  origLen: number;
  direction: Direction;
  comment: string | undefined;
  packetId: number;
}

export interface OrderedPcapngOptions {
  points: readonly CapturePoint[];
  snaplen?: number;
  os?: string;
  /** Write the hop annotation as each packet's comment (default true). */
  comments?: boolean;
}

/**
 * Writes correlated paths into one pcapng, packets in timestamp order across paths.
 *
 * Paths arrive in id order, and ids follow each packet's first copy in time, so no copy
 * still to come is earlier than the first copy of the newest path: everything before that
 * time can be written. A min-heap holds the rest; its size is bounded by the
 * correlation window. Equal timestamps keep path order. Pure: the caller takes the
 * bytes (take()) and writes them where it likes.
 */
export class OrderedPcapngWriter {
  readonly writer: PcapngWriter;
  private readonly heap: Pending[] = [];
  private seq = 0;
  private readonly comments: boolean;
  written = 0;

  constructor(options: OrderedPcapngOptions) {
    this.comments = options.comments ?? true;
    this.writer = new PcapngWriter({
      interfaces: interfacesFromPoints(options.points),
      snaplen: options.snaplen ?? Math.max(...options.points.map((p) => p.snaplen ?? 262144)),
      ...(options.os ? { os: options.os } : {}),
    });
  }

  add(path: PacketPath): void {
    const copies = path.copies;
    const first = copies[0];
    if (first === undefined) return;
    this.releaseBefore(first.ts.tsSec, first.ts.tsNsec);
    for (let i = 0; i < copies.length; i++) {
      const c = copies[i]!;
      this.push({
        tsSec: c.ts.tsSec,
        tsNsec: c.ts.tsNsec,
        seq: this.seq++,
        point: c.point,
        data: c.record.data,
        origLen: c.record.origLen,
        direction: c.direction,
        comment: this.comments ? packetComment(path, i) : undefined,
        packetId: path.id,
      });
    }
  }

  /** Writes everything still held, then one statistics block per point where known. */
  finish(stats: readonly InterfaceStatsInput[] = []): void {
    this.releaseBefore(Infinity, 0);
    for (const s of stats) this.writer.stats(s);
  }

  get shouldTake(): boolean {
    return this.writer.shouldTake;
  }

  take(): Uint8Array {
    return this.writer.take();
  }

  private releaseBefore(sec: number, nsec: number): void {
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      if (top.tsSec > sec || (top.tsSec === sec && top.tsNsec >= nsec)) break;
      this.pop();
      this.writer.write(top);
      this.written++;
    }
  }

  private less(a: Pending, b: Pending): boolean {
    return a.tsSec !== b.tsSec ? a.tsSec < b.tsSec : a.tsNsec !== b.tsNsec ? a.tsNsec < b.tsNsec : a.seq < b.seq;
  }

  private push(p: Pending): void {
    const heap = this.heap;
    heap.push(p);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && this.less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  }
}
