/**
 * pcapng block decoding (pure). The parser hands each complete block here; this file
 * knows what is inside SHB, IDB, EPB, SPB, the obsolete PB and ISB, and skips every
 * other block type by its length (NRB, DSB, custom blocks, journal entries, unknown).
 */
import { VethcapError } from '../errors.js';
import type { Timestamp } from '../model/time.js';
import { u16, u32, u64, utf8 } from './bytes.js';
import { makePacket, type CaptureEvent, type StatsEvent } from './events.js';
import { OPT_COMMENT, walkOptions } from './options.js';
import { tsResolution, unitsToTs, type MutableTs, type TsResolution } from './timestamp.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_PB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BT_DSB = 0x0000000a;
export const BT_CUSTOM = 0x00000bad;
export const BT_CUSTOM_NOCOPY = 0x40000bad;
export const BOM = 0x1a2b3c4d;

interface NgInterface {
  globalId: number;
  linkType: number;
  snaplen: number;
  res: TsResolution;
}

/** What a pcapng reader remembers between blocks. */
export class PcapngState {
  le = true;
  section = -1;
  ifaces: NgInterface[] = [];
  nextGlobalId = 0;
  readonly ts: MutableTs = { tsSec: 0, tsNsec: 0 };
}

function bad(abs: number, what: string): VethcapError {
  return new VethcapError('BAD_CAPTURE', `damaged pcapng block at byte ${abs}: ${what}.`);
}

/** Byte order of a section from its SHB's byte-order magic at b[o+8], or undefined if it is neither. */
export function shbByteOrder(b: Uint8Array, o: number): boolean | undefined {
  const v = u32(b, o + 8, true);
  if (v === BOM) return true;
  if (v === 0x4d3c2b1a) return false;
  return undefined;
}

function iface(st: PcapngState, id: number, abs: number, block: string): NgInterface {
  const f = st.ifaces[id];
  if (f === undefined) {
    throw bad(abs, `${block} refers to interface ${id}, but this section describes ${st.ifaces.length}`);
  }
  return f;
}

function optionsOrThrow(
  b: Uint8Array, start: number, end: number, le: boolean, abs: number, block: string,
  visit: (code: number, s: number, len: number) => void,
): void {
  const problem = walkOptions(b, start, end, le, visit);
  if (problem !== undefined) throw bad(abs, `${block} ${problem}`);
}

function readShb(b: Uint8Array, o: number, len: number, abs: number, st: PcapngState, out: CaptureEvent[]): void {
  const le = shbByteOrder(b, o);
  if (le === undefined) throw bad(abs, 'section header has no valid byte-order magic');
  if (len < 28) throw bad(abs, `section header is ${len} bytes, the minimum is 28`);
  const major = u16(b, o + 12, le);
  const minor = u16(b, o + 14, le);
  if (major !== 1 || (minor !== 0 && minor !== 2)) {
    throw new VethcapError(
      'BAD_CAPTURE',
      `unsupported pcapng version ${major}.${minor} in the section header at byte ${abs}: only 1.0 (and the equivalent 1.2) are readable.`,
    );
  }
  st.le = le;
  st.section++;
  st.ifaces = [];
  let hardware: string | undefined;
  let os: string | undefined;
  let userAppl: string | undefined;
  let comment: string | undefined;
  optionsOrThrow(b, o + 24, o + len - 4, le, abs, 'section header', (code, s, l) => {
    if (code === OPT_COMMENT) comment = utf8(b, s, s + l);
    else if (code === 2) hardware = utf8(b, s, s + l);
    else if (code === 3) os = utf8(b, s, s + l);
    else if (code === 4) userAppl = utf8(b, s, s + l);
  });
  out.push({
    kind: 'section', format: 'pcapng', index: st.section, littleEndian: le, versionMajor: major,
    versionMinor: minor, hardware, os, userAppl, comment, offset: abs,
  });
}

function readIdb(b: Uint8Array, o: number, len: number, abs: number, st: PcapngState, out: CaptureEvent[]): void {
  const le = st.le;
  if (len < 20) throw bad(abs, `interface description is ${len} bytes, the minimum is 20`);
  const linkType = u16(b, o + 8, le);
  const snaplen = u32(b, o + 12, le);
  let name: string | undefined;
  let description: string | undefined;
  let filter: string | undefined;
  let tsresol: number | undefined;
  let fcsLen: number | undefined;
  optionsOrThrow(b, o + 16, o + len - 4, le, abs, 'interface description', (code, s, l) => {
    if (code === 2) name = utf8(b, s, s + l);
    else if (code === 3) description = utf8(b, s, s + l);
    else if (code === 9 && l >= 1) tsresol = b[s];
    else if (code === 11 && l >= 1 && b[s] === 0) filter = utf8(b, s + 1, s + l);
    else if (code === 13 && l >= 1) fcsLen = b[s];
  });
  const res = tsResolution(tsresol);
  const globalId = st.nextGlobalId++;
  st.ifaces.push({ globalId, linkType, snaplen, res });
  out.push({
    kind: 'interface', interfaceId: globalId, section: st.section, localId: st.ifaces.length - 1, linkType,
    snaplen, name, description, filter, unitsPerSecond: res.unitsPerSecond, tsresol, fcsLen,
  });
}

/** EPB (type 6) and the obsolete PB (type 2) share a layout except for the interface field width. */
function readEpb(
  b: Uint8Array, o: number, len: number, abs: number, st: PcapngState, out: CaptureEvent[], obsolete: boolean,
): void {
  const le = st.le;
  const name = obsolete ? 'packet block' : 'enhanced packet block';
  if (len < 32) throw bad(abs, `${name} is ${len} bytes, the minimum is 32`);
  const f = iface(st, obsolete ? u16(b, o + 8, le) : u32(b, o + 8, le), abs, name);
  const caplen = u32(b, o + 20, le);
  const dataEnd = o + 28 + caplen;
  const optStart = o + 28 + ((caplen + 3) & ~3);
  if (optStart > o + len - 4 || caplen > len) {
    throw bad(abs, `${name} says ${caplen} captured bytes, which do not fit in its ${len} bytes`);
  }
  const ts = st.ts;
  unitsToTs(u32(b, o + 12, le), u32(b, o + 16, le), f.res, ts);
  let comment: string | undefined;
  let flags: number | undefined;
  let packetId: bigint | undefined;
  if (optStart < o + len - 4) {
    optionsOrThrow(b, optStart, o + len - 4, le, abs, name, (code, s, l) => {
      if (code === OPT_COMMENT) {
        const c = utf8(b, s, s + l);
        comment = comment === undefined ? c : `${comment}\n${c}`;
      } else if (code === 2 && l >= 4) flags = u32(b, s, le);
      else if (code === 5 && l >= 8 && !obsolete) packetId = u64(b, s, le);
    });
  }
  out.push(
    makePacket(f.globalId, ts.tsSec, ts.tsNsec, b.subarray(o + 28, dataEnd), u32(b, o + 24, le), f.linkType, flags,
      comment, packetId),
  );
}

function readSpb(b: Uint8Array, o: number, len: number, abs: number, st: PcapngState, out: CaptureEvent[]): void {
  const le = st.le;
  if (len < 16) throw bad(abs, `simple packet block is ${len} bytes, the minimum is 16`);
  const f = iface(st, 0, abs, 'simple packet block');
  const origLen = u32(b, o + 8, le);
  let caplen = origLen;
  if (f.snaplen !== 0 && caplen > f.snaplen) caplen = f.snaplen;
  if (caplen > len - 16) caplen = len - 16;
  // An SPB carries no timestamp; it is reported as the epoch.
  out.push(makePacket(f.globalId, 0, 0, b.subarray(o + 12, o + 12 + caplen), origLen, f.linkType, undefined,
    undefined, undefined, false));
}

function readIsb(b: Uint8Array, o: number, len: number, abs: number, st: PcapngState, out: CaptureEvent[]): void {
  const le = st.le;
  if (len < 24) throw bad(abs, `interface statistics block is ${len} bytes, the minimum is 24`);
  const f = iface(st, u32(b, o + 8, le), abs, 'interface statistics block');
  const toTs = (s: number): Timestamp => {
    const t: MutableTs = { tsSec: 0, tsNsec: 0 };
    unitsToTs(u32(b, s, le), u32(b, s + 4, le), f.res, t);
    return t;
  };
  const ev: StatsEvent = { kind: 'stats', interfaceId: f.globalId, ts: toTs(o + 12) };
  optionsOrThrow(b, o + 20, o + len - 4, le, abs, 'interface statistics block', (code, s, l) => {
    if (code === OPT_COMMENT) ev.comment = utf8(b, s, s + l);
    else if (l < 8) return;
    else if (code === 2) ev.startTime = toTs(s);
    else if (code === 3) ev.endTime = toTs(s);
    else if (code === 4) ev.ifRecv = u64(b, s, le);
    else if (code === 5) ev.ifDrop = u64(b, s, le);
    else if (code === 6) ev.filterAccept = u64(b, s, le);
    else if (code === 7) ev.osDrop = u64(b, s, le);
    else if (code === 8) ev.usrDeliv = u64(b, s, le);
  });
  out.push(ev);
}

/**
 * Decodes one complete block b[o, o+len) whose length has been validated (>= 12,
 * multiple of 4). `abs` is its absolute byte offset, for messages.
 */
export function readPcapngBlock(
  b: Uint8Array, o: number, len: number, abs: number, st: PcapngState, out: CaptureEvent[],
): void {
  // The SHB type is a palindrome; its byte order comes from its own magic.
  const type = u32(b, o, st.le);
  const le = type === BT_SHB ? (shbByteOrder(b, o) ?? st.le) : st.le;
  const trailer = u32(b, o + len - 4, le);
  if (trailer !== len) throw bad(abs, `its trailing length ${trailer} does not match its leading length ${len}`);
  if (type === BT_EPB) readEpb(b, o, len, abs, st, out, false);
  else if (type === BT_SHB) readShb(b, o, len, abs, st, out);
  else if (type === BT_IDB) readIdb(b, o, len, abs, st, out);
  else if (type === BT_SPB) readSpb(b, o, len, abs, st, out);
  else if (type === BT_PB) readEpb(b, o, len, abs, st, out, true);
  else if (type === BT_ISB) readIsb(b, o, len, abs, st, out);
  // Anything else (NRB, DSB, custom, systemd journal, unknown) is skipped by its length.
}

/** Scratch for the EPB options the fast path decodes (no closure or object per packet). */
const epbOpt = { comment: undefined as string | undefined, flags: undefined as number | undefined, id: undefined as bigint | undefined };

/** Decodes EPB options into epbOpt; false when they are malformed (the slow path then says why). */
function epbOptions(b: Uint8Array, o: number, end: number, le: boolean): boolean {
  epbOpt.comment = undefined;
  epbOpt.flags = undefined;
  epbOpt.id = undefined;
  while (end - o >= 4) {
    const code = u16(b, o, le);
    const len = u16(b, o + 2, le);
    if (code === 0) return true;
    if (o + 4 + len > end) return false;
    const s = o + 4;
    if (code === OPT_COMMENT) {
      const c = utf8(b, s, s + len);
      epbOpt.comment = epbOpt.comment === undefined ? c : `${epbOpt.comment}\n${c}`;
    } else if (code === 2 && len >= 4) epbOpt.flags = u32(b, s, le);
    else if (code === 5 && len >= 8) epbOpt.id = u64(b, s, le);
    o += 4 + ((len + 3) & ~3);
  }
  return true;
}

/**
 * The pcapng hot loop: decodes consecutive well-formed Enhanced Packet Blocks from
 * b[pos, end) and returns where it stopped: at the first block that is not an EPB, is
 * incomplete, or is anything but well formed (the general path then handles it and
 * reports the problem).
 */
export function readEpbRun(b: Uint8Array, pos: number, end: number, maxLen: number, st: PcapngState, out: CaptureEvent[]): number {
  const le = st.le;
  const ifaces = st.ifaces;
  const ts = st.ts;
  while (end - pos >= 12) {
    if (u32(b, pos, le) !== BT_EPB) break;
    const len = u32(b, pos + 4, le);
    if (len < 32 || (len & 3) !== 0 || len > maxLen || end - pos < len) break;
    if (u32(b, pos + len - 4, le) !== len) break;
    const f = ifaces[u32(b, pos + 8, le)];
    if (f === undefined) break;
    const caplen = u32(b, pos + 20, le);
    const optStart = pos + 28 + ((caplen + 3) & ~3);
    const optEnd = pos + len - 4;
    if (caplen > len || optStart > optEnd) break;
    unitsToTs(u32(b, pos + 12, le), u32(b, pos + 16, le), f.res, ts);
    const data = b.subarray(pos + 28, pos + 28 + caplen);
    const origLen = u32(b, pos + 24, le);
    if (optStart === optEnd) {
      out.push(makePacket(f.globalId, ts.tsSec, ts.tsNsec, data, origLen, f.linkType, undefined, undefined, undefined));
    } else {
      if (!epbOptions(b, optStart, optEnd, le)) break;
      out.push(makePacket(f.globalId, ts.tsSec, ts.tsNsec, data, origLen, f.linkType, epbOpt.flags, epbOpt.comment, epbOpt.id));
    }
    pos += len;
  }
  return pos;
}
