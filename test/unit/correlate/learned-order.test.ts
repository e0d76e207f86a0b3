import { describe, expect, it } from 'vitest';
import { CorrelationSession, LearnedOrder, OrderLearner, fileTopology, type OrderReport, type PacketPath } from '../../../src/correlate/index.js';
import { LINKTYPE, type CaptureRecord } from '../../../src/model/record.js';
import type { Topology } from '../../../src/model/topology.js';
import { icmpFrame, icmpEcho, ipv4, pattern } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints } from '../../helpers/topology.js';

/**
 * Ties without a topology: five plain files (role 'file') of the same pings, one per point
 * of a lab. The bridge device's copy carries its ingress port's timestamp: h0's for a
 * request, h1's for a reply. The order of points is learned from the captures.
 */
const BOX = 'box:eth0';
const H0 = 'host:h0';
const BR = 'host:br';
const H1 = 'host:h1';
const WEB = 'web:eth0';
const PATH_ORDER = [BOX, H0, BR, H1, WEB];
const REQUEST = [BOX, H0, BR, H1, WEB];
const REPLY = [WEB, H1, BR, H0, BOX];
/** The bridge first: the command line's order put it before either port. */
const SCRAMBLED = [BR, WEB, H1, BOX, H0];

interface Hop {
  at: string;
  ns: number;
}

/** Offsets (ns) of each point's copy of request k and reply k; the bridge ties with the ingress port. */
function requestHops(k: number): Hop[] {
  return [
    { at: BOX, ns: 0 },
    { at: H0, ns: 7_000 + k * 100 },
    { at: BR, ns: 7_000 + k * 100 },
    { at: H1, ns: 30_000 },
    { at: WEB, ns: 33_000 },
  ];
}
function replyHops(k: number): Hop[] {
  return [
    { at: WEB, ns: 60_000 },
    { at: H1, ns: 61_000 + k * 10 },
    { at: BR, ns: 61_000 + k * 10 },
    { at: H0, ns: 64_000 },
    { at: BOX, ns: 65_000 },
  ];
}

/** Records of `count` pings (every 1 ms) at the points named in `labels` (file order = point index). */
function pings(labels: readonly string[], count: number, { replies = true, hops = { request: requestHops, reply: replyHops } } = {}): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (let k = 0; k < count; k++) {
    const base = k * 1_000_000;
    const req = icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 100 + k, id: 7, seq: k });
    for (const h of hops.request(k)) if (labels.includes(h.at)) out.push(rec(labels.indexOf(h.at), base + h.ns, req));
    if (!replies) continue;
    const rep = icmpFrame({ srcMac: MAC.web, dstMac: MAC.box, src: IP.web, dst: IP.box, ipId: 900 + k, id: 7, seq: k, reply: true });
    for (const h of hops.reply(k)) if (labels.includes(h.at)) out.push(rec(labels.indexOf(h.at), base + h.ns, rep));
  }
  return out;
}

function correlate(topology: Topology, records: readonly CaptureRecord[], learnedOrder?: LearnedOrder): PacketPath[] {
  const paths: PacketPath[] = [];
  const s = new CorrelationSession(topology, (p) => paths.push(p), learnedOrder ? { learnedOrder } : {});
  for (const r of records) s.push(r.point, r);
  s.finish();
  return paths;
}

/** What a merge without a topology does: learn from a throwaway correlation of `learnFrom`, then merge `records`. */
function learnThenMerge(labels: readonly string[], records: readonly CaptureRecord[], learnFrom = records): { paths: PacketPath[]; order: OrderReport; learned: LearnedOrder } {
  const topology = fileTopology(labels);
  const learner = new OrderLearner(labels);
  correlate(topology, learnFrom).forEach(learner.observe);
  const learned = learner.result();
  const paths = correlate(topology, records, learned);
  return { paths, order: learned.report(), learned };
}

const labelsOf = (p: PacketPath): string[] => p.copies.map((c) => c.label);
const isRequest = (p: PacketPath): boolean => p.summary.includes('request');

describe('order learned from the captures (no topology)', () => {
  it.each([
    ['in path order', PATH_ORDER],
    ['scrambled, the bridge first', SCRAMBLED],
    ['reversed', [...PATH_ORDER].reverse()],
  ])('files %s: requests box → h0 → br → h1 → web, replies web → h1 → br → h0 → box', (_name, labels) => {
    const { paths, order } = learnThenMerge(labels, pings(labels, 5));
    expect(paths).toHaveLength(10);
    for (const p of paths) expect(labelsOf(p)).toEqual(isRequest(p) ? REQUEST : REPLY);
    expect(paths.filter(isRequest)).toHaveLength(5);
    expect(order).toEqual({ learned: true, directions: 2, unresolved: [] });
  });

  it('without learning, the scrambled command line puts the bridge before its ingress port (what the learning fixes)', () => {
    const paths = correlate(fileTopology(SCRAMBLED), pings(SCRAMBLED, 5));
    expect(labelsOf(paths.find(isRequest)!)).toEqual([BOX, BR, H0, H1, WEB]);
    expect(labelsOf(paths.find((p) => !isRequest(p))!)).toEqual([WEB, BR, H1, H0, BOX]);
  });

  it('learns from the first pings only, and orders later ones the same way', () => {
    const all = pings(SCRAMBLED, 40);
    const { paths, order } = learnThenMerge(SCRAMBLED, all, all.slice(0, 20));
    expect(paths).toHaveLength(80);
    for (const p of paths) expect(labelsOf(p)).toEqual(isRequest(p) ? REQUEST : REPLY);
    expect(order.learned).toBe(true);
  });

  it('a bridge copy sometimes stamped after the egress port: still an observer, ties still after the ingress port', () => {
    // Request 3's bridge copy comes 2 µs after h1's: no tie there, and time decides.
    const late = (k: number): Hop[] => requestHops(k).map((h) => (k === 3 && h.at === BR ? { at: BR, ns: 32_000 } : h));
    const labels = SCRAMBLED;
    const { paths, order } = learnThenMerge(labels, pings(labels, 8, { hops: { request: late, reply: replyHops } }));
    for (const p of paths) {
      const lateOne = isRequest(p) && p.summary.includes('seq=3');
      expect(labelsOf(p)).toEqual(lateOne ? [BOX, H0, H1, BR, WEB] : isRequest(p) ? REQUEST : REPLY);
    }
    expect(order.learned).toBe(true);
  });

  it('frames without MACs (raw IP): the IP pair is the direction', () => {
    const labels = SCRAMBLED;
    const raw = pings(labels, 4).map((r): CaptureRecord => ({ ...r, data: r.data.subarray(14), linkType: LINKTYPE.RAW, origLen: r.origLen - 14 }));
    const { paths, order } = learnThenMerge(labels, raw);
    for (const p of paths) expect(labelsOf(p)).toEqual(isRequest(p) ? REQUEST : REPLY);
    expect(order).toEqual({ learned: true, directions: 2, unresolved: [] });
  });

  it('one direction only: the bridge and its ingress port always tie, nothing tells them apart, so the command line decides and the pair is reported', () => {
    const labels = SCRAMBLED;
    const { paths, order } = learnThenMerge(labels, pings(labels, 6, { replies: false }));
    expect(paths).toHaveLength(6);
    // box, then h0/br in command-line order (br is listed first), then h1, web: the learned precedence still holds.
    for (const p of paths) expect(labelsOf(p)).toEqual([BOX, BR, H0, H1, WEB]);
    expect(order).toEqual({ learned: false, directions: 1, unresolved: [[BR, H0]] });
  });

  it('nothing learned: ties keep the command-line order and every tied pair is reported', () => {
    const labels = SCRAMBLED;
    const learned = LearnedOrder.empty(labels);
    const paths = correlate(fileTopology(labels), pings(labels, 2), learned);
    expect(labelsOf(paths.find(isRequest)!)).toEqual([BOX, BR, H0, H1, WEB]);
    expect(learned.report()).toEqual({ learned: false, directions: 0, unresolved: [[BR, H1], [BR, H0]] });
  });

  it('a direction the pre-pass never saw falls back, and says so', () => {
    const labels = SCRAMBLED;
    const all = pings(labels, 6);
    const requestsOnly = all.filter((r) => r.data[0] === 0x02 && r.data[5] === 0x03);
    const { paths, order } = learnThenMerge(labels, all, requestsOnly);
    expect(labelsOf(paths.find((p) => !isRequest(p))!)).toEqual([WEB, BR, H1, H0, BOX]);
    expect(order.learned).toBe(false);
    expect(order.unresolved).toContainEqual([BR, H1]);
  });

  it('a pair that never ties is not reported, even when nothing orders it', () => {
    // Two files, distinct timestamps: no tie, nothing to fall back on.
    const labels = ['a', 'b'];
    const f = ipv4({ src: IP.box, dst: IP.web, proto: 1, id: 5 }, icmpEcho(8, 1, 1, pattern(8)));
    const records: CaptureRecord[] = [{ ...rec(1, 0, f), linkType: LINKTYPE.RAW }, { ...rec(0, 10, f), linkType: LINKTYPE.RAW }];
    const { paths, order } = learnThenMerge(labels, records);
    expect(labelsOf(paths[0]!)).toEqual(['b', 'a']);
    expect(order).toEqual({ learned: true, directions: 1, unresolved: [] });
  });

  it('a topology keeps its own rules: a learned order is ignored', () => {
    // Learned from files where br ties after... anything: the topology's ranks still decide.
    const topo = fivePoints();
    const learner = new OrderLearner(topo.points.map((p) => p.label));
    const reply = icmpFrame({ srcMac: MAC.web, dstMac: MAC.box, src: IP.web, dst: IP.box, ipId: 1, id: 1, seq: 1, reply: true });
    // Evidence that docker0 (2) comes before vethB (3) in this direction.
    correlate(fileTopology(topo.points.map((p) => p.label)), [rec(4, 0, reply), rec(2, 5, reply), rec(3, 9, reply)]).forEach(learner.observe);
    const learned = learner.result();
    const [p] = correlate(topo, [rec(2, 1_000, reply), rec(4, 0, reply), rec(0, 20_000, reply), rec(1, 18_000, reply), rec(3, 1_000, reply)], learned);
    expect(labelsOf(p!)).toEqual(['web:eth0', 'host:vethB', 'host:docker0', 'host:vethA', 'box:eth0']);
    expect(learned.report().unresolved).toEqual([]);
  });
});
