/**
 * pcapng format constants and the reader state shared by the block decoders (pure).
 */
import { VethcapError } from '../errors.js';
import { u32 } from './bytes.js';
import { walkOptions } from './options.js';
import type { MutableTs, TsResolution } from './timestamp.js';

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

export interface NgInterface {
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

export function bad(abs: number, what: string): VethcapError {
  return new VethcapError('BAD_CAPTURE', `damaged pcapng block at byte ${abs}: ${what}.`);
}

/** Byte order of a section from its SHB's byte-order magic at b[o+8], or undefined if it is neither. */
export function shbByteOrder(b: Uint8Array, o: number): boolean | undefined {
  const v = u32(b, o + 8, true);
  if (v === BOM) return true;
  if (v === 0x4d3c2b1a) return false;
  return undefined;
}

export function iface(st: PcapngState, id: number, abs: number, block: string): NgInterface {
  const f = st.ifaces[id];
  if (f === undefined) {
    throw bad(abs, `${block} refers to interface ${id}, but this section describes ${st.ifaces.length}`);
  }
  return f;
}

export function optionsOrThrow(
  b: Uint8Array, start: number, end: number, le: boolean, abs: number, block: string,
  visit: (code: number, s: number, len: number) => void,
): void {
  const problem = walkOptions(b, start, end, le, visit);
  if (problem !== undefined) throw bad(abs, `${block} ${problem}`);
}
