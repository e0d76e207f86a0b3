/**
 * Paths across the host's routing step: targets on two bridges of one host. The
 * destination is known by its IP address (the source side's MAC is the router's), the
 * copies are joined across the TTL decrement and MAC rewrite, and a packet that never
 * reaches the destination's bridge is lost in the host, never complete.
 */
import { describe, expect, it } from 'vitest';
import { CorrelationSession, type PacketPath } from '../../../src/correlate/index.js';
import { pathFindings } from '../../../src/correlate/findings.js';
import type { CaptureRecord } from '../../../src/model/record.js';
import { icmpFrame } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { ROUTED, routedCni, twoBridges } from '../../helpers/topology.js';

// twoBridges: 0 box:eth0, 1 host:vethA, 2 host:br0, 3 host:br1, 4 host:vethB, 5 web:eth0.
const AT: Record<number, number> = { 0: 0, 1: 4_000, 2: 4_000, 3: 30_000, 4: 32_000, 5: 34_000 };

/** box → web ping `seq` as it leaves box (to br0's MAC) and as the host sends it on br1 (TTL one less). */
function request(seq: number, dst: string = ROUTED.web): { before: Uint8Array; after: Uint8Array } {
  const ip = { src: ROUTED.box, dst, ipId: 200 + seq, id: 9, seq };
  return {
    before: icmpFrame({ ...ip, srcMac: ROUTED.boxMac, dstMac: ROUTED.gw0Mac, ttl: 64 }),
    after: icmpFrame({ ...ip, srcMac: ROUTED.gw1Mac, dstMac: ROUTED.webMac, ttl: 63 }),
  };
}

/** The request `seq` at the given points, `seq` ms apart: points 0-2 carry the source side's frame, 3-5 the routed one. */
function requestAt(seq: number, points: number[], dst?: string): CaptureRecord[] {
  const f = request(seq, dst);
  return points.map((p) => rec(p, seq * 1e6 + AT[p]!, p <= 2 ? f.before : f.after));
}

function correlate(records: CaptureRecord[], topology = twoBridges()): PacketPath[] {
  const out: PacketPath[] = [];
  const s = new CorrelationSession(topology, (p) => out.push(p), { windowNs: 1_000_000_000 });
  for (const r of records.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec)) s.push(r.point, r);
  s.finish();
  return out.sort((a, b) => a.id - b.id);
}

describe('a path routed by the host between two bridges', () => {
  it('is complete through both bridges, with the TTL decrement and the MAC rewrite shown', () => {
    const [p, ...more] = correlate(requestAt(1, [0, 1, 2, 3, 4, 5]));
    expect(more).toEqual([]);
    expect(p!.copies.map((c) => c.label)).toEqual(['box:eth0', 'host:vethA', 'host:br0', 'host:br1', 'host:vethB', 'web:eth0']);
    expect(p!.expected).toEqual(['box:eth0', 'host:vethA', 'host:vethB', 'web:eth0']);
    expect(p!.verdict).toBe('complete');
    expect(p!.ttl).toEqual([{ after: 'host:br0', before: 'host:br1', from: 64, to: 63 }]);
    expect(p!.macRewrites).toEqual([
      { after: 'host:br0', before: 'host:br1', src: { from: ROUTED.boxMac, to: ROUTED.gw1Mac }, dst: { from: ROUTED.gw0Mac, to: ROUTED.webMac } },
    ]);
    expect(pathFindings(p!).map((f) => f.code)).toEqual(['TTL_CHANGE', 'MAC_REWRITE']);
  });

  it('is lost in the host routing step when nothing reaches the destination bridge', () => {
    const [p] = correlate(requestAt(1, [0, 1, 2]));
    expect(p!.verdict).toBe('lost');
    expect(p!.complete).toBe(false);
    expect(p!.lost).toEqual({ after: 'host:vethA', before: 'host:vethB', where: 'host-routing' });
    expect(pathFindings(p!)).toEqual([{ code: 'PATH_LOST', after: 'host:vethA', before: 'host:vethB', branch: null, where: 'host-routing' }]);
  });

  it('is lost without a place in the host when the destination bridge sent it but its port did not', () => {
    const [p] = correlate(requestAt(1, [0, 1, 2, 3]));
    expect(p!.verdict).toBe('lost');
    expect(p!.lost).toEqual({ after: 'host:vethA', before: 'host:vethB' });
    expect(pathFindings(p!)[0]).toMatchObject({ code: 'PATH_LOST', where: null });
  });

  it('holds for the reply too: web → box, lost in the host', () => {
    const ip = { src: ROUTED.web, dst: ROUTED.box, ipId: 300, id: 9, seq: 1, reply: true };
    const frame = icmpFrame({ ...ip, srcMac: ROUTED.webMac, dstMac: ROUTED.gw1Mac });
    const [p] = correlate([rec(5, 0, frame), rec(4, 3_000, frame), rec(3, 3_000, frame)]);
    expect(p!.expected).toEqual(['web:eth0', 'host:vethB', 'host:vethA', 'box:eth0']);
    expect(p!.lost).toEqual({ after: 'host:vethB', before: 'host:vethA', where: 'host-routing' });
  });

  it('expects nothing past the source bridge for an address of no traced target, whatever came before with the same MACs', () => {
    // Same MAC pair, three destinations in turn: the expectation must follow the address, not a cache of the MACs.
    const paths = correlate([...requestAt(1, [0, 1, 2], ROUTED.elsewhere), ...requestAt(2, [0, 1, 2]), ...requestAt(3, [0, 1, 2], ROUTED.elsewhere), ...requestAt(4, [0, 1, 2])]);
    expect(paths.map((p) => p.verdict)).toEqual(['complete', 'lost', 'complete', 'lost']);
    expect(paths[0]!.expected).toEqual(['box:eth0', 'host:vethA']);
  });
});

describe('a path the host routes out of its uplink (--uplink)', () => {
  // twoBridges plus 6 host:up0, the uplink, with the host's main table as the trace recorded it.
  const hostRoutes = [
    { dst: 'default', dev: 'up0' },
    { dst: '198.18.0.0/24', dev: 'br0' },
    { dst: '198.18.1.0/24', dev: 'br1' },
    { dst: '198.19.255.0/24', dev: '' }, // an unreachable route: leaves by no interface
    { dst: '198.19.255.7', dev: 'up0' }, // a host route inside it: the longest prefix wins
    { dst: 'fd00::/8', dev: 'up0' }, // IPv6 is not matched (no IPv4 prefix)
  ];
  const topology = () => {
    const t = twoBridges();
    t.points.push({ label: 'host:up0', description: 'uplink', role: 'uplink', ifname: 'up0', hostRoutes });
    return t;
  };
  const out = (dst: string, points: number[]): PacketPath => {
    const frame = icmpFrame({ src: ROUTED.box, dst, ipId: 77, id: 9, seq: 1, srcMac: ROUTED.boxMac, dstMac: ROUTED.gw0Mac, ttl: 64 });
    const routedFrame = icmpFrame({ src: ROUTED.box, dst, ipId: 77, id: 9, seq: 1, srcMac: '02:42:5e:7a:99:01', dstMac: '02:42:5e:7a:99:02', ttl: 63 });
    const paths: PacketPath[] = [];
    const s = new CorrelationSession(topology(), (p) => paths.push(p), { windowNs: 1_000_000_000 });
    for (const [i, p] of points.entries()) s.push(p, rec(p, 1e6 + i * 3_000, p === 6 ? routedFrame : frame));
    s.finish();
    expect(paths).toHaveLength(1);
    return paths[0]!;
  };

  it('is complete when the uplink sent it, the uplink expected after the source veth', () => {
    const p = out('198.18.255.9', [0, 1, 2, 6]);
    expect(p.expected).toEqual(['box:eth0', 'host:vethA', 'host:up0']);
    expect(p.verdict).toBe('complete');
    expect(p.ttl).toEqual([{ after: 'host:br0', before: 'host:up0', from: 64, to: 63 }]);
  });

  it('is lost in the host routing step, not complete, when it stops at the source bridge', () => {
    const p = out('198.18.255.9', [0, 1, 2]);
    expect(p.verdict).toBe('lost');
    expect(p.lost).toEqual({ after: 'host:vethA', before: 'host:up0', where: 'host-routing' });
  });

  it('follows the longest prefix: a host route to the uplink inside an unreachable one; the unreachable rest is not expected there', () => {
    expect(out('198.19.255.7', [0, 1, 2]).lost).toEqual({ after: 'host:vethA', before: 'host:up0', where: 'host-routing' });
    const unreachable = out('198.19.255.8', [0, 1, 2]);
    expect(unreachable.expected).toEqual(['box:eth0', 'host:vethA']);
    expect(unreachable.verdict).toBe('complete');
  });

  it('a traced target on another bridge is still expected there, not at the uplink', () => {
    const p = out(ROUTED.web, [0, 1, 2]);
    expect(p.expected).toEqual(['box:eth0', 'host:vethA', 'host:vethB', 'web:eth0']);
  });

  it('without a recorded table nothing is expected at the uplink', () => {
    const t = twoBridges();
    t.points.push({ label: 'host:up0', description: 'uplink', role: 'uplink', ifname: 'up0' });
    const paths: PacketPath[] = [];
    const s = new CorrelationSession(t, (p) => paths.push(p), { windowNs: 1_000_000_000 });
    const frame = icmpFrame({ src: ROUTED.box, dst: '198.18.255.9', ipId: 77, id: 9, seq: 1, srcMac: ROUTED.boxMac, dstMac: ROUTED.gw0Mac, ttl: 64 });
    for (const p of [0, 1, 2]) s.push(p, rec(p, 1e6 + p * 3_000, frame));
    s.finish();
    expect(paths[0]!.expected).toEqual(['box:eth0', 'host:vethA']);
  });
});

// routedCni: 0 box:eth0, 1 host:vethA, 2 host:vethB, 3 web:eth0; no bridge. The source
// side's frame is addressed to the host veth's own MAC (proxy ARP for the gateway).
describe('a path routed by the host between host veths that are no bridge ports (a routed CNI)', () => {
  const hostMac = ROUTED.gw0Mac;
  const frames = (seq: number) => {
    const ip = { src: ROUTED.box, dst: ROUTED.web, ipId: 400 + seq, id: 11, seq };
    return { before: icmpFrame({ ...ip, srcMac: ROUTED.boxMac, dstMac: hostMac, ttl: 64 }), after: icmpFrame({ ...ip, srcMac: ROUTED.gw1Mac, dstMac: ROUTED.webMac, ttl: 63 }) };
  };
  const at = (seq: number, points: number[]) => points.map((p) => rec(p, seq * 1e6 + p * 3_000, p <= 1 ? frames(seq).before : frames(seq).after));

  it('is complete through both host veths', () => {
    const [p, ...more] = correlate(at(1, [0, 1, 2, 3]), routedCni());
    expect(more).toEqual([]);
    expect(p!.expected).toEqual(['box:eth0', 'host:vethA', 'host:vethB', 'web:eth0']);
    expect(p!.verdict).toBe('complete');
  });

  it('is lost in the host routing step when the host never sends it to the destination veth, never complete', () => {
    const [p] = correlate(at(1, [0, 1]), routedCni());
    expect(p!.verdict).toBe('lost');
    expect(p!.lost).toEqual({ after: 'host:vethA', before: 'host:vethB', where: 'host-routing' });
  });
});
