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
 * Payload bytes are compared up to `maxBytes` and the first 16 of them hashed (captures
 * whose snap length cuts into that span at some points will not match). ICMP errors
 * quote the original header, which NAT rewrites: they match across a bridge, not NAT.
 *
 * The hash is 32-bit: FNV-1a steps for the numeric fields, MurmurHash3's block step for
 * the bytes (four at a time). The correlator confirms a hash match with an exact
 * comparison (`invariant-key.ts`), so a collision never merges two packets.
 * Hand-written because it runs millions of times a second without allocating, which
 * general hashing packages (strings, Buffers, bigint) do not offer.
 */

const FNV_OFFSET = 0x811c9dc5;
/**
 * Payload bytes that go into the hash. With IP ID, lengths and sequence numbers, 16
 * bytes spread packets over the table well; the exact comparison still covers the
 * whole span (`maxBytes`), so a hash match is never taken on trust.
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
export function spanStart(f: DecodedFrame): number {
  if (f.network === 'ipv4' || f.network === 'ipv6') return f.payloadOffset < 0 ? 0 : f.payloadOffset;
  return f.netOffset < 0 ? 0 : f.netOffset;
}

/** End (exclusive) of the bytes that identify the frame. */
export function spanEnd(f: DecodedFrame, maxBytes: number): number {
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
