/**
 * pcapng block decoding (pure): the dispatcher and the SHB, IDB and ISB decoders. The
 * parser hands each complete block here; packet blocks go to pcapng-packets.ts, and every
 * other block type is skipped by its length (NRB, DSB, custom blocks, journal entries, unknown).
 */
import { VethcapError } from '../errors.js';
import type { Timestamp } from '../model/time.js';
import { u16, u32, u64, utf8 } from './bytes.js';
import type { CaptureEvent, StatsEvent } from './events.js';
import { OPT_COMMENT } from './options.js';
import { readEpb, readSpb } from './pcapng-packets.js';
import {
  bad, BT_EPB, BT_IDB, BT_ISB, BT_PB, BT_SHB, BT_SPB, iface, optionsOrThrow, shbByteOrder, type PcapngState,
} from './pcapng-state.js';
import { tsResolution, unitsToTs, type MutableTs } from './timestamp.js';

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
