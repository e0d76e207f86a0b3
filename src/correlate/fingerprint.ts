import type { DecodedFrame } from '../decode/frame.js';

/**
 * What identifies one packet across capture points, whatever a router or NAT did to
 * it. Frames cross a veth and a bridge byte for byte, but a routed hop rewrites MACs,
 * TTL and checksums, and NAT rewrites addresses, ports and the ICMP echo id. So:
 *
 * - IPv4: IP ID, protocol, fragment offset, declared payload length, and the transport
 *   invariants: TCP seq/ack/flags, ICMP type/code/seq, then the transport payload.
 * - IPv6: next header, declared payload length, fragment id, TCP seq/ack/flags or ICMPv6
 *   type/code/seq, then the transport payload.
 * - ARP and anything else: the bytes from the network header on (the link header is
 *   left out so a cooked capture matches an Ethernet one).
 *
 * Payload bytes are compared up to `maxBytes` and the first 16 of them hashed
 * (captures with a snap length cutting into that span at some points will not match). ICMP errors quote the original header, which NAT
 * rewrites: those match across a bridge but not across NAT.
 *
 * The hash is 32-bit: FNV-1a steps for the numeric fields, MurmurHash3's block step for
 * the bytes (four at a time); the
 * correlator confirms a hash match with `sameInvariants`, so a collision never merges
 * two packets. Hand-written because it must run millions of times a second without
 * allocating, which a general hashing package (strings, Buffers, bigint) does not offer.
 */

const FNV_OFFSET = 0x811c9dc5;
/**
 * Payload bytes that go into the hash. With IP ID, lengths and sequence numbers, 16
 * bytes spread packets over the table well; `sameInvariants` still compares the whole
 * span (`maxBytes`), so a hash match is never taken on trust.
 */
const HASH_BYTES = 16;
const FNV_PRIME = 0x01000193;

function mixInt(h: number, v: number): number {
  h = Math.imul(h ^ (v & 0xffff), FNV_PRIME);
  return Math.imul(h ^ ((v >>> 16) & 0xffff), FNV_PRIME);
}

/** Four bytes at a time (MurmurHash3's block step), then FNV-1a over the tail. */
function mixBytes(h: number, d: Uint8Array, start: number, end: number): number {
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  for (; i < end; i++) h = Math.imul(h ^ d[i]!, FNV_PRIME);
  return h;
}

/** Start of the bytes that identify the frame. */
function spanStart(f: DecodedFrame): number {
  if (f.network === 'ipv4' || f.network === 'ipv6') return f.payloadOffset < 0 ? 0 : f.payloadOffset;
  return f.netOffset < 0 ? 0 : f.netOffset;
}

/** End (exclusive) of the bytes that identify the frame. */
function spanEnd(f: DecodedFrame, maxBytes: number): number {
  if (f.network === 'ipv4' || f.network === 'ipv6') {
    return f.payloadOffset < 0 ? 0 : Math.max(f.payloadOffset, Math.min(f.payloadEnd, f.payloadOffset + maxBytes));
  }
  const start = f.netOffset < 0 ? 0 : f.netOffset;
  return Math.min(f.data.length, start + maxBytes);
}

/** The 32-bit fingerprint hash of a decoded frame, as a signed int32. */
export function fingerprint(f: DecodedFrame, maxBytes: number): number {
  let h = FNV_OFFSET;
  if (f.network === 'ipv4' || f.network === 'ipv6') {
    h = mixInt(h, f.network === 'ipv4' ? 4 : 6);
    h = mixInt(h, f.ipId);
    h = mixInt(h, f.ipProto);
    h = mixInt(h, f.fragOffset);
    h = mixInt(h, f.payloadLength);
    h = mixInt(h, f.tcpSeq);
    h = mixInt(h, f.tcpAck);
    h = mixInt(h, f.tcpFlags);
    h = mixInt(h, f.icmpType);
    h = mixInt(h, f.icmpCode);
    h = mixInt(h, f.icmpSeq);
  } else {
    h = mixInt(h, f.etherType);
  }
  const start = spanStart(f);
  h = mixBytes(h, f.data, start, Math.min(spanEnd(f, maxBytes), start + HASH_BYTES));
  return h | 0; // int32: a small integer to V8, never a boxed double
}

/** Exact comparison of everything `fingerprint` hashes (allocates nothing). */
export function sameInvariants(a: DecodedFrame, b: DecodedFrame, maxBytes: number): boolean {
  if (a.network !== b.network) return false;
  if (a.network === 'ipv4' || a.network === 'ipv6') {
    if (
      a.ipId !== b.ipId ||
      a.ipProto !== b.ipProto ||
      a.fragOffset !== b.fragOffset ||
      a.payloadLength !== b.payloadLength ||
      a.tcpSeq !== b.tcpSeq ||
      a.tcpAck !== b.tcpAck ||
      a.tcpFlags !== b.tcpFlags ||
      a.icmpType !== b.icmpType ||
      a.icmpCode !== b.icmpCode ||
      a.icmpSeq !== b.icmpSeq
    ) {
      return false;
    }
  } else if (a.etherType !== b.etherType) {
    return false;
  }
  const as = spanStart(a);
  const bs = spanStart(b);
  const n = spanEnd(a, maxBytes) - as;
  if (spanEnd(b, maxBytes) - bs !== n) return false;
  const da = a.data;
  const db = b.data;
  for (let i = 0; i < n; i++) if (da[as + i] !== db[bs + i]) return false;
  return true;
}

const NETWORK_CODE = { none: 0, arp: 1, ipv4: 4, ipv6: 6, other: 2 } as const;

/**
 * Everything `sameInvariants` compares, copied out of a decoded frame as numbers plus
 * the span of identifying bytes (a view into the record's data, not a copy): what an
 * open group keeps of its first copy, so that a window of a second at 330 k packets/s
 * holds small objects rather than decoded frames.
 */
export class InvariantKey {
  private kNetwork = 0;
  private kEtherType = -1;
  private kIpId = -1;
  private kIpProto = -1;
  private kFragOffset = 0;
  private kPayloadLength = -1;
  private kTcpSeq = -1;
  private kTcpAck = -1;
  private kTcpFlags = -1;
  private kIcmpType = -1;
  private kIcmpCode = -1;
  private kIcmpSeq = -1;
  private kBytes: Uint8Array = EMPTY;
  private kStart = 0;
  private kEnd = 0;

  /** Take the invariants of `f`. */
  setKey(f: DecodedFrame, maxBytes: number): void {
    this.kNetwork = NETWORK_CODE[f.network];
    this.kEtherType = f.etherType;
    this.kIpId = f.ipId;
    this.kIpProto = f.ipProto;
    this.kFragOffset = f.fragOffset;
    this.kPayloadLength = f.payloadLength;
    this.kTcpSeq = f.tcpSeq;
    this.kTcpAck = f.tcpAck;
    this.kTcpFlags = f.tcpFlags;
    this.kIcmpType = f.icmpType;
    this.kIcmpCode = f.icmpCode;
    this.kIcmpSeq = f.icmpSeq;
    this.kBytes = f.data;
    this.kStart = spanStart(f);
    this.kEnd = spanEnd(f, maxBytes);
  }

  /** True when `f` has exactly these invariants (the same test as `sameInvariants`). */
  matchesKey(f: DecodedFrame, maxBytes: number): boolean {
    const net = NETWORK_CODE[f.network];
    if (this.kNetwork !== net) return false;
    if (net === 4 || net === 6) {
      if (
        this.kIpId !== f.ipId ||
        this.kIpProto !== f.ipProto ||
        this.kFragOffset !== f.fragOffset ||
        this.kPayloadLength !== f.payloadLength ||
        this.kTcpSeq !== f.tcpSeq ||
        this.kTcpAck !== f.tcpAck ||
        this.kTcpFlags !== f.tcpFlags ||
        this.kIcmpType !== f.icmpType ||
        this.kIcmpCode !== f.icmpCode ||
        this.kIcmpSeq !== f.icmpSeq
      ) {
        return false;
      }
    } else if (this.kEtherType !== f.etherType) {
      return false;
    }
    const fs = spanStart(f);
    const n = this.kEnd - this.kStart;
    if (spanEnd(f, maxBytes) - fs !== n) return false;
    const a = this.kBytes;
    const b = f.data;
    const as = this.kStart;
    for (let i = 0; i < n; i++) if (a[as + i] !== b[fs + i]) return false;
    return true;
  }
}

const EMPTY = new Uint8Array(0);
