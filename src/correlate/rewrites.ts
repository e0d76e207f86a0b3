import { dstEndpoint, srcEndpoint } from '../decode/addresses.js';
import { sameBytes } from '../decode/bytes.js';
import type { DecodedFrame } from '../decode/frame.js';
import { formatMac } from '../decode/format.js';
import type { MacRewrite, NatRewrite, TtlChange } from './path.js';

function sameSrc(a: DecodedFrame, b: DecodedFrame): boolean {
  if (a.network === 'ipv4' ? a.src4 !== b.src4 : !sameBytes(a.data, a.src6, b.data, b.src6, 16)) return false;
  if (a.srcPort !== b.srcPort) return false;
  return a.icmpId === b.icmpId || !(a.icmpType === 8 || a.icmpType === 128);
}

function sameDst(a: DecodedFrame, b: DecodedFrame): boolean {
  if (a.network === 'ipv4' ? a.dst4 !== b.dst4 : !sameBytes(a.data, a.dst6, b.data, b.dst6, 16)) return false;
  if (a.dstPort !== b.dstPort) return false;
  return a.icmpId === b.icmpId || a.icmpType === 8 || a.icmpType === 128;
}

/** Address/port (or ICMP echo id) rewrites between two copies of one IP packet. */
export function natBetween(after: string, before: string, a: DecodedFrame, b: DecodedFrame, out: NatRewrite[]): void {
  if (a.network !== b.network || (a.network !== 'ipv4' && a.network !== 'ipv6')) return;
  if ((a.network === 'ipv4' && (a.src4 < 0 || b.src4 < 0)) || (a.network === 'ipv6' && (a.src6 < 0 || b.src6 < 0))) return;
  if (!sameSrc(a, b)) out.push({ after, before, side: 'src', from: srcEndpoint(a), to: srcEndpoint(b) });
  if (!sameDst(a, b)) out.push({ after, before, side: 'dst', from: dstEndpoint(a), to: dstEndpoint(b) });
}

/** A TTL / hop-limit change between two copies. */
export function ttlBetween(after: string, before: string, a: DecodedFrame, b: DecodedFrame, out: TtlChange[]): void {
  if (a.ttl >= 0 && b.ttl >= 0 && a.ttl !== b.ttl && a.network === b.network) out.push({ after, before, from: a.ttl, to: b.ttl });
}

/** Source/destination MAC rewrites between two copies (both with Ethernet headers). */
export function macsBetween(after: string, before: string, a: DecodedFrame, b: DecodedFrame, out: MacRewrite[]): void {
  if (a.srcMac < 0 || b.srcMac < 0 || a.dstMac < 0 || b.dstMac < 0) return;
  if (a.srcMac === b.srcMac && a.dstMac === b.dstMac) return;
  out.push({
    after,
    before,
    src: a.srcMac === b.srcMac ? null : { from: formatMac(a.srcMac), to: formatMac(b.srcMac) },
    dst: a.dstMac === b.dstMac ? null : { from: formatMac(a.dstMac), to: formatMac(b.dstMac) },
  });
}
