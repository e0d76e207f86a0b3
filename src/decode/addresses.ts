import type { DecodedFrame } from './frame.js';
import { formatIpv4, formatIpv6 } from './format.js';

/** The frame's source IP address as text, or '' when it has none. */
export function srcAddress(f: DecodedFrame): string {
  if (f.network === 'ipv4' && f.src4 >= 0) return formatIpv4(f.src4);
  if (f.network === 'ipv6' && f.src6 >= 0) return formatIpv6(f.data, f.src6);
  return '';
}

/** The frame's destination IP address as text, or '' when it has none. */
export function dstAddress(f: DecodedFrame): string {
  if (f.network === 'ipv4' && f.dst4 >= 0) return formatIpv4(f.dst4);
  if (f.network === 'ipv6' && f.dst6 >= 0) return formatIpv6(f.data, f.dst6);
  return '';
}

/** Address and port as `198.18.0.2:80` or `[2001:db8::1]:80`; the address alone when there is no port. */
export function withPort(f: DecodedFrame, address: string, port: number): string {
  if (port < 0) return address;
  return f.network === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * The source endpoint as NAT may rewrite it: address plus port (TCP/UDP), or plus the
 * echo id for an ICMP echo request (the id belongs to the requester's side).
 */
export function srcEndpoint(f: DecodedFrame): string {
  if (f.transport === 'tcp' || f.transport === 'udp') return withPort(f, srcAddress(f), f.srcPort);
  if (f.icmpId >= 0 && isEchoRequest(f)) return `${srcAddress(f)} id=${f.icmpId}`;
  return srcAddress(f);
}

/** The destination endpoint: address plus port (TCP/UDP), or plus the echo id for an ICMP echo reply. */
export function dstEndpoint(f: DecodedFrame): string {
  if (f.transport === 'tcp' || f.transport === 'udp') return withPort(f, dstAddress(f), f.dstPort);
  if (f.icmpId >= 0 && !isEchoRequest(f)) return `${dstAddress(f)} id=${f.icmpId}`;
  return dstAddress(f);
}

function isEchoRequest(f: DecodedFrame): boolean {
  return f.icmpType === 8 || f.icmpType === 128;
}
