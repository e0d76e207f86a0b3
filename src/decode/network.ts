import { mac48, u16, u32, u8 } from './bytes.js';
import type { DecodedFrame } from './frame.js';

/** ARP for Ethernet/IPv4 (htype 1, ptype 0x0800, 6-byte and 4-byte addresses). */
export function decodeArp(f: DecodedFrame): void {
  const d = f.data;
  const o = f.netOffset;
  f.network = 'arp';
  if (d.length < o + 8) {
    f.truncated = 'arp';
    return;
  }
  f.arpOp = u16(d, o + 6);
  if (u16(d, o + 2) !== 0x0800 || u8(d, o + 4) !== 6 || u8(d, o + 5) !== 4) return;
  if (d.length < o + 28) {
    f.truncated = 'arp';
    return;
  }
  f.arpSenderMac = mac48(d, o + 8);
  f.arpSenderIp = u32(d, o + 14);
  f.arpTargetMac = mac48(d, o + 18);
  f.arpTargetIp = u32(d, o + 24);
}

/** IPv4 header; returns false when the transport header cannot be decoded. */
export function decodeIpv4(f: DecodedFrame): boolean {
  const d = f.data;
  const o = f.netOffset;
  f.network = 'ipv4';
  if (d.length < o + 20) {
    f.truncated = 'ipv4';
    return false;
  }
  const ihl = (u8(d, o) & 0x0f) * 4;
  f.ipTotalLength = u16(d, o + 2);
  f.ipId = u16(d, o + 4);
  const frag = u16(d, o + 6);
  f.dontFragment = (frag & 0x4000) !== 0;
  f.moreFragments = (frag & 0x2000) !== 0;
  f.fragOffset = (frag & 0x1fff) * 8;
  f.ttl = u8(d, o + 8);
  f.ipProto = u8(d, o + 9);
  f.src4 = u32(d, o + 12);
  f.dst4 = u32(d, o + 16);
  if (ihl < 20) return false;
  if (d.length < o + ihl) {
    f.truncated = 'ipv4';
    return false;
  }
  const declaredEnd = o + Math.max(f.ipTotalLength, ihl);
  f.payloadEnd = Math.min(d.length, declaredEnd);
  f.payloadLength = Math.max(0, f.ipTotalLength - ihl);
  f.payloadOffset = o + ihl;
  if (f.fragOffset !== 0) return false; // no transport header in a non-first fragment
  f.l4Offset = o + ihl;
  return true;
}

const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AH = 51;
const IPV6_DEST_OPTS = 60;
const MAX_EXT_HEADERS = 8;

/** IPv6 header and the common extension headers; returns false when there is no transport header to decode. */
export function decodeIpv6(f: DecodedFrame): boolean {
  const d = f.data;
  const o = f.netOffset;
  f.network = 'ipv6';
  if (d.length < o + 40) {
    f.truncated = 'ipv6';
    return false;
  }
  const payloadLen = u16(d, o + 4);
  f.ipTotalLength = 40 + payloadLen;
  f.ttl = u8(d, o + 7);
  f.src6 = o + 8;
  f.dst6 = o + 24;
  const end = o + 40 + payloadLen;
  f.payloadEnd = Math.min(d.length, end);
  let next = u8(d, o + 6);
  let off = o + 40;
  for (let i = 0; i < MAX_EXT_HEADERS; i++) {
    if (next !== IPV6_HOP_BY_HOP && next !== IPV6_ROUTING && next !== IPV6_FRAGMENT && next !== IPV6_AH && next !== IPV6_DEST_OPTS) break;
    if (d.length < off + 8) {
      f.ipProto = next;
      f.truncated = 'ipv6-ext';
      return false;
    }
    const hdrNext = u8(d, off);
    if (next === IPV6_FRAGMENT) {
      const frag = u16(d, off + 2);
      f.fragOffset = frag & 0xfff8;
      f.moreFragments = (frag & 1) !== 0;
      f.ipId = u32(d, off + 4);
      off += 8;
    } else if (next === IPV6_AH) {
      off += (u8(d, off + 1) + 2) * 4;
    } else {
      off += (u8(d, off + 1) + 1) * 8;
    }
    next = hdrNext;
  }
  f.ipProto = next;
  f.payloadOffset = Math.min(off, f.payloadEnd);
  f.payloadLength = Math.max(0, end - off);
  if (f.fragOffset !== 0) return false;
  if (off > d.length) {
    f.truncated = 'ipv6-ext';
    return false;
  }
  f.l4Offset = off;
  return true;
}
