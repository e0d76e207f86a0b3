import { parseMac } from '../decode/format.js';
import type { CapturePoint, PointRole, Topology } from '../model/topology.js';

/** A capture point with its links resolved to indexes, for the hot path. */
export interface PointInfo {
  index: number;
  label: string;
  role: PointRole;
  /** The namespace-side MAC as a 48-bit integer, else -1. */
  endpointMac: number;
  /** Index of the peer point (namespace end ↔ host veth), else -1. */
  peer: number;
  /** The bridge label for a bridge port (whether or not the bridge itself is captured), else ''. */
  bridgeLabel: string;
  /** Index of the bridge point for a bridge port, else -1. */
  bridge: number;
  point: CapturePoint;
}

/** The topology, indexed for lookups by MAC and by bridge. */
export class TopologyIndex {
  readonly points: PointInfo[];
  /** True when some point has a role other than 'file', i.e. there is a topology to expect paths from. */
  readonly hasTopology: boolean;
  private readonly nsEndByMac = new Map<number, number>();
  private readonly hostVethByMac = new Map<number, number>();
  private readonly portsByBridge = new Map<string, number[]>();
  private readonly nsEndByIp4 = new Map<number, number>();
  /** The host's IPv4 routes (from an uplink point), longest prefix first, with the uplink point each leaves by (-1: another interface). */
  private readonly routes: Array<{ net: number; len: number; uplink: number }> = [];

  constructor(topology: Topology) {
    const byLabel = new Map<string, number>();
    topology.points.forEach((p, i) => byLabel.set(p.label, i));
    this.points = topology.points.map((p, index) => {
      const bridgeLabel = p.role === 'host-veth' && p.bridge !== undefined ? p.bridge : '';
      return {
        index,
        label: p.label,
        role: p.role,
        endpointMac: p.endpointMac === undefined ? -1 : parseMac(p.endpointMac),
        peer: p.peer === undefined ? -1 : (byLabel.get(p.peer) ?? -1),
        bridgeLabel,
        bridge: bridgeLabel === '' ? -1 : (byLabel.get(bridgeLabel) ?? -1),
        point: p,
      };
    });
    for (const p of this.points) {
      if (p.endpointMac >= 0 && p.role === 'namespace-end') this.nsEndByMac.set(p.endpointMac, p.index);
      if (p.endpointMac >= 0 && p.role === 'host-veth') this.hostVethByMac.set(p.endpointMac, p.index);
      if (p.role === 'namespace-end') {
        for (const a of p.point.addresses ?? []) {
          const ip = parseIpv4(a);
          if (ip >= 0 && !this.nsEndByIp4.has(ip)) this.nsEndByIp4.set(ip, p.index);
        }
      }
      if (p.bridgeLabel !== '') {
        const ports = this.portsByBridge.get(p.bridgeLabel) ?? [];
        ports.push(p.index);
        this.portsByBridge.set(p.bridgeLabel, ports);
      }
    }
    this.hasTopology = this.points.some((p) => p.role !== 'file');
    const withRoutes = this.points.find((p) => p.role === 'uplink' && p.point.hostRoutes !== undefined);
    for (const r of withRoutes?.point.hostRoutes ?? []) {
      const [addr, bits] = r.dst === 'default' ? ['0.0.0.0', '0'] : r.dst.split('/');
      const net = parseIpv4(addr ?? '');
      const len = bits === undefined ? 32 : Number(bits);
      if (net < 0 || !Number.isInteger(len) || len < 0 || len > 32) continue; // IPv6, or not a prefix
      const uplink = this.points.find((p) => p.role === 'uplink' && p.point.ifname === r.dev)?.index ?? -1;
      this.routes.push({ net: mask(net, len), len, uplink });
    }
    this.routes.sort((a, b) => b.len - a.len);
  }

  /**
   * The uplink point the host routes an IPv4 destination out of, by the longest prefix
   * of its main table (as an uplink point recorded it) matching; -1 when the route leaves
   * by another interface, or none matches, or no table was recorded.
   */
  uplinkFor(ip: number): number {
    if (ip < 0) return -1;
    for (const r of this.routes) if (mask(ip, r.len) === r.net) return r.uplink;
    return -1;
  }

  point(index: number): PointInfo {
    const p = this.points[index];
    if (p === undefined) throw new RangeError(`no capture point ${index}`);
    return p;
  }

  /** The namespace-end point whose endpoint MAC this is, else -1. */
  namespaceEndOf(mac: number): number {
    return this.nsEndByMac.get(mac) ?? -1;
  }

  /** The host-veth point whose endpoint MAC this is, else -1. */
  hostVethOf(mac: number): number {
    return this.hostVethByMac.get(mac) ?? -1;
  }

  /** The namespace-end point that has this IPv4 address (an unsigned 32-bit integer), else -1. */
  namespaceEndOfIp4(ip: number): number {
    return this.nsEndByIp4.size === 0 ? -1 : (this.nsEndByIp4.get(ip) ?? -1);
  }

  /** The host-veth ports of a bridge, in point order. */
  portsOf(bridgeLabel: string): readonly number[] {
    return this.portsByBridge.get(bridgeLabel) ?? [];
  }
}

/** A topology of plain files: one point per input, role 'file', ties kept in input order. */
export function fileTopology(labels: readonly string[]): Topology {
  return { points: labels.map((label) => ({ label, description: label, role: 'file' as const, ifname: label })) };
}

/** The first `len` bits of an IPv4 address (unsigned 32-bit). */
function mask(ip: number, len: number): number {
  return len === 0 ? 0 : (ip - (ip % 2 ** (32 - len))) >>> 0;
}

/** `198.18.0.2` or `198.18.0.2/24` as an unsigned 32-bit integer; -1 for anything else (IPv6). */
function parseIpv4(text: string): number {
  const parts = (text.split('/')[0] ?? '').split('.');
  if (parts.length !== 4) return -1;
  let ip = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return -1;
    ip = ip * 256 + Number(part);
  }
  return ip;
}
