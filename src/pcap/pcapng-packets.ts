/**
 * pcapng packet blocks (pure): the EPB hot loop, and the general decoders for EPB, the
 * obsolete Packet Block and the Simple Packet Block.
 */
import { u16, u32, u64, utf8 } from './bytes.js';
import { makePacket, type CaptureEvent } from './events.js';
import { OPT_COMMENT } from './options.js';
import { bad, BT_EPB, iface, optionsOrThrow, type PcapngState } from './pcapng-state.js';
import { unitsToTs } from './timestamp.js';

/** EPB (type 6) and the obsolete PB (type 2) share a layout except for the interface field width. */
export function readEpb(
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

export function readSpb(b: Uint8Array, o: number, len: number, abs: number, st: PcapngState, out: CaptureEvent[]): void {
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
