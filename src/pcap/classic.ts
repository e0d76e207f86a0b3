/**
 * Classic pcap (libpcap format) header decoding (pure). Records are decoded by the
 * parser's hot loop; this file recognises the magics and reads the 24-byte file header.
 */
import { VethcapError } from '../errors.js';
import { u16, u32 } from './bytes.js';
import type { CaptureEvent } from './events.js';

export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
/** Alexey Kuznetzov's "modified" pcap, and its byte-swapped form. */
const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

export interface ClassicHeader {
  littleEndian: boolean;
  /** 1e6 or 1e9. */
  unitsPerSecond: number;
  linkType: number;
  snaplen: number;
  fcsLen: number | undefined;
}

/** The byte order (true: little-endian) when b[o..o+4] is a classic pcap magic we read, else undefined. */
export function classicMagic(b: Uint8Array, o: number): boolean | undefined {
  const le = u32(b, o, true);
  if (le === PCAP_MAGIC_MICRO || le === PCAP_MAGIC_NANO) return true;
  const be = u32(b, o, false);
  if (be === PCAP_MAGIC_MICRO || be === PCAP_MAGIC_NANO) return false;
  return undefined;
}

/** True for the modified-pcap magics, which we refuse with a sentence of their own. */
export function isModifiedPcapMagic(b: Uint8Array, o: number): boolean {
  return u32(b, o, true) === PCAP_MAGIC_MODIFIED || u32(b, o, false) === PCAP_MAGIC_MODIFIED;
}

/** Reads the 24-byte file header at b[o] (magic already recognised) and emits section + interface. */
export function readClassicHeader(b: Uint8Array, o: number, out: CaptureEvent[]): ClassicHeader {
  const le = classicMagic(b, o) ?? true;
  const nano = u32(b, o, le) === PCAP_MAGIC_NANO;
  const major = u16(b, o + 4, le);
  const minor = u16(b, o + 6, le);
  if (major !== 2) {
    throw new VethcapError(
      'BAD_CAPTURE',
      `unsupported pcap version ${major}.${minor} in the file header: only version 2.x is readable.`,
    );
  }
  const snaplen = u32(b, o + 16, le);
  const linkField = u32(b, o + 20, le);
  // Low 16 bits: the link type; bit 28 says an FCS of (bits 29-31) 16-bit words follows each frame.
  const linkType = linkField & 0xffff;
  const fcsLen = (linkField & 0x10000000) !== 0 ? (linkField >>> 29) * 2 : undefined;
  const unitsPerSecond = nano ? 1e9 : 1e6;
  out.push({
    kind: 'section', format: 'pcap', index: 0, littleEndian: le, versionMajor: major, versionMinor: minor,
    offset: o,
  });
  out.push({
    kind: 'interface', interfaceId: 0, section: 0, localId: 0, linkType, snaplen, unitsPerSecond,
    tsresol: nano ? 9 : 6, fcsLen,
  });
  return { littleEndian: le, unitsPerSecond, linkType, snaplen, fcsLen };
}
