/**
 * Classic pcap writer, pure core (nanosecond magic 0xa1b23c4d, little-endian, v2.4).
 * For tools that read only pcap; it cannot hold what vethcap adds, see pcapLossWarning.
 */
import { VethcapError } from '../errors.js';
import { BufferedWriter } from './buffered-writer.js';
import { PCAP_MAGIC_NANO } from './classic.js';
import { DEFAULT_SNAPLEN, type WritablePacket } from './pcapng-writer.js';

/** What classic pcap loses compared with vethcap's pcapng, for the user. */
export const PCAP_LOSS_WARNING =
  'classic pcap cannot hold interfaces, packet comments, packet ids or directions: all capture points are ' +
  'mixed into one link, and the hop annotations, correlation ids and in/out directions are dropped; write ' +
  'pcapng to keep them.';

/** The warning text, naming the number of capture points when there is more than one. */
export function pcapLossWarning(points?: number): string {
  return points !== undefined && points > 1
    ? `${PCAP_LOSS_WARNING.replace('all capture points', `all ${points} capture points`)}`
    : PCAP_LOSS_WARNING;
}

export interface PcapWriterOptions {
  /** The one link type of the file. */
  linkType: number;
  /** Default 262144; longer frames are cut to it. */
  snaplen?: number;
}

export class PcapWriter extends BufferedWriter<WritablePacket> {
  private readonly linkType: number;
  private readonly snaplen: number;

  constructor(options: PcapWriterOptions, chunkBytes?: number) {
    super(chunkBytes);
    this.linkType = options.linkType;
    this.snaplen = options.snaplen ?? DEFAULT_SNAPLEN;
    const o = this.out;
    o.ensure(24);
    o.u32(0, PCAP_MAGIC_NANO);
    o.u16(4, 2);
    o.u16(6, 4);
    o.u32(8, 0); // thiszone
    o.u32(12, 0); // sigfigs
    o.u32(16, this.snaplen);
    o.u32(20, this.linkType);
    o.pos = 24;
  }

  /** Appends one record; the point, direction, comment and packet id are not stored. */
  override write(p: WritablePacket): void {
    if (p.linkType !== undefined && p.linkType !== this.linkType) {
      throw new VethcapError('USAGE', `classic pcap holds one link type (${this.linkType}); got a frame of link type ${p.linkType}: write pcapng instead.`);
    }
    if (p.tsSec < 0 || p.tsSec > 0xffffffff) {
      throw new VethcapError('USAGE', `timestamp ${p.tsSec} s does not fit classic pcap's 32-bit seconds: write pcapng instead.`);
    }
    const data = p.data;
    const caplen = this.snaplen !== 0 && data.length > this.snaplen ? this.snaplen : data.length;
    const out = this.out;
    out.ensure(16 + caplen);
    const o = out.pos;
    out.u32(o, p.tsSec);
    out.u32(o + 4, p.tsNsec);
    out.u32(o + 8, caplen);
    out.u32(o + 12, p.origLen);
    out.bytes(o + 16, caplen === data.length ? data : data.subarray(0, caplen));
    out.pos = o + 16 + caplen;
  }
}
