import type { DecodedFrame } from './frame.js';
import { TCP_FLAG } from './frame.js';
import { dstAddress, srcAddress, withPort } from './addresses.js';
import { formatIpv4, formatIpv6, formatMac } from './format.js';

/**
 * One line describing a decoded frame for people, in tcpdump's spirit:
 * `ICMP echo request 198.18.0.2 → 198.18.0.3 id=25 seq=0`,
 * `TCP 198.18.0.2:40000 → 198.18.0.3:80 [S] seq=1000`, `ARP who-has 198.18.0.3 tell 198.18.0.2`.
 * A truncated frame ends in `[|layer]`.
 */
export function summarizeFrame(f: DecodedFrame): string {
  let text = body(f);
  if (f.vlanId >= 0) text = `vlan ${f.vlanId} ${text}`;
  if (f.truncated !== null) text += ` [|${f.truncated}]`;
  return text;
}

function body(f: DecodedFrame): string {
  switch (f.network) {
    case 'arp':
      return arp(f);
    case 'ipv4':
    case 'ipv6':
      return ip(f);
    case 'other':
      return `ethertype 0x${f.etherType.toString(16).padStart(4, '0')}${macs(f)}`;
    default:
      return f.truncated === null ? `link-type ${f.linkType}` : 'frame';
  }
}

function macs(f: DecodedFrame): string {
  if (f.srcMac < 0) return '';
  return f.dstMac < 0 ? ` ${formatMac(f.srcMac)}` : ` ${formatMac(f.srcMac)} → ${formatMac(f.dstMac)}`;
}

function arp(f: DecodedFrame): string {
  const sender = formatIpv4(f.arpSenderIp);
  const target = formatIpv4(f.arpTargetIp);
  if (f.arpOp === 1) {
    if (f.arpSenderIp >= 0 && f.arpSenderIp === f.arpTargetIp) return `ARP announcement ${sender}`;
    return `ARP who-has ${target} tell ${sender}`;
  }
  if (f.arpOp === 2) return `ARP reply ${sender} is-at ${formatMac(f.arpSenderMac)}`;
  return `ARP op ${f.arpOp}`;
}

function ip(f: DecodedFrame): string {
  const family = f.network === 'ipv4' ? 'IPv4' : 'IPv6';
  const src = srcAddress(f);
  const dst = dstAddress(f);
  if (src === '') return family;
  if (f.ipProto < 0) return `${family} ${src} → ${dst}`;
  if (f.l4Offset < 0) {
    if (f.fragOffset > 0 || f.moreFragments) {
      return `${family} ${src} → ${dst} fragment id=${f.ipId} offset=${f.fragOffset}${f.moreFragments ? '+' : ''} proto=${f.ipProto}`;
    }
    return `${family} ${src} → ${dst} proto=${f.ipProto}`;
  }
  const frag = f.moreFragments ? ` (first fragment id=${f.ipId})` : '';
  switch (f.transport) {
    case 'icmp':
      return icmp(f, src, dst) + frag;
    case 'icmpv6':
      return icmpv6(f, src, dst) + frag;
    case 'udp':
      return `UDP ${withPort(f, src, f.srcPort)} → ${withPort(f, dst, f.dstPort)} len=${Math.max(0, f.payloadLength)}${frag}`;
    case 'tcp':
      return tcp(f, src, dst) + frag;
    default:
      return `${family} ${src} → ${dst} proto=${f.ipProto}${frag}`;
  }
}

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
};

const ICMPV6_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
  143: 'multicast listener report v2',
};

function icmp(f: DecodedFrame, src: string, dst: string): string {
  if (f.icmpType < 0) return `ICMP ${src} → ${dst}`;
  const name = ICMP_NAMES[f.icmpType];
  if (f.icmpId >= 0) return `ICMP ${name ?? ''} ${src} → ${dst} id=${f.icmpId} seq=${f.icmpSeq}`;
  if (name !== undefined) return `ICMP ${name} ${src} → ${dst}${f.icmpCode !== 0 ? ` code=${f.icmpCode}` : ''}`;
  return `ICMP type=${f.icmpType} code=${f.icmpCode} ${src} → ${dst}`;
}

function icmpv6(f: DecodedFrame, src: string, dst: string): string {
  if (f.icmpType < 0) return `ICMPv6 ${src} → ${dst}`;
  const name = ICMPV6_NAMES[f.icmpType];
  if (f.icmpId >= 0) return `ICMPv6 ${name ?? ''} ${src} → ${dst} id=${f.icmpId} seq=${f.icmpSeq}`;
  if (f.ndTarget >= 0) {
    const target = formatIpv6(f.data, f.ndTarget);
    if (f.icmpType === 135) return `ICMPv6 neighbor solicitation who-has ${target} ${src} → ${dst}`;
    if (f.icmpType === 136) return `ICMPv6 neighbor advertisement tgt-is ${target} ${src} → ${dst}`;
    return `ICMPv6 ${name ?? ''} ${target} ${src} → ${dst}`;
  }
  if (name !== undefined) return `ICMPv6 ${name} ${src} → ${dst}${f.icmpCode !== 0 ? ` code=${f.icmpCode}` : ''}`;
  return `ICMPv6 type=${f.icmpType} code=${f.icmpCode} ${src} → ${dst}`;
}

/** TCP flags in tcpdump's notation: `S`, `S.`, `P.`, `F.`, `R`, `.` for a bare ACK. */
export function formatTcpFlags(flags: number): string {
  if (flags < 0) return '?';
  let s = '';
  if (flags & TCP_FLAG.FIN) s += 'F';
  if (flags & TCP_FLAG.SYN) s += 'S';
  if (flags & TCP_FLAG.RST) s += 'R';
  if (flags & TCP_FLAG.PSH) s += 'P';
  if (flags & TCP_FLAG.URG) s += 'U';
  if (flags & TCP_FLAG.ECE) s += 'E';
  if (flags & TCP_FLAG.CWR) s += 'W';
  if (flags & TCP_FLAG.ACK) s += '.';
  return s === '' ? 'none' : s;
}

function tcp(f: DecodedFrame, src: string, dst: string): string {
  let text = `TCP ${withPort(f, src, f.srcPort)} → ${withPort(f, dst, f.dstPort)}`;
  if (f.tcpFlags < 0) return text;
  text += ` [${formatTcpFlags(f.tcpFlags)}] seq=${f.tcpSeq}`;
  if (f.tcpFlags & TCP_FLAG.ACK) text += ` ack=${f.tcpAck}`;
  return `${text} len=${Math.max(0, f.payloadLength)}`;
}

/** The protocol name for a decoded frame: ICMP, ICMPv6, TCP, UDP, ARP, IPv4, IPv6 or the ethertype. */
export function protocolName(f: DecodedFrame): string {
  switch (f.transport) {
    case 'icmp':
      return 'ICMP';
    case 'icmpv6':
      return 'ICMPv6';
    case 'tcp':
      return 'TCP';
    case 'udp':
      return 'UDP';
    default:
  }
  if (f.network === 'ipv4') return 'IPv4';
  if (f.network === 'ipv6') return 'IPv6';
  if (f.network === 'arp') return 'ARP';
  if (f.etherType >= 0) return `0x${f.etherType.toString(16).padStart(4, '0')}`;
  return 'unknown';
}
