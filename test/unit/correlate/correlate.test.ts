import { describe, expect, it } from 'vitest';
import { Correlator, CorrelationSession, fileTopology, type PacketPath } from '../../../src/correlate/index.js';
import { DIRECTION, LINKTYPE, type CaptureRecord } from '../../../src/model/record.js';
import type { Topology } from '../../../src/model/topology.js';
import { arp, ether, icmpFrame, ipv4, sll, udp, udpFrame, pattern } from '../../helpers/frames.js';
import { nsOf, rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints, sevenPoints, withUplink } from '../../helpers/topology.js';

const request = icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 0x4d2, id: 25, seq: 0 });
const reply = icmpFrame({ srcMac: MAC.web, dstMac: MAC.box, src: IP.web, dst: IP.box, ipId: 0x9a1, id: 25, seq: 0, reply: true });

/** Run records (in any order) through merge + correlate; return the paths. */
function correlate(topology: Topology, records: CaptureRecord[], options = {}): PacketPath[] {
  const paths: PacketPath[] = [];
  const s = new CorrelationSession(topology, (p) => paths.push(p), options);
  for (const r of records) s.push(r.point, r);
  s.finish();
  return paths;
}

function labels(p: PacketPath): string[] {
  return p.copies.map((c) => c.label);
}

describe('path order', () => {
  it('orders ties by topology, not by arrival or point index', () => {
    // Reply from web: vethB (index 3) and docker0 (index 2) share the ingress timestamp.
    const records = [rec(2, 1_000, reply), rec(4, 0, reply), rec(0, 20_000, reply), rec(1, 18_000, reply), rec(3, 1_000, reply)];
    const [p] = correlate(fivePoints(), records);
    expect(labels(p!)).toEqual(['web:eth0', 'host:vethB', 'host:docker0', 'host:vethA', 'box:eth0']);
    expect(p!.copies.map((c) => c.direction)).toEqual([DIRECTION.OUTBOUND, DIRECTION.INBOUND, DIRECTION.UNKNOWN, DIRECTION.OUTBOUND, DIRECTION.INBOUND]);
  });

  it('orders a path whose copies all carry the same timestamp', () => {
    const records = [4, 3, 2, 1, 0].map((pt) => rec(pt, 500, request));
    const [p] = correlate(fivePoints(), records);
    expect(labels(p!)).toEqual(['box:eth0', 'host:vethA', 'host:docker0', 'host:vethB', 'web:eth0']);
  });

  it('keeps input order for file points without topology', () => {
    const topo = fileTopology(['a.pcap', 'b.pcap', 'c.pcap']);
    const [p] = correlate(topo, [rec(2, 7, request), rec(0, 7, request), rec(1, 3, request)]);
    expect(labels(p!)).toEqual(['b.pcap', 'a.pcap', 'c.pcap']);
    expect(p!.complete).toBeNull();
    expect(p!.expected).toBeNull();
  });

  it('uses the recorded direction, and the cooked header, before inferring', () => {
    const cooked = sll(4, MAC.box, 0x0800, request.subarray(14));
    const r0: CaptureRecord = { ...rec(1, 10, cooked), linkType: LINKTYPE.LINUX_SLL };
    const r1 = rec(0, 5, request, DIRECTION.OUTBOUND);
    const [p] = correlate(fivePoints(), [r0, r1]);
    expect(p!.copies.map((c) => [c.label, c.direction, c.directionInferred])).toEqual([
      ['box:eth0', DIRECTION.OUTBOUND, false],
      ['host:vethA', DIRECTION.OUTBOUND, true], // the cooked header said outgoing
    ]);
  });
});

describe('hops', () => {
  const full = [rec(0, 0, request), rec(1, 4_300, request), rec(2, 4_300, request), rec(3, 21_100, request), rec(4, 22_700, request)];

  it('treats the bridge device copy as an observation, not a hop', () => {
    const [p] = correlate(fivePoints(), full);
    expect(p!.hopCount).toBe(4);
    expect(p!.copies.map((c) => [c.hop, c.deltaNs, c.observedAfterNs])).toEqual([
      [1, null, null],
      [2, 4_300, null],
      [0, null, 0],
      [3, 16_800, null],
      [4, 1_600, null],
    ]);
    expect(p!.complete).toBe(true);
    expect(p!.lost).toBeNull();
    expect(p!.expected).toEqual(['box:eth0', 'host:vethA', 'host:vethB', 'web:eth0']);
    expect(p!.summary).toBe('ICMP echo request 198.18.0.2 → 198.18.0.3 id=25 seq=0');
    expect([p!.protocol, p!.length]).toEqual(['ICMP', 98]);
    expect(p!.nat).toEqual([]);
    expect(p!.ttl).toEqual([]);
    expect(p!.flooded).toEqual([]);
  });

  it('locates a loss between the last point that saw the packet and the next expected one', () => {
    const [p] = correlate(fivePoints(), full.slice(0, 3));
    expect(p!.complete).toBe(false);
    expect(p!.lost).toEqual({ after: 'host:vethA', before: 'host:vethB' });
    expect(p!.notSeen).toEqual(['host:vethB', 'web:eth0']);
  });

  it('tells a capture gap from a loss', () => {
    const [p] = correlate(fivePoints(), [full[0]!, full[3]!, full[4]!]);
    expect(p!.lost).toBeNull();
    expect(p!.notSeen).toEqual(['host:vethA']);
    expect(p!.complete).toBe(false);
  });

  it('notes flooding and a loss on one branch of a broadcast', () => {
    const who = ether({ src: MAC.box, dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806 }, arp({ op: 1, senderMac: MAC.box, senderIp: IP.box, targetMac: '00:00:00:00:00:00', targetIp: IP.web }));
    const records = [rec(0, 0, who), rec(1, 100, who), rec(2, 100, who), rec(3, 900, who), rec(5, 950, who), rec(4, 1_200, who)];
    const [p] = correlate(sevenPoints(), records);
    expect(labels(p!)).toEqual(['box:eth0', 'host:vethA', 'host:docker0', 'host:vethB', 'host:vethC', 'web:eth0']);
    expect(p!.summary).toBe('ARP who-has 198.18.0.3 tell 198.18.0.2');
    expect(p!.flooded).toEqual(['host:vethB', 'host:vethC']);
    expect(p!.lost).toEqual({ after: 'host:vethC', before: 'db:eth0' });
    expect(p!.notSeen).toEqual(['db:eth0']);
  });
});

describe('a flooded frame is a tree', () => {
  // sevenPoints: 0 box:eth0, 1 host:vethA, 2 host:docker0, 3 host:vethB, 4 web:eth0, 5 host:vethC, 6 db:eth0.
  const who = ether({ src: MAC.box, dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806 }, arp({ op: 1, senderMac: MAC.box, senderIp: IP.box, targetMac: '00:00:00:00:00:00', targetIp: IP.web }));
  // The branch towards db leaves first, so in time order db:eth0 comes right before host:vethB.
  const all = [rec(0, 0, who), rec(1, 100, who), rec(2, 100, who), rec(5, 400, who), rec(6, 600, who), rec(3, 900, who), rec(4, 1_200, who)];
  const without = (...pts: number[]): CaptureRecord[] => all.filter((r) => !pts.includes(r.point));

  it('runs from the source to the ingress port, then branches per egress port, each with its own deltas', () => {
    const [p] = correlate(sevenPoints(), all);
    expect(p!.copies.map((c) => [c.label, c.branch, c.hop, c.deltaNs, c.observedAfterNs])).toEqual([
      ['box:eth0', null, 1, null, null],
      ['host:vethA', null, 2, 100, null],
      ['host:docker0', null, 0, null, 0],
      ['host:vethC', 'host:vethC', 3, 300, null], // from host:vethA, the ingress port
      ['db:eth0', 'host:vethC', 4, 200, null],
      ['host:vethB', 'host:vethB', 5, 800, null], // from host:vethA, not from db:eth0
      ['web:eth0', 'host:vethB', 6, 300, null],
    ]);
    expect(p!.hopCount).toBe(6);
    expect(p!.branches).toEqual([
      { port: 'host:vethC', points: ['host:vethC', 'db:eth0'], lost: null },
      { port: 'host:vethB', points: ['host:vethB', 'web:eth0'], lost: null },
    ]);
    expect(p!.flooded).toEqual(['host:vethC', 'host:vethB']);
    expect(p!.complete).toBe(true);
    expect(p!.losses).toEqual([]);
  });

  it('puts a loss at one namespace end on that branch only', () => {
    const [p] = correlate(sevenPoints(), without(6));
    expect(p!.losses).toEqual([{ after: 'host:vethC', before: 'db:eth0' }]);
    expect(p!.lost).toEqual({ after: 'host:vethC', before: 'db:eth0' });
    expect(p!.branches.map((b) => [b.port, b.lost])).toEqual([
      ['host:vethC', { after: 'host:vethC', before: 'db:eth0' }],
      ['host:vethB', null],
    ]);
    expect(p!.notSeen).toEqual(['db:eth0']);
    expect(p!.copies.find((c) => c.label === 'host:vethB')!.deltaNs).toBe(800);
  });

  it('keeps a branch that never left the bridge, lost after the ingress port', () => {
    const [p] = correlate(sevenPoints(), without(5, 6));
    expect(p!.flooded).toEqual([]); // it left through one port only
    expect(p!.branches).toEqual([
      { port: 'host:vethB', points: ['host:vethB', 'web:eth0'], lost: null },
      { port: 'host:vethC', points: ['host:vethC', 'db:eth0'], lost: { after: 'host:vethA', before: 'host:vethC' } },
    ]);
    expect(p!.losses).toEqual([{ after: 'host:vethA', before: 'host:vethC' }]);
    expect(p!.copies.map((c) => c.branch)).toEqual([null, null, null, 'host:vethB', 'host:vethB']);
  });

  it('tells a loss before the bridge once, on the trunk, not on every branch', () => {
    const [p] = correlate(sevenPoints(), without(1, 2, 3, 4, 5, 6));
    expect(p!.losses).toEqual([{ after: 'box:eth0', before: 'host:vethA' }]);
    expect(p!.branches.map((b) => [b.port, b.lost])).toEqual([
      ['host:vethB', null],
      ['host:vethC', null],
    ]);
  });

  it('measures a branch whose port copy is missing from the ingress port (a capture gap)', () => {
    const [p] = correlate(sevenPoints(), without(3));
    const web = p!.copies.find((c) => c.label === 'web:eth0')!;
    expect([web.branch, web.deltaNs]).toEqual(['host:vethB', 1_100]);
    expect(p!.lost).toBeNull();
    expect(p!.notSeen).toEqual(['host:vethB']);
  });

  it('makes a tree of a unicast frame the bridge flooded (destination not learnt yet)', () => {
    const [p] = correlate(sevenPoints(), [rec(0, 0, request), rec(1, 100, request), rec(2, 100, request), rec(5, 400, request), rec(6, 600, request), rec(3, 900, request), rec(4, 1_200, request)]);
    expect(p!.branches.map((b) => [b.port, b.lost])).toEqual([
      ['host:vethC', null],
      ['host:vethB', null],
    ]);
    expect(p!.copies.map((c) => c.deltaNs)).toEqual([null, 100, null, 300, 200, 800, 300]);
    expect(p!.complete).toBe(true);
  });

  it('leaves unicast paths, and a broadcast with one other port, as a line', () => {
    const [u] = correlate(sevenPoints(), [rec(0, 0, request), rec(1, 100, request), rec(2, 100, request), rec(3, 900, request), rec(4, 1_200, request)]);
    expect(u!.branches).toEqual([]);
    expect(u!.copies.every((c) => c.branch === null)).toBe(true);
    const [b] = correlate(fivePoints(), [rec(0, 0, who), rec(1, 100, who), rec(2, 100, who), rec(3, 900, who), rec(4, 1_200, who)]);
    expect(b!.branches).toEqual([]);
    expect(b!.copies.map((c) => [c.branch, c.deltaNs])).toEqual([[null, null], [null, 100], [null, null], [null, 800], [null, 300]]);
  });
});

describe('NAT across a router', () => {
  it('reports rewritten addresses, ports, TTL and MACs', () => {
    const out = udpFrame({ srcMac: MAC.box, dstMac: MAC.gateway, src: IP.box, dst: IP.remote, ipId: 77, sport: 40000, dport: 53 });
    const natted = udpFrame({ srcMac: MAC.uplink, dstMac: MAC.nextHop, src: IP.uplink, dst: IP.remote, ipId: 77, sport: 61000, dport: 53, ttl: 63 });
    const records = [rec(0, 0, out), rec(1, 3_000, out), rec(2, 3_000, out), rec(5, 30_000, natted)];
    const [p, ...rest] = correlate(withUplink(), records);
    expect(rest).toEqual([]);
    expect(labels(p!)).toEqual(['box:eth0', 'host:vethA', 'host:docker0', 'host:eth1']);
    expect(p!.nat).toEqual([{ after: 'host:docker0', before: 'host:eth1', side: 'src', from: '198.18.0.2:40000', to: '198.19.0.1:61000' }]);
    expect(p!.ttl).toEqual([{ after: 'host:docker0', before: 'host:eth1', from: 64, to: 63 }]);
    expect(p!.macRewrites).toEqual([
      { after: 'host:docker0', before: 'host:eth1', src: { from: MAC.box, to: MAC.uplink }, dst: { from: MAC.gateway, to: MAC.nextHop } },
    ]);
    expect(p!.copies[3]!.deltaNs).toBe(27_000); // from vethA, the last hop before
    expect(p!.complete).toBe(true); // to the host: box:eth0 and host:vethA were all it could expect
  });

  it('matches an ICMP echo whose id NAT rewrote', () => {
    const a = icmpFrame({ srcMac: MAC.box, dstMac: MAC.gateway, src: IP.box, dst: IP.remote, ipId: 5, id: 25, seq: 3 });
    const b = icmpFrame({ srcMac: MAC.uplink, dstMac: MAC.nextHop, src: IP.uplink, dst: IP.remote, ipId: 5, id: 1025, seq: 3, ttl: 63 });
    const [p, ...rest] = correlate(withUplink(), [rec(0, 0, a), rec(5, 10_000, b)]);
    expect(rest).toEqual([]);
    expect(p!.nat).toEqual([{ after: 'box:eth0', before: 'host:eth1', side: 'src', from: '198.18.0.2 id=25', to: '198.19.0.1 id=1025' }]);
  });

  it('does not match packets that differ in an invariant', () => {
    const a = udpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 1, sport: 1, dport: 2, payload: pattern(20, 0) });
    const b = udpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 1, sport: 1, dport: 2, payload: pattern(20, 1) });
    const c = udpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 2, sport: 1, dport: 2, payload: pattern(20, 0) });
    expect(correlate(fivePoints(), [rec(0, 0, a), rec(1, 10, b), rec(3, 20, c)])).toHaveLength(3);
  });
});

describe('grouping', () => {
  it('makes two paths of an identical retransmission', () => {
    const t2 = 200_000_000;
    const records = [0, 1, 2, 3, 4].flatMap((pt) => [rec(pt, pt * 1_000, request), rec(pt, t2 + pt * 1_000, request)]);
    const paths = correlate(fivePoints(), records);
    expect(paths.map((p) => [p.id, p.copies.length, nsOf(p.copies[0]!.ts)])).toEqual([
      [1, 5, 0],
      [2, 5, t2],
    ]);
  });

  it('sends a retransmission to its own path when the first copy was lost', () => {
    const t2 = 200_000_000;
    const records = [rec(0, 0, request), rec(1, 4_000, request), rec(0, t2, request), rec(1, t2 + 4_000, request), rec(3, t2 + 20_000, request), rec(4, t2 + 21_000, request)];
    const paths = correlate(fivePoints(), records);
    expect(paths.map((p) => [p.id, labels(p).length, p.lost])).toEqual([
      [1, 2, { after: 'host:vethA', before: 'host:vethB' }],
      [2, 4, null],
    ]);
  });

  it('does not join copies further apart than the window', () => {
    const paths = correlate(fivePoints(), [rec(0, 0, request), rec(1, 2_000_000, request)], { windowNs: 1_000_000 });
    expect(paths).toHaveLength(2);
  });

  it('merges streams that arrive out of order into paths in time order', () => {
    const paths: PacketPath[] = [];
    const s = new CorrelationSession(fivePoints(), (p) => paths.push(p), { windowNs: 1_000_000 });
    const pings = Array.from({ length: 5 }, (_, seq) => icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 100 + seq, id: 25, seq }));
    const at = (seq: number, pt: number, d: number): CaptureRecord => rec(pt, seq * 10_000_000 + d, pings[seq]);
    // web:eth0 delivers its whole batch first, the bridge last; each stream in its own order.
    s.pushBatch(4, pings.map((_, q) => at(q, 4, 22_700)));
    s.release();
    expect(paths).toHaveLength(0);
    s.pushBatch(3, pings.map((_, q) => at(q, 3, 21_100)));
    s.pushBatch(0, pings.map((_, q) => at(q, 0, 0)));
    s.pushBatch(1, pings.map((_, q) => at(q, 1, 4_300)));
    s.release();
    expect(paths).toHaveLength(0); // docker0 has said nothing yet
    s.pushBatch(2, pings.map((_, q) => at(q, 2, 4_300)));
    s.release();
    expect(paths.length).toBeGreaterThan(0);
    [0, 1, 2, 3, 4].forEach((pt) => s.end(pt));
    s.finish();
    expect(paths.map((p) => p.id)).toEqual([1, 2, 3, 4, 5]);
    expect(paths.map((p) => p.copies[0]!.frame.icmpSeq)).toEqual([0, 1, 2, 3, 4]);
    for (const p of paths) expect(labels(p)).toEqual(['box:eth0', 'host:vethA', 'host:docker0', 'host:vethB', 'web:eth0']);
  });

  it('keeps the number of open groups bounded over 1,000,000 packets', () => {
    let paths = 0;
    let copies = 0;
    const s = new CorrelationSession(fivePoints(), (p) => {
      paths++;
      copies += p.copies.length;
    }, { windowNs: 1_000_000 });
    const template = udpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 0, sport: 40000, dport: 9, payload: pattern(18) });
    const batch0: CaptureRecord[] = [];
    const batch1: CaptureRecord[] = [];
    [2, 3, 4].forEach((pt) => s.end(pt));
    const N = 1_000_000;
    for (let i = 0; i < N; i++) {
      const frame = Uint8Array.from(template);
      frame[18] = (i >> 8) & 255; // IP ID
      frame[19] = i & 255;
      frame[42] = (i >> 16) & 255; // payload
      const t = i * 3_000; // ~330 k packets/s, the fastest generator measured here
      batch0.push(rec(0, t, frame));
      batch1.push(rec(1, t + 4_300, frame));
      if (batch0.length === 1000) {
        s.pushBatch(0, batch0.splice(0));
        s.pushBatch(1, batch1.splice(0));
        s.release();
      }
    }
    s.pushBatch(0, batch0);
    s.pushBatch(1, batch1);
    s.finish();
    expect(paths).toBe(N);
    expect(copies).toBe(2 * N);
    // 1 ms window / 3 µs apart ≈ 334 packets open, plus one batch held by the merge.
    expect(s.stats.correlate.maxOpenGroups).toBeLessThan(400);
    expect(s.stats.correlate.openGroups).toBe(0);
    expect(s.stats.merge.maxBuffered).toBeLessThanOrEqual(4_000);
  });
});

describe('Correlator directly', () => {
  it('emits when time passes the window, in id order', () => {
    const paths: PacketPath[] = [];
    const c = new Correlator(fivePoints(), (p) => paths.push(p), { windowNs: 1_000 });
    const other = ether({ src: MAC.web, dst: MAC.box, type: 0x0800 }, ipv4({ src: IP.web, dst: IP.box, proto: 17, id: 3 }, udp(1, 2, pattern(4))));
    c.push(rec(0, 0, request));
    c.push(rec(4, 10, other));
    c.push(rec(1, 500, request));
    expect(paths).toHaveLength(0);
    c.advance(rec(0, 1_005));
    expect(paths.map((p) => p.id)).toEqual([1]);
    c.advance(rec(0, 1_011));
    expect(paths.map((p) => p.id)).toEqual([1, 2]);
    expect(c.stats).toMatchObject({ records: 3, paths: 2, openGroups: 0, maxOpenGroups: 2 });
  });

  it('rejects a record from an unknown point', () => {
    const c = new Correlator(fivePoints(), () => undefined);
    expect(() => c.push(rec(9, 0, request))).toThrow(/capture point 9/);
    expect(() => new Correlator(fivePoints(), () => undefined, { windowNs: 0 })).toThrow(/window/);
  });

  it('correlates truncated copies consistently', () => {
    const cut = request.subarray(0, 40);
    const paths: PacketPath[] = [];
    const c = new Correlator(fivePoints(), (p) => paths.push(p));
    c.push(rec(0, 0, cut));
    c.push(rec(1, 10, cut));
    c.end();
    expect(paths).toHaveLength(1);
    expect(paths[0]!.summary).toMatch(/\[\|icmp\]$/);
  });
});

describe('live release', () => {
  it('emits paths while a point stays silent, once the idle bound has passed', () => {
    const paths: PacketPath[] = [];
    const s = new CorrelationSession(fivePoints(), (p) => paths.push(p), { windowNs: 1_000_000, idleNs: 5_000_000 });
    s.push(0, rec(0, 0, request));
    s.push(1, rec(1, 4_300, request));
    s.release(rec(0, 2_000_000)); // now = 2 ms: the silent points might still deliver
    expect(paths).toHaveLength(0);
    s.release(rec(0, 10_000_000)); // now = 10 ms: past idle bound and window
    expect(paths.map((p) => labels(p))).toEqual([['box:eth0', 'host:vethA']]);
    expect(paths[0]!.lost).toEqual({ after: 'host:vethA', before: 'host:vethB' });
  });
});
