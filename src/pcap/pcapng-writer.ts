/**
 * The pcapng writer's pure core: SHB, one IDB per capture point (nanosecond
 * resolution), EPBs with direction flags, comments and packet ids, ISBs at the end.
 * Blocks are appended to one large buffer; take() hands the bytes out in big chunks.
 */
import { VethcapError } from '../errors.js';
import type { Direction } from '../model/record.js';
import type { Timestamp } from '../model/time.js';
import type { CapturePoint } from '../model/topology.js';
import { BufferedWriter } from './buffered-writer.js';
import { pad4 } from './out-buffer.js';
import { writeIdb, writeShb, type PcapngInterfaceSpec, type PcapngWriterOptions } from './pcapng-header.js';
export type { PcapngInterfaceSpec, PcapngWriterOptions } from './pcapng-header.js';
import { BT_EPB, BT_ISB } from './pcapng-state.js';
import { nsToUnits64, type MutableU64 } from './timestamp.js';

export { VETHCAP_USER_APPL } from '../version.js';
/** Snap length when the caller gives none (tcpdump's default). */
export const DEFAULT_SNAPLEN = 262144;

/** What the writer needs of a packet (a CaptureRecord plus the annotations). */
export interface WritablePacket extends Timestamp {
  /** Index of the interface (capture point) in `interfaces`. */
  point: number;
  data: Uint8Array;
  origLen: number;
  /** When given, must match the interface's link type. */
  linkType?: number;
  direction?: Direction;
  /** opt_comment (UTF-8). */
  comment?: string | undefined;
  /**
   * opt_comment as UTF-8 bytes: the first `commentUtf8Length` bytes of `commentUtf8`
   * (the caller may reuse the buffer once write() returns). Used when `comment` is
   * undefined and the length is above 0; lets a caller that writes millions of comments skip building strings.
   */
  commentUtf8?: Uint8Array | undefined;
  commentUtf8Length?: number | undefined;
  /** epb_packetid: the correlation id. */
  packetId?: bigint | number | undefined;
}

/**
 * Writes the comment of `item` as UTF-8 straight into the writer's buffer (`out` from
 * `at`, at most `room` bytes) and returns its length, or -1 when it does not fit; `text`
 * gives it as a string then. Lets a caller that writes millions of comments skip both the
 * strings and a copy.
 */
export interface CommentEncoder<T> {
  encode(item: T, out: Uint8Array, at: number, room: number): number;
  text(item: T): string;
}

/** Room reserved for an encoded comment; a longer one is written from its text. */
const ENCODED_COMMENT_ROOM = 192;

export interface InterfaceStatsInput {
  point: number;
  /** When the statistics were taken; defaults to endTime, then startTime, then 0. */
  time?: Timestamp;
  startTime?: Timestamp;
  endTime?: Timestamp;
  ifRecv?: bigint | number;
  ifDrop?: bigint | number;
}

/** IDB specs for a list of capture points: label → if_name, description, filter, link type. */
export function interfacesFromPoints(points: readonly CapturePoint[]): PcapngInterfaceSpec[] {
  return points.map((p) => ({
    name: p.label,
    description: p.description,
    ...(p.filter !== undefined ? { filter: p.filter } : {}),
    ...(p.linkType !== undefined ? { linkType: p.linkType } : {}),
  }));
}

export class PcapngWriter extends BufferedWriter<WritablePacket> {
  private readonly snaplen: number;
  private readonly linkTypes: number[];
  private readonly u64: MutableU64 = { hi: 0, lo: 0 };

  constructor(options: PcapngWriterOptions, chunkBytes?: number) {
    super(chunkBytes);
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    this.linkTypes = options.interfaces.map((i) => i.linkType ?? 1);
    writeShb(this.out, options);
    for (const spec of options.interfaces) writeIdb(this.out, spec, this.snaplen);
  }

  /**
   * Appends one Enhanced Packet Block. With `encoder` (and neither `comment` nor
   * `commentUtf8` in p), its comment is whatever `encoder` writes for `item`.
   */
  override write<T>(p: WritablePacket, encoder?: CommentEncoder<T>, item?: T): void {
    const point = p.point;
    const linkType = this.linkTypes[point];
    if (linkType === undefined) {
      throw new VethcapError('USAGE', `packet for interface ${point}, but the writer has ${this.linkTypes.length} interfaces.`);
    }
    if (p.linkType !== undefined && p.linkType !== linkType) {
      throw new VethcapError('USAGE', `packet of link type ${p.linkType} for interface ${point}, which has link type ${linkType}.`);
    }
    const data = p.data;
    const caplen = this.snaplen !== 0 && data.length > this.snaplen ? this.snaplen : data.length;
    const dir = p.direction ?? 0;
    const comment = p.comment;
    const id = p.packetId;
    let utf8 = comment === undefined ? p.commentUtf8 : undefined;
    const utf8Len = utf8 === undefined ? 0 : Math.min(p.commentUtf8Length ?? utf8.length, utf8.length, 0xffff);
    if (utf8Len === 0) utf8 = undefined;
    const encoded = encoder !== undefined && comment === undefined && utf8 === undefined;
    const maxOpts = (dir !== 0 ? 8 : 0) + (id !== undefined ? 12 : 0)
      + (comment !== undefined ? 4 + pad4(comment.length * 3) : 0)
      + (utf8 !== undefined ? 4 + pad4(utf8Len) : 0)
      + (encoded ? 4 + ENCODED_COMMENT_ROOM : 0);
    const out = this.out;
    out.ensure(32 + pad4(caplen) + maxOpts + 4);
    const start = out.pos;
    nsToUnits64(p.tsSec, p.tsNsec, this.u64);
    out.u32(start, BT_EPB);
    out.u32(start + 8, point);
    out.u32(start + 12, this.u64.hi);
    out.u32(start + 16, this.u64.lo);
    out.u32(start + 20, caplen);
    out.u32(start + 24, p.origLen);
    out.bytes(start + 28, caplen === data.length ? data : data.subarray(0, caplen));
    let o = start + 28 + pad4(caplen);
    if (maxOpts > 0) {
      if (dir !== 0) {
        out.u16(o, 2);
        out.u16(o + 2, 4);
        out.u32(o + 4, dir);
        o += 8;
      }
      if (id !== undefined) o = this.packetIdOption(o, id);
      if (comment !== undefined) {
        const n = out.utf8(o + 4, comment);
        out.u16(o, 1);
        out.u16(o + 2, n);
        o += 4 + pad4(n);
      } else if (utf8 !== undefined) {
        out.u16(o, 1);
        out.u16(o + 2, utf8Len);
        out.bytesOf(o + 4, utf8, utf8Len);
        o += 4 + pad4(utf8Len);
      } else if (encoded) {
        let n = encoder.encode(item as T, out.bytesView, o + 4, ENCODED_COMMENT_ROOM);
        if (n < 0) {
          // Too long for the room: from its text, after making room (the block so far kept).
          const text = encoder.text(item as T);
          out.pos = o;
          out.ensure(4 + pad4(text.length * 3) + 8);
          out.pos = start;
          n = Math.min(out.utf8(o + 4, text), 0xffff);
        }
        // The room may hold an earlier encoder's bytes past the comment: padding must be zeros.
        for (let k = o + 4 + n; k < o + 4 + pad4(n); k++) out.u8(k, 0);
        if (n > 0) {
          out.u16(o, 1);
          out.u16(o + 2, n);
          o += 4 + pad4(n);
        }
      }
      o += 4; // opt_endofopt (zeros)
    }
    const total = o + 4 - start;
    out.u32(start + 4, total);
    out.u32(o, total);
    out.pos = o + 4;
  }

  /** Appends an Interface Statistics Block (write these at the end). */
  stats(s: InterfaceStatsInput): void {
    if (this.linkTypes[s.point] === undefined) {
      throw new VethcapError('USAGE', `statistics for interface ${s.point}, but the writer has ${this.linkTypes.length} interfaces.`);
    }
    const out = this.out;
    out.ensure(128);
    const start = out.pos;
    const at = s.time ?? s.endTime ?? s.startTime ?? { tsSec: 0, tsNsec: 0 };
    out.u32(start, BT_ISB);
    out.u32(start + 8, s.point);
    nsToUnits64(at.tsSec, at.tsNsec, this.u64);
    out.u32(start + 12, this.u64.hi);
    out.u32(start + 16, this.u64.lo);
    let o = start + 20;
    const tsOpt = (code: number, t: Timestamp | undefined): void => {
      if (t === undefined) return;
      nsToUnits64(t.tsSec, t.tsNsec, this.u64);
      out.u16(o, code);
      out.u16(o + 2, 8);
      out.u32(o + 4, this.u64.hi);
      out.u32(o + 8, this.u64.lo);
      o += 12;
    };
    const countOpt = (code: number, v: bigint | number | undefined): void => {
      if (v === undefined) return;
      out.u16(o, code);
      out.u16(o + 2, 8);
      this.write64(o + 4, v);
      o += 12;
    };
    tsOpt(2, s.startTime);
    tsOpt(3, s.endTime);
    countOpt(4, s.ifRecv);
    countOpt(5, s.ifDrop);
    if (o > start + 20) o += 4;
    const total = o + 4 - start;
    out.u32(start + 4, total);
    out.u32(o, total);
    out.pos = o + 4;
  }

  private packetIdOption(o: number, id: bigint | number): number {
    this.out.u16(o, 5);
    this.out.u16(o + 2, 8);
    this.write64(o + 4, id);
    return o + 12;
  }

  /** A 64-bit value in the section's (little-endian) order. */
  private write64(o: number, v: bigint | number): void {
    if (typeof v === 'bigint') {
      const x = BigInt.asUintN(64, v);
      this.out.u32(o, Number(x & 0xffffffffn));
      this.out.u32(o + 4, Number(x >> 32n));
    } else {
      if (!Number.isSafeInteger(v) || v < 0) throw new VethcapError('USAGE', `not a 64-bit unsigned integer: ${v}.`);
      this.out.u32(o, v % 4294967296);
      this.out.u32(o + 4, Math.floor(v / 4294967296));
    }
  }
}
