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
import { ROUTED, twoBridges } from '../../helpers/topology.js';

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

function correlate(records: CaptureRecord[]): PacketPath[] {
  const out: PacketPath[] = [];
  const s = new CorrelationSession(twoBridges(), (p) => out.push(p), { windowNs: 1_000_000_000 });
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
