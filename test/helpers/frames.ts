/**
 * Hand-built frames for unit tests: each builder returns the bytes of one header plus
 * its payload, so a test composes exactly the frame it means. Checksums are left 0
 * (vethcap never reads them).
 */

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function macBytes(text: string): Uint8Array {
  return Uint8Array.from(text.split(':').map((h) => parseInt(h, 16)));
}

export function ip4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map((n) => Number(n)));
}

/** IPv6 text (with at most one `::`) as 16 bytes. */
export function ip6Bytes(text: string): Uint8Array {
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 255;
  });
  return out;
}

function be16(v: number): Uint8Array {
  return Uint8Array.of((v >> 8) & 255, v & 255);
}

function be32(v: number): Uint8Array {
  return Uint8Array.of((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
}

export interface EtherOptions {
  src: string;
  dst: string;
  type: number;
  vlan?: number;
}

export function ether(o: EtherOptions, payload: Uint8Array): Uint8Array {
  const tag = o.vlan === undefined ? new Uint8Array(0) : concat(be16(0x8100), be16(o.vlan));
  return concat(macBytes(o.dst), macBytes(o.src), tag, be16(o.type), payload);
}

/** Linux cooked v1 header: packet type (0 host .. 4 outgoing), source MAC, protocol. */
export function sll(packetType: number, src: string, type: number, payload: Uint8Array): Uint8Array {
  return concat(be16(packetType), be16(1), be16(6), macBytes(src), new Uint8Array(2), be16(type), payload);
}

/** Linux cooked v2 header. */
export function sll2(packetType: number, src: string, type: number, ifindex: number, payload: Uint8Array): Uint8Array {
  return concat(be16(type), be16(0), be32(ifindex), be16(1), Uint8Array.of(packetType, 6), macBytes(src), new Uint8Array(2), payload);
}

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  id?: number;
  ttl?: number;
  df?: boolean;
  mf?: boolean;
  fragOffset?: number;
}

export function ipv4(o: Ipv4Options, payload: Uint8Array): Uint8Array {
  const flags = (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) / 8);
  return concat(
    Uint8Array.of(0x45, 0),
    be16(20 + payload.length),
    be16(o.id ?? 0),
    be16(flags),
    Uint8Array.of(o.ttl ?? 64, o.proto),
    be16(0),
    ip4Bytes(o.src),
    ip4Bytes(o.dst),
    payload,
  );
}

export interface Ipv6Options {
  src: string;
  dst: string;
  next: number;
  hopLimit?: number;
}

export function ipv6(o: Ipv6Options, payload: Uint8Array): Uint8Array {
  return concat(
    Uint8Array.of(0x60, 0, 0, 0),
    be16(payload.length),
    Uint8Array.of(o.next, o.hopLimit ?? 64),
    ip6Bytes(o.src),
    ip6Bytes(o.dst),
    payload,
  );
}

/** An IPv6 extension header (hop-by-hop, destination options, routing) of 8 bytes. */
export function ipv6Ext(next: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(next, 0, 1, 4, 0, 0, 0, 0), payload);
}

export function icmpEcho(type: number, id: number, seq: number, data: Uint8Array = pattern(56)): Uint8Array {
  return concat(Uint8Array.of(type, 0), be16(0), be16(id), be16(seq), data);
}

/** ICMPv6 neighbor solicitation for `target` with a source link-layer address option. */
export function icmpv6NeighborSolicitation(target: string, srcMac: string): Uint8Array {
  return concat(Uint8Array.of(135, 0), be16(0), be32(0), ip6Bytes(target), Uint8Array.of(1, 1), macBytes(srcMac));
}

export function udp(sport: number, dport: number, payload: Uint8Array): Uint8Array {
  return concat(be16(sport), be16(dport), be16(8 + payload.length), be16(0), payload);
}

export interface TcpOptions {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags: number;
}

export function tcp(o: TcpOptions, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  return concat(be16(o.sport), be16(o.dport), be32(o.seq), be32(o.ack ?? 0), Uint8Array.of(0x50, o.flags), be16(64240), be16(0), be16(0), payload);
}

export interface ArpOptions {
  op: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

export function arp(o: ArpOptions): Uint8Array {
  return concat(
    be16(1),
    be16(0x0800),
    Uint8Array.of(6, 4),
    be16(o.op),
    macBytes(o.senderMac),
    ip4Bytes(o.senderIp),
    macBytes(o.targetMac),
    ip4Bytes(o.targetIp),
  );
}

/** `n` bytes 0, 1, 2, ... (mod 256), offset by `seed`. */
export function pattern(n: number, seed = 0): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i + seed) & 255;
  return out;
}

export interface IcmpFrameOptions {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  ipId: number;
  id: number;
  seq: number;
  ttl?: number;
  reply?: boolean;
}

/** Ethernet + IPv4 + ICMP echo, 98 bytes like ping's default. */
export function icmpFrame(o: IcmpFrameOptions): Uint8Array {
  return ether(
    { src: o.srcMac, dst: o.dstMac, type: 0x0800 },
    ipv4({ src: o.src, dst: o.dst, proto: 1, id: o.ipId, ttl: o.ttl ?? 64, df: true }, icmpEcho(o.reply ? 0 : 8, o.id, o.seq, pattern(56, o.seq))),
  );
}

export interface UdpFrameOptions {
  srcMac: string;
  dstMac: string;
  src: string;
  dst: string;
  ipId: number;
  sport: number;
  dport: number;
  ttl?: number;
  payload?: Uint8Array;
}

export function udpFrame(o: UdpFrameOptions): Uint8Array {
  return ether(
    { src: o.srcMac, dst: o.dstMac, type: 0x0800 },
    ipv4({ src: o.src, dst: o.dst, proto: 17, id: o.ipId, ttl: o.ttl ?? 64 }, udp(o.sport, o.dport, o.payload ?? pattern(18))),
  );
}
