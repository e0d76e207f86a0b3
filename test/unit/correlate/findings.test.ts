/**
 * pathFindings: what a path says, as codes and fields. Asserted on the data only; the
 * words are render/findings.ts's, checked by the timeline's golden files.
 */
import { describe, expect, it } from 'vitest';
import { CorrelationSession, type PacketPath } from '../../../src/correlate/index.js';
import { pathFindings } from '../../../src/correlate/findings.js';
import { TopologyIndex } from '../../../src/correlate/topology-index.js';
import { judgePath, markAfterStop, type CaptureCoverage, type PointGap } from '../../../src/correlate/verdict.js';
import { PATH_FINDING_CODES, type PathFinding } from '../../../src/model/findings.js';
import type { CaptureRecord } from '../../../src/model/record.js';
import type { Topology } from '../../../src/model/topology.js';
import { arp, ether, icmpFrame, pattern, udpFrame } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints, sevenPoints, withUplink } from '../../helpers/topology.js';

function correlate(topology: Topology, records: CaptureRecord[]): PacketPath[] {
  const out: PacketPath[] = [];
  const s = new CorrelationSession(topology, (p) => out.push(p), { windowNs: 1_000_000_000 });
  for (const r of records) s.push(r.point, r);
  s.finish();
  return out;
}

// fivePoints: 0 box:eth0, 1 host:vethA, 2 host:docker0 (bridge), 3 host:vethB, 4 web:eth0.
const request = (seq: number) => icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 100 + seq, id: 7, seq });
const AT: Record<number, number> = { 0: 0, 1: 4_000, 2: 4_000, 3: 20_000, 4: 22_000 };
/** A ping request box → web seen at `points`. */
function requestAt(points: number[]): PacketPath {
  const [p] = correlate(fivePoints(), points.map((point) => rec(point, AT[point]!, request(1))));
  return p!;
}

const topo = new TopologyIndex(fivePoints());
/** Coverage where the given points' captures may have missed copies (at any time). */
const gaps = (points: Record<number, PointGap>): CaptureCoverage => ({ gapAt: (p) => points[p] ?? null });
const DROPS: PointGap = { reason: 'kernel-drops', dropped: 12 };

const codes = (fs: readonly PathFinding[]) => fs.map((f) => f.code);

describe('pathFindings', () => {
  it('has none for a complete path', () => {
    expect(pathFindings(requestAt([0, 1, 2, 3, 4]))).toEqual([]);
  });

  it('PATH_LOST: where the network lost it, between which points', () => {
    expect(pathFindings(requestAt([0, 1, 2]))).toEqual([{ code: 'PATH_LOST', after: 'host:vethA', before: 'host:vethB', branch: null, where: null }]);
  });

  it('NOT_CAPTURED: kernel drops, with the count or without one', () => {
    const p = requestAt([0, 1, 2, 3]);
    judgePath(p, topo, gaps({ 4: DROPS }));
    expect(pathFindings(p)).toEqual([{ code: 'NOT_CAPTURED', point: 'web:eth0', reason: 'kernel-drops', droppedByKernel: 12 }]);
    judgePath(p, topo, gaps({ 4: { reason: 'kernel-drops', dropped: null } }));
    expect(pathFindings(p)).toEqual([{ code: 'NOT_CAPTURED', point: 'web:eth0', reason: 'kernel-drops', droppedByKernel: null }]);
  });

  it('NOT_CAPTURED: a point that ended, a capture not read that far, a gap before a later sighting', () => {
    const p = requestAt([0, 1, 2, 3]);
    judgePath(p, topo, gaps({ 4: { reason: 'point-ended', dropped: null } }));
    expect(pathFindings(p)).toEqual([{ code: 'NOT_CAPTURED', point: 'web:eth0', reason: 'point-ended', droppedByKernel: null }]);
    judgePath(p, topo, gaps({ 4: { reason: 'not-read', dropped: null } }));
    expect(pathFindings(p)).toEqual([{ code: 'NOT_CAPTURED', point: 'web:eth0', reason: 'not-read', droppedByKernel: null }]);
    const q = requestAt([0, 2, 3, 4]);
    judgePath(q, topo, gaps({}));
    expect(pathFindings(q)).toEqual([{ code: 'NOT_CAPTURED', point: 'host:vethA', reason: 'gap', droppedByKernel: null }]);
  });

  it('NOT_CAPTURED beside PATH_LOST', () => {
    // vethA missed it (the bridge saw it later), and it was lost before web:eth0, past a
    // dropping vethB (not listed: the loss explains it).
    const p = requestAt([0, 2]);
    judgePath(p, topo, gaps({ 1: DROPS, 3: { reason: 'kernel-drops', dropped: 3 } }));
    expect(p.verdict).toBe('lost');
    expect(pathFindings(p)).toEqual([
      { code: 'PATH_LOST', after: 'host:vethA', before: 'web:eth0', branch: null, where: null },
      { code: 'NOT_CAPTURED', point: 'host:vethA', reason: 'kernel-drops', droppedByKernel: 12 },
    ]);
  });

  it('UNDETERMINED: one finding naming every point where it may have stopped, in path order', () => {
    const p = requestAt([0, 1, 2]);
    judgePath(p, topo, gaps({ 3: DROPS, 4: { reason: 'point-ended', dropped: null } }));
    expect(pathFindings(p)).toEqual([
      {
        code: 'UNDETERMINED',
        missing: [
          { point: 'host:vethB', reason: 'kernel-drops', droppedByKernel: 12 },
          { point: 'web:eth0', reason: 'point-ended', droppedByKernel: null },
        ],
      },
    ]);
  });

  it('UNDETERMINED with reason ambiguous: a packet lost in a burst of identical ones', () => {
    // Identical UDP packets every 3 µs, 40 µs across the bridge: packet 10 of 20 dies on the bridge.
    const same = udpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 4242, sport: 40000, dport: 9, payload: pattern(18) });
    const at: Record<number, number> = { 0: 0, 1: 4_300, 2: 4_300, 3: 44_300, 4: 45_900 };
    const records: CaptureRecord[] = [];
    for (let k = 0; k < 20; k++) for (const point of [0, 1, 2, 3, 4]) if (!(k === 10 && point >= 3)) records.push(rec(point, k * 3_000 + at[point]! + (k % 7), same));
    const paths = correlate(fivePoints(), records);
    // Judged as a live trace judges it, with coverage (a merge judges before it knows the ambiguity).
    for (const p of paths) if (p.verdict !== 'complete') judgePath(p, topo, gaps({}));
    const found = paths.map(pathFindings).filter((f) => f.length > 0);
    expect(found).toEqual([
      [
        {
          code: 'UNDETERMINED',
          missing: [
            { point: 'host:vethB', reason: 'ambiguous', droppedByKernel: null },
            { point: 'web:eth0', reason: 'ambiguous', droppedByKernel: null },
          ],
        },
      ],
    ]);
  });

  it('AFTER_STOP: no verdict, and nothing it lacks is claimed', () => {
    const p = requestAt([0, 1]);
    markAfterStop(p);
    expect(pathFindings(p)).toEqual([{ code: 'AFTER_STOP' }]);
  });

  it('NAT_REWRITE, TTL_CHANGE and MAC_REWRITE across a router: which field, from, to, at which hop', () => {
    const out = udpFrame({ srcMac: MAC.box, dstMac: MAC.gateway, src: IP.box, dst: IP.remote, ipId: 77, sport: 40000, dport: 53 });
    const natted = udpFrame({ srcMac: MAC.uplink, dstMac: MAC.nextHop, src: IP.uplink, dst: IP.remote, ipId: 77, sport: 61000, dport: 53, ttl: 63 });
    const [p] = correlate(withUplink(), [rec(0, 0, out), rec(1, 3_000, out), rec(2, 3_000, out), rec(5, 30_000, natted)]);
    const hop = { after: 'host:docker0', before: 'host:eth1' };
    expect(pathFindings(p!)).toEqual([
      { code: 'NAT_REWRITE', ...hop, side: 'src', from: `${IP.box}:40000`, to: `${IP.uplink}:61000` },
      { code: 'TTL_CHANGE', ...hop, from: 64, to: 63 },
      { code: 'MAC_REWRITE', ...hop, src: { from: MAC.box, to: MAC.uplink }, dst: { from: MAC.gateway, to: MAC.nextHop } },
    ]);
  });

  it('FLOODED: the ports a broadcast left through; a branch\'s loss names its branch', () => {
    // sevenPoints: 5 host:vethC, 6 db:eth0. #1 reaches web and db; #2 never reaches db:eth0; #3 never leaves through host:vethC.
    const who = (ip: string) => ether({ src: MAC.box, dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806 }, arp({ op: 1, senderMac: MAC.box, senderIp: IP.box, targetMac: '00:00:00:00:00:00', targetIp: ip }));
    const [a, b, c] = [who(IP.web), who(IP.db), who('198.18.0.9')];
    const S = 1_000_000;
    const [full, lostAtDb, lostAtPort] = correlate(sevenPoints(), [
      rec(0, 0, a), rec(1, 100, a), rec(2, 100, a), rec(5, 400, a), rec(6, 600, a), rec(3, 900, a), rec(4, 1_200, a),
      rec(0, S, b), rec(1, S + 100, b), rec(2, S + 100, b), rec(3, S + 500, b), rec(5, S + 700, b), rec(4, S + 900, b),
      rec(0, 2 * S, c), rec(1, 2 * S + 100, c), rec(2, 2 * S + 100, c), rec(3, 2 * S + 600, c), rec(4, 2 * S + 800, c),
    ]);
    expect(pathFindings(full!)).toEqual([{ code: 'FLOODED', ports: ['host:vethC', 'host:vethB'] }]);
    expect(pathFindings(lostAtDb!)).toEqual([
      { code: 'PATH_LOST', after: 'host:vethC', before: 'db:eth0', branch: 'host:vethC', where: null },
      { code: 'FLOODED', ports: ['host:vethB', 'host:vethC'] },
    ]);
    expect(pathFindings(lostAtPort!)).toEqual([{ code: 'PATH_LOST', after: 'host:vethA', before: 'host:vethC', branch: 'host:vethC', where: null }]);
  });

  it('lists findings in PATH_FINDING_CODES order, each built from the path\'s own keys', () => {
    const p = requestAt([0, 1, 2, 3]);
    judgePath(p, topo, gaps({ 4: DROPS }));
    p.flooded = ['host:vethB', 'host:vethC'];
    p.nat = [{ after: 'box:eth0', before: 'host:vethA', side: 'dst', from: '198.18.0.3', to: '198.18.0.9' }];
    p.ttl = [{ after: 'box:eth0', before: 'host:vethA', from: 64, to: 1 }];
    p.macRewrites = [{ after: 'box:eth0', before: 'host:vethA', src: null, dst: { from: MAC.web, to: MAC.db } }];
    p.losses = [{ after: 'host:vethB', before: 'web:eth0' }];
    const found = codes(pathFindings(p));
    expect(found).toEqual(['PATH_LOST', 'NOT_CAPTURED', 'FLOODED', 'NAT_REWRITE', 'TTL_CHANGE', 'MAC_REWRITE']);
    expect(found).toEqual(PATH_FINDING_CODES.filter((c) => found.includes(c)));
  });

  it('keeps its codes: these are an API (docs/json.md), renamed never', () => {
    expect(PATH_FINDING_CODES).toEqual(['PATH_LOST', 'NOT_CAPTURED', 'UNDETERMINED', 'AFTER_STOP', 'FLOODED', 'NAT_REWRITE', 'TTL_CHANGE', 'MAC_REWRITE']);
  });
});
