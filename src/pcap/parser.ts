/**
 * The capture reader's pure, push-based core: feed it chunks of a pcap or pcapng
 * stream, get batches of events back. Packet data are views into the chunks pushed (no
 * copy per packet); only a record that spans two chunks is copied into a buffer of its
 * own. Written by hand because no maintained npm package reads nanosecond pcap and
 * pcapng at this speed without a copy or an event per packet (see design.md).
 *
 * Errors: push() never throws for a problem in the data. It returns every event decoded
 * before the problem, keeps the VethcapError('BAD_CAPTURE') in `error`, and the next
 * push() or end() throws it. end() throws when the input stops mid-record.
 */
import { VethcapError } from '../errors.js';
import { hexPreview, u32 } from './bytes.js';
import {
  classicMagic, isModifiedPcapMagic, PCAP_FILE_HEADER_LEN, PCAP_RECORD_HEADER_LEN, readClassicHeader,
} from './classic.js';
import { makePacket, type CaptureEvent } from './events.js';
import { readPcapngBlock } from './pcapng-blocks.js';
import { readEpbRun } from './pcapng-packets.js';
import { BT_SHB, PcapngState, shbByteOrder } from './pcapng-state.js';
import { classicToTs, type MutableTs } from './timestamp.js';

/** No record or block may claim more than this (a length field is never trusted beyond it). */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

const START = 0;
const PCAP = 1;
const PCAPNG = 2;
type Mode = typeof START | typeof PCAP | typeof PCAPNG;

function badCapture(message: string): VethcapError {
  return new VethcapError('BAD_CAPTURE', message);
}

/** A guess at what a non-capture file is, for the error message. */
function describeGarbage(b: Uint8Array, o: number): string {
  const start = hexPreview(b, o, 4);
  if (b[o] === 0x1f && b[o + 1] === 0x8b) return `not a pcap or pcapng file: starts with ${start} (gzip-compressed; decompress it first)`;
  if (b[o] === 0x28 && b[o + 1] === 0xb5 && b[o + 2] === 0x2f && b[o + 3] === 0xfd) {
    return `not a pcap or pcapng file: starts with ${start} (zstd-compressed; decompress it first)`;
  }
  if (isModifiedPcapMagic(b, o)) return `unsupported capture format: starts with ${start}, the "modified pcap" magic; convert it with editcap -F pcapng`;
  return `not a pcap or pcapng file: starts with ${start}`;
}

export class CaptureParser {
  private mode: Mode = START;
  /** Bytes of an incomplete record/block carried over from earlier chunks. */
  private pending: Uint8Array[] = [];
  private pendingLen = 0;
  /** Absolute offset of the first pending byte. */
  private pendingAbs = 0;
  private totalIn = 0;
  private failure: VethcapError | undefined;
  private ended = false;
  private le = true;
  private unitsPerSecond = 1e6;
  private linkType = 1;
  private readonly ng = new PcapngState();
  private readonly ts: MutableTs = { tsSec: 0, tsNsec: 0 };

  /** The problem found in the data, if any; push() and end() throw it from then on. */
  get error(): VethcapError | undefined {
    return this.failure;
  }

  /** Total bytes pushed so far. */
  get bytesRead(): number {
    return this.totalIn;
  }

  /** Decodes what it can of `chunk` (plus bytes carried over). Never reuse a pushed chunk's memory. */
  push(chunk: Uint8Array): CaptureEvent[] {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new VethcapError('USAGE', 'CaptureParser.push() was called after end().');
    const out: CaptureEvent[] = [];
    if (chunk.length === 0) return out;
    // A plain Uint8Array view (not a Buffer) so every packet's subarray is a plain view too.
    const buf = chunk.constructor === Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
    const base = this.totalIn;
    this.totalIn += buf.length;
    try {
      let pos = 0;
      if (this.pendingLen > 0) {
        pos = this.completePending(buf, out);
        if (pos < 0) return out;
      }
      pos = this.run(buf, pos, base, out);
      if (pos < buf.length) {
        this.pending = [buf.subarray(pos)];
        this.pendingLen = buf.length - pos;
        this.pendingAbs = base + pos;
      }
    } catch (e) {
      if (!(e instanceof VethcapError)) throw e;
      this.failure = e;
    }
    return out;
  }

  /** Signals the end of input: throws if it stopped mid-record or held no capture at all. */
  end(): CaptureEvent[] {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) return [];
    this.ended = true;
    const problem = this.endProblem();
    if (problem !== undefined) {
      this.failure = badCapture(problem);
      throw this.failure;
    }
    return [];
  }

  private endProblem(): string | undefined {
    if (this.totalIn === 0) return 'empty input: not a pcap or pcapng file (no bytes at all)';
    if (this.pendingLen === 0) return undefined;
    const at = this.pendingAbs;
    const n = this.pendingLen;
    const head = this.gather(Math.min(n, 16), undefined);
    if (this.mode === START) {
      if (n >= 4 && classicMagic(head, 0) === undefined && u32(head, 0, true) !== BT_SHB) {
        return describeGarbage(head, 0);
      }
      return `truncated capture file: only ${n} bytes, too short for a pcap or pcapng file header`;
    }
    const what = this.mode === PCAP ? 'pcap record' : 'pcapng block';
    const need = this.headerNeed();
    if (n < need) return `truncated ${what} header at byte ${at}: ${n} bytes remain of its ${need}-byte header`;
    const len = this.unitLength(head, 0, at);
    return `truncated ${what} at byte ${at}: header says ${len} bytes, ${n} remain`;
  }

  /** Bytes needed at the start of a unit to know its length. */
  private headerNeed(): number {
    return this.mode === PCAP ? PCAP_RECORD_HEADER_LEN : 12;
  }

  /** Total length of the unit (file header, record or block) at b[o]; throws when impossible. */
  private unitLength(b: Uint8Array, o: number, abs: number): number {
    if (this.mode === PCAP) {
      const caplen = u32(b, o + 8, this.le);
      if (caplen > MAX_RECORD_BYTES) {
        throw badCapture(`damaged pcap record at byte ${abs}: it claims ${caplen} captured bytes (limit ${MAX_RECORD_BYTES})`);
      }
      return PCAP_RECORD_HEADER_LEN + caplen;
    }
    if (this.mode === START) {
      if (classicMagic(b, o) !== undefined) return PCAP_FILE_HEADER_LEN;
      if (u32(b, o, true) !== BT_SHB) throw badCapture(describeGarbage(b, o));
    }
    let le = this.ng.le;
    const type = u32(b, o, le);
    if (type === BT_SHB) {
      const order = shbByteOrder(b, o);
      if (order === undefined) {
        throw badCapture(`damaged pcapng section header at byte ${abs}: bad byte-order magic ${hexPreview(b, o + 8, 4)}`);
      }
      le = order;
    }
    const len = u32(b, o + 4, le);
    if (len < 12 || len % 4 !== 0 || len > MAX_RECORD_BYTES) {
      const why = len < 12 ? 'the minimum is 12' : len % 4 !== 0 ? 'not a multiple of 4' : `the limit is ${MAX_RECORD_BYTES}`;
      throw badCapture(`damaged pcapng block at byte ${abs}: block length ${len} is impossible (${why})`);
    }
    return len;
  }

  /** Decodes one complete unit b[o, o+len). */
  private unit(b: Uint8Array, o: number, len: number, abs: number, out: CaptureEvent[]): void {
    if (this.mode === PCAPNG) {
      readPcapngBlock(b, o, len, abs, this.ng, out);
    } else if (this.mode === PCAP) {
      this.pcapRecords(b, o, o + len, out);
    } else if (len === PCAP_FILE_HEADER_LEN && classicMagic(b, o) !== undefined) {
      const h = readClassicHeader(b, o, out);
      this.le = h.littleEndian;
      this.unitsPerSecond = h.unitsPerSecond;
      this.linkType = h.linkType;
      this.mode = PCAP;
    } else {
      this.mode = PCAPNG;
      readPcapngBlock(b, o, len, abs, this.ng, out);
    }
  }

  /** Decodes every complete unit in b from pos; returns where the first incomplete one starts. */
  private run(b: Uint8Array, pos: number, base: number, out: CaptureEvent[]): number {
    const n = b.length;
    for (;;) {
      if (this.mode === PCAP) pos = this.pcapRecords(b, pos, n, out);
      else if (this.mode === PCAPNG) pos = readEpbRun(b, pos, n, MAX_RECORD_BYTES, this.ng, out);
      if (n - pos < this.headerNeed()) return pos;
      const len = this.unitLength(b, pos, base + pos);
      if (n - pos < len) return pos;
      this.unit(b, pos, len, base + pos, out);
      pos += len;
    }
  }

  /** The classic pcap hot loop: complete records in b[pos, end); returns where it stopped. */
  private pcapRecords(b: Uint8Array, pos: number, end: number, out: CaptureEvent[]): number {
    const le = this.le;
    const units = this.unitsPerSecond;
    const link = this.linkType;
    const ts = this.ts;
    while (end - pos >= PCAP_RECORD_HEADER_LEN) {
      const caplen = u32(b, pos + 8, le);
      if (caplen > MAX_RECORD_BYTES) break;
      const stop = pos + PCAP_RECORD_HEADER_LEN + caplen;
      if (stop > end) break;
      classicToTs(u32(b, pos, le), u32(b, pos + 4, le), units, ts);
      out.push(makePacket(0, ts.tsSec, ts.tsNsec, b.subarray(pos + PCAP_RECORD_HEADER_LEN, stop),
        u32(b, pos + 12, le), link, undefined, undefined, undefined));
      pos = stop;
    }
    return pos;
  }

  /**
   * Completes the carried-over unit with the start of `chunk`. Returns how many bytes of
   * chunk it used, or -1 when chunk was absorbed whole and the unit is still incomplete.
   */
  private completePending(chunk: Uint8Array, out: CaptureEvent[]): number {
    const total = this.pendingLen + chunk.length;
    const need = this.headerNeed();
    let len = -1;
    if (total >= need) len = this.unitLength(this.gather(need, chunk), 0, this.pendingAbs);
    if (len < 0 || total < len) {
      this.pending.push(chunk);
      this.pendingLen = total;
      return -1;
    }
    const unit = this.gather(len, chunk);
    const used = len - this.pendingLen;
    const abs = this.pendingAbs;
    this.pending = [];
    this.pendingLen = 0;
    this.unit(unit, 0, len, abs, out);
    return used;
  }

  /** A fresh copy of the first n bytes of pending + chunk. */
  private gather(n: number, chunk: Uint8Array | undefined): Uint8Array {
    const res = new Uint8Array(n);
    let o = 0;
    for (const p of this.pending) {
      if (o >= n) break;
      const take = Math.min(p.length, n - o);
      res.set(take === p.length ? p : p.subarray(0, take), o);
      o += take;
    }
    if (o < n && chunk !== undefined) res.set(chunk.subarray(0, n - o), o);
    return res;
  }
}
