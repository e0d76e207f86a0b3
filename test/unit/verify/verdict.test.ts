import { describe, expect, it } from 'vitest';
import { CorrelationSession, type PacketPath } from '../../../src/correlate/index.js';
import type { CaptureRecord } from '../../../src/model/record.js';
import { computeVerdict, lossCause, VerdictBuilder, type VerifyExpectation } from '../../../src/verify/verdict.js';
import { TopologyIndex } from '../../../src/correlate/topology-index.js';
import { judgePath, markAfterStop, type CaptureCoverage } from '../../../src/correlate/verdict.js';
import { rec } from '../../helpers/records.js';
import type { Topology } from '../../../src/model/topology.js';
import { IP, MAC, fivePoints, sevenPoints } from '../../helpers/topology.js';
import { arpRequest, replyRecords, requestRecords } from './scenarios.js';

function correlate(records: CaptureRecord[], topology: Topology = fivePoints()): PacketPath[] {
  const paths: PacketPath[] = [];
  const s = new CorrelationSession(topology, (p) => paths.push(p), {});
  for (const r of records) s.push(r.point, r);
  s.finish();
  return paths;
}

const FORWARD = ['box:eth0', 'host:vethA', 'host:vethB', 'web:eth0'];
const expectation = (over: Partial<VerifyExpectation> = {}): VerifyExpectation => ({
  mode: 'active',
  probe: 'icmp',
  sent: 3,
  src: { name: 'box', ip: IP.box },
  dst: { name: 'web', ip: IP.web },
  forward: FORWARD,
  points: fivePoints().points,
  reachesDestination: true,
  ...over,
});


describe('verify verdict', () => {
  it('passes when every probe and answer crosses every hop, with latencies per hop', () => {
    const records = [0, 1, 2].flatMap((s) => [...requestRecords(s, [0, 1, 2, 3, 4]), ...replyRecords(s)]);
    const v = computeVerdict(correlate(records), expectation());
    expect(v.ok).toBe(true);
    expect(v.lost).toEqual([]);
    expect(v.probes).toMatchObject({ kind: 'icmp', sent: 3, seen: 3, delivered: 3, answered: 3 });
    expect(v.hops.filter((h) => h.direction === 'box → web').map((h) => [h.point, h.sent, h.seen, h.lost, h.p50Ns])).toEqual([
      ['box:eth0', 3, 3, 0, null],
      ['host:vethA', 3, 3, 0, 4_000],
      ['host:vethB', 3, 3, 0, 16_000],
      ['web:eth0', 3, 3, 0, 2_000],
    ]);
    expect(v.hops.filter((h) => h.direction === 'web → box').map((h) => h.point)).toEqual([...FORWARD].reverse());
    expect(v.verdict).toBe('pass');
    expect(v.problems).toEqual([]);
  });

  it('locates frames the bridge did not forward between its two ports', () => {
    const records = [0, 1, 2].flatMap((s) => requestRecords(s, [0, 1, 2]));
    const v = computeVerdict(correlate(records), expectation());
    expect(v.ok).toBe(false);
    expect(v.lost).toEqual([{ after: 'host:vethA', before: 'host:vethB', count: 3, direction: 'box → web', kind: 'ip', cause: { code: 'BRIDGE_DID_NOT_FORWARD', bridge: 'docker0' }, notCapturedAt: [] }]);
    const row = v.hops.find((h) => h.point === 'host:vethB' && h.direction === 'box → web');
    expect(row).toMatchObject({ sent: 3, seen: 0, lost: 3 });
  });

  it('locates a loss on the veth pair into the destination', () => {
    const records = [0, 1, 2].flatMap((s) => requestRecords(s, [0, 1, 2, 3]));
    const v = computeVerdict(correlate(records), expectation());
    expect(v.lost).toMatchObject([{ after: 'host:vethB', before: 'web:eth0', count: 3, cause: { code: 'VETH_DID_NOT_CARRY', namespaceEnd: 'web:eth0', hostInterface: 'vethB' } }]);
  });

  it('says the destination did not answer when the probes arrived and nothing came back', () => {
    const records = [0, 1, 2].flatMap((s) => requestRecords(s, [0, 1, 2, 3, 4]));
    const v = computeVerdict(correlate(records), expectation());
    expect(v.ok).toBe(false);
    expect(v.lost).toEqual([]);
    expect(v.problems).toEqual([{ code: 'NO_ANSWER', destination: 'web', delivered: 3, reached: 'web:eth0' }]);
  });

  it('puts probes that never left behind lost ARP requests, located at the bridge', () => {
    const records = [0, 1].map((i) => [rec(0, i * 1e9, arpRequest), rec(1, i * 1e9 + 3_000, arpRequest), rec(2, i * 1e9 + 3_000, arpRequest)]).flat();
    const v = computeVerdict(correlate(records), expectation());
    expect(v.ok).toBe(false);
    expect(v.lost).toMatchObject([{ after: 'host:vethA', before: 'host:vethB', count: 2, kind: 'arp', cause: { code: 'BRIDGE_DID_NOT_FORWARD' } }]);
    expect(v.problems).toEqual([{ code: 'ARP_UNRESOLVED', source: 'box', ip: IP.web, missing: 3, sent: 3, arpLost: true }]);
    expect(v.probes.arpRequests).toBe(2);
  });

  it('measures a flooded ARP request along its own branch when another branch interleaves', () => {
    // sevenPoints adds 5 host:vethC and 6 db:eth0; the copy towards db leaves first.
    const records = [0, 1].flatMap((i) => [0, 1, 2, 5, 6, 3, 4].map((pt) => rec(pt, i * 1e9 + { 0: 0, 1: 3_000, 2: 3_000, 5: 5_000, 6: 6_000, 3: 9_000, 4: 9_500 }[pt]!, arpRequest)));
    const v = computeVerdict(correlate(records, sevenPoints()), expectation({ probe: 'arp', sent: 2, points: sevenPoints().points }));
    expect(v.hops.filter((h) => h.direction === 'box → web' && h.kind === 'arp').map((h) => [h.point, h.seen, h.p50Ns])).toEqual([
      ['box:eth0', 2, null],
      ['host:vethA', 2, 3_000],
      ['host:vethB', 2, 6_000], // from host:vethA, not from db:eth0
      ['web:eth0', 2, 500],
    ]);
  });

  it('reports probes that never appeared at the first hop as lost after the sender', () => {
    const v = computeVerdict([], expectation());
    expect(v.lost).toMatchObject([{ after: 'box (sender)', before: 'box:eth0', count: 3, cause: { code: 'NEVER_APPEARED', point: 'box:eth0' } }]);
    expect(v.hops[0]).toMatchObject({ point: 'box:eth0', sent: 3, seen: 0, lost: 3 });
  });

  it('passes a passive run with nothing seen, and says there was nothing to check', () => {
    const v = computeVerdict([], expectation({ mode: 'passive', probe: null, sent: 0 }));
    expect(v.ok).toBe(true);
    expect(v).toMatchObject({ verdict: 'pass', mode: 'passive', checked: 0 });
  });

  it('checks as far as the host end when the destination is only an address', () => {
    const records = [0, 1, 2].flatMap((s) => requestRecords(s, [0, 1]));
    const v = computeVerdict(correlate(records), expectation({ forward: ['box:eth0', 'host:vethA'], reachesDestination: false, dst: { name: IP.web, ip: IP.web } }));
    expect(v).toMatchObject({ ok: true, checked: 3 });
    expect(v.hops.map((h) => h.point)).toEqual(['box:eth0', 'host:vethA']);
  });
});

describe('verify under capture drops', () => {
  const topo = new TopologyIndex(fivePoints());
  const dropsAt = (points: number[]): CaptureCoverage => ({ gapAt: (p) => (points.includes(p) ? { reason: 'kernel-drops', dropped: 4 } : null) });

  it('is undetermined, not failed, when the copies missing at the last hops are ones their captures dropped', () => {
    // Request 1 has no copy at web:eth0, whose capture dropped, and no answer: did it arrive?
    const paths = correlate([...requestRecords(0, [0, 1, 2, 3, 4]), ...replyRecords(0), ...requestRecords(1, [0, 1, 2, 3]), ...requestRecords(2, [0, 1, 2, 3, 4]), ...replyRecords(2)]);
    for (const p of paths) judgePath(p, topo, dropsAt([4]));
    const v = computeVerdict(paths, expectation());
    expect(v.verdict).toBe('undetermined');
    expect(v.ok).toBe(false);
    expect(v.lost).toEqual([]);
    expect(v.undetermined).toEqual({ count: 1, points: [{ point: 'web:eth0', droppedByKernel: null }] });
    expect(v.hops.find((h) => h.direction === 'box → web' && h.point === 'web:eth0')).toMatchObject({ sent: 3, seen: 2, notCaptured: 1, lost: 0 });
  });

  it('still fails on a loss at a hop whose capture was whole, while another point drops', () => {
    const paths = correlate([...requestRecords(0, [0, 1, 2]), ...requestRecords(1, [0, 1, 2]), ...requestRecords(2, [0, 1, 2])]);
    for (const p of paths) judgePath(p, topo, dropsAt([0]));
    const v = computeVerdict(paths, expectation());
    expect(v.verdict).toBe('fail');
    expect(v.lost).toMatchObject([{ after: 'host:vethA', before: 'host:vethB', count: 3 }]);
  });

  it('does not call probes missing at the first hop lost when that point dropped packets in the kernel', () => {
    const paths = correlate([...requestRecords(0, [0, 1, 2, 3, 4]), ...replyRecords(0)]);
    const v = new VerdictBuilder(expectation({ sent: 2 }));
    for (const p of paths) v.add(p);
    expect(v.result(new Map([['box:eth0', 1]]))).toMatchObject({ verdict: 'undetermined', lost: [], undetermined: { count: 1, points: [{ point: 'box:eth0', droppedByKernel: 1 }] } });
    expect(v.result(new Map([['box:eth0', 0]]))).toMatchObject({ verdict: 'fail', lost: [{ after: 'box (sender)', before: 'box:eth0', count: 1 }] });
  });

  it('leaves paths after the stop out', () => {
    const paths = correlate([...requestRecords(0, [0, 1, 2, 3, 4]), ...replyRecords(0), ...requestRecords(1, [0, 1])]);
    markAfterStop(paths[paths.length - 1]!);
    const v = computeVerdict(paths, expectation({ sent: 1 }));
    expect(v).toMatchObject({ verdict: 'pass', checked: 2 });
  });
});

describe('verify: answers prove delivery', () => {
  const topo = new TopologyIndex(fivePoints());
  const dropsAt = (points: number[]): CaptureCoverage => ({ gapAt: (p) => (points.includes(p) ? { reason: 'kernel-drops', dropped: 4 } : null) });

  it('takes a reply to a request whose last copy a capture missed as proof it arrived, and ping\'s word for a reply', () => {
    // Request 1 has no copy at web:eth0 (its capture dropped) but was answered; reply 2 has none
    // at box:eth0 (dropped) but ping received it.
    const reply2 = replyRecords(2).filter((r) => r.point !== 0);
    const paths = correlate([...requestRecords(0, [0, 1, 2, 3, 4]), ...replyRecords(0), ...requestRecords(1, [0, 1, 2, 3]), ...replyRecords(1), ...requestRecords(2, [0, 1, 2, 3, 4]), ...reply2]);
    for (const p of paths) judgePath(p, topo, dropsAt([0, 4]));
    const b = new VerdictBuilder(expectation());
    for (const p of paths) b.add(p);
    expect(b.result(new Map(), new Set([0, 1, 2]))).toMatchObject({ verdict: 'pass', lost: [] });
    // Without ping's word, reply 2's arrival is unknown.
    expect(b.result(new Map(), new Set())).toMatchObject({ verdict: 'undetermined', undetermined: { count: 1 } });
  });
});

describe('verify: the bridge device as evidence', () => {
  it('places a loss after the source port the bridge copy proves was passed, not before it', () => {
    const topo = new TopologyIndex(fivePoints());
    // Requests seen at box:eth0 and the bridge device only; host:vethB's capture dropped then, web:eth0's was whole.
    const paths = correlate([...requestRecords(0, [0, 2]), ...requestRecords(1, [0, 2]), ...requestRecords(2, [0, 2])]);
    for (const p of paths) judgePath(p, topo, { gapAt: (point) => (point === 3 ? { reason: 'kernel-drops', dropped: 9 } : null) });
    const v = computeVerdict(paths, expectation());
    expect(v.verdict).toBe('fail');
    expect(v.lost).toEqual([{ after: 'host:vethA', before: 'web:eth0', count: 3, direction: 'box → web', kind: 'ip', cause: { code: 'LOST_BETWEEN', after: 'host:vethA', before: 'web:eth0' }, notCapturedAt: ['host:vethB'] }]);
  });
});

describe('verify: what lost them, from the two points', () => {
  const points = fivePoints().points;

  it('names the bridge between two of its ports, the veth pair either way, the sender before the first hop', () => {
    expect(lossCause('host:vethA', 'host:vethB', points)).toEqual({ code: 'BRIDGE_DID_NOT_FORWARD', bridge: 'docker0' });
    expect(lossCause('host:vethB', 'web:eth0', points)).toEqual({ code: 'VETH_DID_NOT_CARRY', namespaceEnd: 'web:eth0', hostInterface: 'vethB' });
    expect(lossCause('web:eth0', 'host:vethB', points)).toEqual({ code: 'VETH_DID_NOT_CARRY', namespaceEnd: 'web:eth0', hostInterface: 'vethB' });
    expect(lossCause('box (sender)', 'box:eth0', points)).toEqual({ code: 'NEVER_APPEARED', point: 'box:eth0' });
  });

  it('names the host between ports of different bridges, a point that is not planned, and any other two points', () => {
    const twoBridges = points.map((p) => (p.label === 'host:vethB' ? { ...p, bridge: 'host:br1' } : p));
    expect(lossCause('host:vethA', 'host:vethB', twoBridges)).toEqual({ code: 'HOST_DID_NOT_PASS', fromInterface: 'vethA', toInterface: 'vethB' });
    expect(lossCause('host:vethB', 'elsewhere:eth0', points)).toEqual({ code: 'NOT_SEEN_AGAIN', point: 'host:vethB' });
    expect(lossCause('box:eth0', 'web:eth0', points)).toEqual({ code: 'LOST_BETWEEN', after: 'box:eth0', before: 'web:eth0' });
  });
});

describe('verify verdict on a routed path whose host masquerades (Docker between two networks)', () => {
  /** 198.18.0.1 as a number: the destination bridge's address, which Docker's MASQUERADE puts in. */
  const NAT = (198 << 24 >>> 0) + (18 << 16) + 1;
  /** The copies on the destination's side (its end and host veth) carry the NAT'd address instead of box's. */
  const masqueraded = (p: PacketPath): PacketPath => ({
    ...p,
    copies: p.copies.map((c) => {
      if (c.label !== 'web:eth0' && c.label !== 'host:vethB') return c;
      const f = c.frame;
      // A copy of the decoded frame with one address changed (the decoder's own fields, spread).
      return { ...c, frame: (f.dst4 === p.copies[0]!.frame.dst4 && f.icmpType === 0 ? { ...f, dst4: NAT } : { ...f, src4: NAT }) as typeof f };
    }),
  });

  it('counts a reply first seen with the NAT\'d address in its direction, by the copy that carries both real ones', () => {
    const records = [0, 1, 2].flatMap((s) => [...requestRecords(s, [0, 1, 2, 3, 4]), ...replyRecords(s)]);
    const paths = correlate(records).map(masqueraded);
    // The reply's first copy (web:eth0) is web → 198.18.0.1: only box's side says it is web → box.
    const reply = paths.find((p) => p.copies[0]!.label === 'web:eth0')!;
    expect(reply.copies[0]!.frame.dst4).toBe(NAT);
    const v = computeVerdict(paths, expectation());
    expect(v.ok).toBe(true);
    expect(v.probes).toMatchObject({ sent: 3, seen: 3, delivered: 3, answered: 3 });
  });
});
