import type { PacketPath } from '../correlate/path.js';
import type { Direction } from '../model/record.js';
import type { CapturePoint } from '../model/topology.js';
import { PcapngWriter, interfacesFromPoints, type CommentEncoder, type InterfaceStatsInput } from '../pcap/pcapng-writer.js';
import { encodePacketComment, packetComment } from '../render/comment.js';
import { renderSectionComment } from '../render/wireshark-view.js';

interface Pending {
  tsSec: number;
  tsNsec: number;
  seq: number;
  point: number;
  data: Uint8Array;
  origLen: number;
  direction: Direction;
  /** The path and copy whose comment this packet gets, encoded straight into the output when it is written. */
  path: PacketPath | null;
  index: number;
  packetId: number;
}

export interface OrderedPcapngOptions {
  points: readonly CapturePoint[];
  snaplen?: number;
  os?: string;
  /** Write the hop annotation as each packet's comment (default true). */
  comments?: boolean;
  /** The section header's comment; default: how to see the points in Wireshark (render/wireshark-view.ts). */
  sectionComment?: string;
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
  private readonly free: Pending[] = [];
  private seq = 0;
  private readonly comments: boolean;
  written = 0;

  constructor(options: OrderedPcapngOptions) {
    this.comments = options.comments ?? true;
    this.writer = new PcapngWriter({
      interfaces: interfacesFromPoints(options.points),
      snaplen: options.snaplen ?? Math.max(...options.points.map((p) => p.snaplen ?? 262144)),
      ...(options.os ? { os: options.os } : {}),
      comment: options.sectionComment ?? renderSectionComment(),
    }, CHUNK_BYTES);
  }

  add(path: PacketPath): void {
    const copies = path.copies;
    const first = copies[0];
    if (first === undefined) return;
    this.releaseBefore(first.ts.tsSec, first.ts.tsNsec);
    for (let i = 0; i < copies.length; i++) {
      const c = copies[i]!;
      const p = this.free.pop() ?? newPending();
      const ts = c.ts;
      p.tsSec = ts.tsSec;
      p.tsNsec = ts.tsNsec;
      p.seq = this.seq++;
      p.point = c.point;
      p.data = c.record.data;
      p.origLen = c.record.origLen;
      p.direction = c.direction;
      p.path = path;
      p.index = i;
      p.packetId = path.id;
      this.push(p);
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

  /** Gives back a chunk take() returned, once its write has completed. */
  recycle(chunk: Uint8Array): void {
    this.writer.recycle(chunk);
  }

  private releaseBefore(sec: number, nsec: number): void {
    const heap = this.heap;
    while (heap.length > 0) {
      const top = heap[0]!;
      if (top.tsSec > sec || (top.tsSec === sec && top.tsNsec >= nsec)) break;
      this.pop();
      if (this.comments) this.writer.write(top, COMMENTS, top);
      else this.writer.write(top);
      this.written++;
      // Back to the pool, holding nothing the caller may want freed.
      top.data = EMPTY;
      top.path = null;
      if (this.free.length < MAX_FREE) this.free.push(top);
    }
  }

  private push(p: Pending): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(p);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const q = heap[parent]!;
      if (!less(p, q)) break;
      heap[i] = q;
      i = parent;
    }
    heap[i] = p;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let m = l;
      if (l + 1 < n && less(heap[l + 1]!, heap[l]!)) m = l + 1;
      const child = heap[m]!;
      if (!less(child, last)) break;
      heap[i] = child;
      i = m;
    }
    heap[i] = last;
  }
}

function less(a: Pending, b: Pending): boolean {
  return a.tsSec !== b.tsSec ? a.tsSec < b.tsSec : a.tsNsec !== b.tsNsec ? a.tsNsec < b.tsNsec : a.seq < b.seq;
}

const EMPTY = new Uint8Array(0);
/** A packet's comment: its path's annotation of its copy, written as it goes into the file. */
const COMMENTS: CommentEncoder<Pending> = {
  encode: (p, out, at, room) => encodePacketComment(p.path!, p.index, out, at, room),
  text: (p) => packetComment(p.path!, p.index),
};
/** Pending entries kept for reuse (one per packet would otherwise be garbage). */
const MAX_FREE = 4096;
/** Output chunk: a reader batch's packets (256 KiB of input, ~1 MiB annotated) fit without growing (copying) the buffer. */
const CHUNK_BYTES = 4 * 1024 * 1024;

function newPending(): Pending {
  return { tsSec: 0, tsNsec: 0, seq: 0, point: 0, data: EMPTY, origLen: 0, direction: 0, path: null, index: 0, packetId: 0 };
}
