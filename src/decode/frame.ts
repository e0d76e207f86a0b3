/**
 * The fields vethcap reads from one frame, as plain numbers and offsets into the
 * captured bytes: no strings and no sub-objects, so decoding a frame allocates at most
 * this one object (or nothing, when the caller reuses one). Addresses are kept as
 * numbers (MACs as 48-bit integers, IPv4 as 32-bit unsigned) or, for IPv6, as offsets
 * into `data`; `format.ts` turns them into text when a person needs to read them.
 *
 * A field that the frame does not have, or that lies past the captured bytes, is -1.
 */

/** The header where decoding ran out of captured bytes (tcpdump prints it as `[|proto]`). */
export type Layer =
  | 'link'
  | 'vlan'
  | 'arp'
  | 'ipv4'
  | 'ipv6'
  | 'ipv6-ext'
  | 'icmp'
  | 'icmpv6'
  | 'udp'
  | 'tcp';

export type NetworkKind = 'none' | 'arp' | 'ipv4' | 'ipv6' | 'other';
export type TransportKind = 'none' | 'icmp' | 'icmpv6' | 'udp' | 'tcp' | 'other';

const EMPTY = new Uint8Array(0);

export class DecodedFrame {
  /** The captured bytes the offsets below point into. */
  data: Uint8Array = EMPTY;
  linkType = 0;
  /** The layer whose header was cut short by the snap length, or null. */
  truncated: Layer | null = null;

  // Link layer.
  /** Source MAC as a 48-bit integer (Ethernet, or the cooked header's address), else -1. */
  srcMac = -1;
  /** Destination MAC as a 48-bit integer (Ethernet only), else -1. */
  dstMac = -1;
  /** Linux cooked capture packet type (0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing), else -1. */
  sllPacketType = -1;
  /** 802.1Q VLAN id of the (one) tag decoded, else -1. */
  vlanId = -1;
  /** Ethertype of the network layer, else -1. */
  etherType = -1;
  /** Offset of the network-layer header in `data`, else -1. */
  netOffset = -1;
  network: NetworkKind = 'none';

  // ARP.
  arpOp = -1;
  arpSenderMac = -1;
  arpSenderIp = -1;
  arpTargetMac = -1;
  arpTargetIp = -1;

  // IPv4 / IPv6.
  /** IPv4 identification, or the IPv6 fragment header's identification, else -1. */
  ipId = -1;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl = -1;
  /** IPv4 protocol, or the IPv6 next header after the extension headers. */
  ipProto = -1;
  /** IPv4 total length, or 40 + IPv6 payload length. */
  ipTotalLength = -1;
  /** Fragment offset in bytes (0 for an unfragmented packet or the first fragment). */
  fragOffset = 0;
  moreFragments = false;
  dontFragment = false;
  /** IPv4 source/destination as unsigned 32-bit integers. */
  src4 = -1;
  dst4 = -1;
  /** Offsets of the IPv6 source/destination addresses (16 bytes each) in `data`. */
  src6 = -1;
  dst6 = -1;
  /** Offset of the transport header (-1 for a non-first fragment or no transport). */
  l4Offset = -1;
  transport: TransportKind = 'none';

  // Transport.
  srcPort = -1;
  dstPort = -1;
  /** TCP sequence/acknowledgement numbers (unsigned 32-bit) and flags byte. */
  tcpSeq = -1;
  tcpAck = -1;
  tcpFlags = -1;
  icmpType = -1;
  icmpCode = -1;
  /** ICMP/ICMPv6 echo identifier and sequence number. */
  icmpId = -1;
  icmpSeq = -1;
  /** Offset of the ICMPv6 neighbour discovery target address (NS, NA, redirect). */
  ndTarget = -1;

  /** Transport payload (or IP payload for non-first fragments): [payloadOffset, payloadEnd) in `data`. */
  payloadOffset = -1;
  payloadEnd = -1;
  /** Payload length as the headers declare it (may exceed what was captured). */
  payloadLength = -1;

  /** Forget everything, ready to decode another frame into this object. */
  reset(): void {
    this.data = EMPTY;
    this.linkType = 0;
    this.truncated = null;
    this.srcMac = -1;
    this.dstMac = -1;
    this.sllPacketType = -1;
    this.vlanId = -1;
    this.etherType = -1;
    this.netOffset = -1;
    this.network = 'none';
    this.arpOp = -1;
    this.arpSenderMac = -1;
    this.arpSenderIp = -1;
    this.arpTargetMac = -1;
    this.arpTargetIp = -1;
    this.ipId = -1;
    this.ttl = -1;
    this.ipProto = -1;
    this.ipTotalLength = -1;
    this.fragOffset = 0;
    this.moreFragments = false;
    this.dontFragment = false;
    this.src4 = -1;
    this.dst4 = -1;
    this.src6 = -1;
    this.dst6 = -1;
    this.l4Offset = -1;
    this.transport = 'none';
    this.srcPort = -1;
    this.dstPort = -1;
    this.tcpSeq = -1;
    this.tcpAck = -1;
    this.tcpFlags = -1;
    this.icmpType = -1;
    this.icmpCode = -1;
    this.icmpId = -1;
    this.icmpSeq = -1;
    this.ndTarget = -1;
    this.payloadOffset = -1;
    this.payloadEnd = -1;
    this.payloadLength = -1;
  }
}

/** TCP flag bits. */
export const TCP_FLAG = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

/** IP protocol numbers vethcap names. */
export const IPPROTO = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ICMPV6: 58,
} as const;

/** Ethertypes vethcap decodes. */
export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100,
  IPV6: 0x86dd,
} as const;
