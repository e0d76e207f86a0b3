import { u16, u32, u8 } from './bytes.js';
import { IPPROTO, type DecodedFrame } from './frame.js';

/** Decode the transport header at `f.l4Offset` for `f.ipProto`, and where its payload lies. */
export function decodeTransport(f: DecodedFrame): void {
  switch (f.ipProto) {
    case IPPROTO.ICMP:
      decodeIcmp(f, 'icmp');
      return;
    case IPPROTO.ICMPV6:
      decodeIcmp(f, 'icmpv6');
      return;
    case IPPROTO.UDP:
      decodeUdp(f);
      return;
    case IPPROTO.TCP:
      decodeTcp(f);
      return;
    default:
      f.transport = 'other';
      f.payloadOffset = f.l4Offset;
  }
}

const ICMP_ECHO_REPLY = 0;
const ICMP_ECHO_REQUEST = 8;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;
const ND_NEIGHBOR_SOLICIT = 135;
const ND_NEIGHBOR_ADVERT = 136;
const ND_REDIRECT = 137;

function decodeIcmp(f: DecodedFrame, kind: 'icmp' | 'icmpv6'): void {
  const d = f.data;
  const o = f.l4Offset;
  f.transport = kind;
  if (d.length < o + 4) {
    f.truncated = kind;
    return;
  }
  const type = u8(d, o);
  f.icmpType = type;
  f.icmpCode = u8(d, o + 1);
  const echo =
    kind === 'icmp'
      ? type === ICMP_ECHO_REQUEST || type === ICMP_ECHO_REPLY
      : type === ICMPV6_ECHO_REQUEST || type === ICMPV6_ECHO_REPLY;
  if (d.length < o + 8) {
    f.truncated = kind;
    return;
  }
  if (echo) {
    f.icmpId = u16(d, o + 4);
    f.icmpSeq = u16(d, o + 6);
  }
  f.payloadOffset = Math.min(o + 8, f.payloadEnd);
  f.payloadLength = Math.max(0, f.payloadLength - 8);
  if (kind === 'icmpv6' && (type === ND_NEIGHBOR_SOLICIT || type === ND_NEIGHBOR_ADVERT || type === ND_REDIRECT)) {
    if (d.length < o + 24) f.truncated = kind;
    else f.ndTarget = o + 8;
  }
}

function decodeUdp(f: DecodedFrame): void {
  const d = f.data;
  const o = f.l4Offset;
  f.transport = 'udp';
  if (d.length < o + 8) {
    f.truncated = 'udp';
    return;
  }
  f.srcPort = u16(d, o);
  f.dstPort = u16(d, o + 2);
  f.payloadOffset = Math.min(o + 8, f.payloadEnd);
  f.payloadLength = Math.max(0, f.payloadLength - 8);
}

function decodeTcp(f: DecodedFrame): void {
  const d = f.data;
  const o = f.l4Offset;
  f.transport = 'tcp';
  if (d.length < o + 14) {
    f.truncated = 'tcp';
    if (d.length >= o + 4) {
      f.srcPort = u16(d, o);
      f.dstPort = u16(d, o + 2);
    }
    return;
  }
  f.srcPort = u16(d, o);
  f.dstPort = u16(d, o + 2);
  f.tcpSeq = u32(d, o + 4);
  f.tcpAck = u32(d, o + 8);
  const dataOffset = (u8(d, o + 12) >> 4) * 4;
  f.tcpFlags = u8(d, o + 13);
  if (dataOffset < 20) return;
  if (d.length < o + dataOffset) f.truncated = 'tcp';
  f.payloadOffset = Math.min(o + dataOffset, f.payloadEnd);
  f.payloadLength = Math.max(0, f.payloadLength - dataOffset);
}
