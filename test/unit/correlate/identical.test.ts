import { describe, expect, it } from 'vitest';
import { Correlator, CorrelationSession, fileTopology, type PacketPath } from '../../../src/correlate/index.js';
import type { CaptureRecord } from '../../../src/model/record.js';
import type { Topology } from '../../../src/model/topology.js';
import { pattern, udpFrame } from '../../helpers/frames.js';
import { nsOf, rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints } from '../../helpers/topology.js';

/** One UDP frame box → web; every packet of a burst is these bytes (same IP ID, same payload). */
const same = udpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 4242, sport: 40000, dport: 9, payload: pattern(18) });

const BOX = 0;
const VETH_A = 1;
const BRIDGE = 2;
const VETH_B = 3;
const WEB = 4;
const IN_ORDER = ['box:eth0', 'host:vethA', 'host:docker0', 'host:vethB', 'web:eth0'];

/**
 * Packet k of a burst at each point: sent every 3 µs (trafgen's top rate), bridge port
 * 4.3 µs later, the bridge device with the same timestamp, the egress port 40 µs later
 * (a queue under load: a dozen identical packets in flight across the bridge) and the
 * namespace 1.6 µs after that. A few ns of jitter per packet, so no two copies tie.
 */
const AT: Record<number, number> = { [BOX]: 0, [VETH_A]: 4_300, [BRIDGE]: 4_300, [VETH_B]: 44_300, [WEB]: 45_900 };
const SPACING = 3_000;

function burst(n: number, skip: (k: number, point: number) => boolean = () => false, start = 0): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  for (let k = 0; k < n; k++) {
    for (const point of [BOX, VETH_A, BRIDGE, VETH_B, WEB]) {
      if (!skip(k, point)) out.push(rec(point, start + k * SPACING + AT[point]! + (k % 7), same));
    }
  }
  return out;
}

/** Through merge + correlate, as trace and merge run it. */
function correlate(topology: Topology, records: CaptureRecord[]): { paths: PacketPath[]; session: CorrelationSession } {
  const paths: PacketPath[] = [];
  const session = new CorrelationSession(topology, (p) => paths.push(p), { windowNs: 1_000_000_000 });
  for (const r of records) session.push(r.point, r);
  session.finish();
  return { paths, session };
}

const labels = (p: PacketPath): string[] => p.copies.map((c) => c.label);

/** Every record in exactly one path: each copy object is one of the records fed in, none twice. */
function expectEachCopyOnce(paths: PacketPath[], records: CaptureRecord[]): void {
  const fed = new Set(records);
  const seen = new Set<CaptureRecord>();
  for (const p of paths) {
    for (const c of p.copies) {
      expect(fed.has(c.record)).toBe(true);
      expect(seen.has(c.record)).toBe(false);
      seen.add(c.record);
    }
  }
  expect(seen.size).toBe(records.length);
}

describe('a burst of byte-identical packets', () => {
  it('gives the k-th copy at each point to the k-th packet: every path in topology order, with its real hop latencies', () => {
    const records = burst(200);
    const { paths, session } = correlate(fivePoints(), records);
    expect(paths).toHaveLength(200);
    expectEachCopyOnce(paths, records);
    paths.forEach((p, k) => {
      expect(labels(p)).toEqual(IN_ORDER);
      expect(p.complete).toBe(true);
      // The k-th packet's own copies: the first one's time, and the real latencies (jitter cancels).
      expect(nsOf(p.copies[0]!.ts)).toBe(k * SPACING + (k % 7));
      expect(p.copies.map((c) => c.deltaNs)).toEqual([null, 4_300, null, 40_000, 1_600]);
      expect(p.ambiguousAt).toEqual([]);
    });
    expect(session.stats.correlate.ambiguous).toBe(0);
  });

  it('names the points where a packet lost in the middle of the burst leaves a path without a copy that identical packets made uncertain', () => {
    // Packet 10 of 20 dies on the bridge: no copy at vethB or web.
    const records = burst(20, (k, point) => k === 10 && (point === VETH_B || point === WEB));
    const { paths, session } = correlate(fivePoints(), records);
    expect(paths).toHaveLength(20);
    expectEachCopyOnce(paths, records);
    for (const p of paths) expect(labels(p)).toEqual(IN_ORDER.filter((l) => labels(p).includes(l)));
    const incomplete = paths.filter((p) => p.complete !== true);
    expect(incomplete).toHaveLength(1);
    // Which of the identical packets was lost cannot be told: the path that came up short says so.
    expect(incomplete[0]!.ambiguousAt).toEqual(['host:vethB', 'web:eth0']);
    expect(incomplete[0]!.notSeen).toEqual(['host:vethB', 'web:eth0']);
    for (const p of paths) if (p !== incomplete[0]) expect(p.ambiguousAt).toEqual([]);
    expect(session.stats.correlate.ambiguous).toBe(1);
  });

  it('does not flag a packet lost alone, with no identical packet around', () => {
    const records = burst(1, (_, point) => point === VETH_B || point === WEB);
    const { paths, session } = correlate(fivePoints(), records);
    expect(paths.map((p) => [labels(p), p.ambiguousAt])).toEqual([[IN_ORDER.slice(0, 3), []]]);
    expect(session.stats.correlate.ambiguous).toBe(0);
  });

  it('gives a retransmission 300 ms after a loss its own complete path, not the lost packet\'s', () => {
    // The first packet dies on the bridge; the identical retransmission goes through.
    const records = [...burst(1, (_, point) => point === VETH_B || point === WEB), ...burst(1, () => false, 300_000_000)];
    const { paths } = correlate(fivePoints(), records);
    expect(paths.map((p) => [labels(p), p.complete, p.lost, p.ambiguousAt])).toEqual([
      [IN_ORDER.slice(0, 3), false, { after: 'host:vethA', before: 'host:vethB' }, []],
      [IN_ORDER, true, null, []],
    ]);
    expect(paths[1]!.copies.map((c) => c.deltaNs)).toEqual([null, 4_300, null, 40_000, 1_600]);
  });

  it('matches first in, first out through a queue that holds identical packets for longer than the 50 ms stale bound', () => {
    // 100 packets 1 ms apart wait 80 ms between the bridge ports (a shaped link): each
    // copy at vethB comes 80 ms after its packet's last copy, with newer packets waiting.
    const records: CaptureRecord[] = [];
    for (let k = 0; k < 100; k++) {
      const t = k * 1_000_000;
      records.push(rec(BOX, t, same), rec(VETH_A, t + 4_300, same), rec(BRIDGE, t + 4_300, same), rec(VETH_B, t + 80_004_300, same), rec(WEB, t + 80_005_900, same));
    }
    records.sort((a, b) => nsOf(a) - nsOf(b));
    const { paths, session } = correlate(fivePoints(), records);
    expect(paths).toHaveLength(100);
    paths.forEach((p, k) => {
      expect(nsOf(p.copies[0]!.ts)).toBe(k * 1_000_000);
      expect(p.copies.map((c) => c.deltaNs)).toEqual([null, 4_300, null, 80_000_000, 1_600]);
    });
    expect(session.stats.correlate.ambiguous).toBe(0);
  });

  it('never puts a copy after a copy further down the path that is stamped before it', () => {
    // One packet whose web:eth0 copy is stamped before its vethB copy (a capture clock
    // gone wrong): the vethB copy cannot belong to the same trip.
    const records = [rec(BOX, 0, same), rec(VETH_A, 4_300, same), rec(WEB, 10_000, same), rec(VETH_B, 20_000, same)];
    const { paths } = correlate(fivePoints(), records);
    expect(paths.map(labels)).toEqual([['box:eth0', 'host:vethA', 'web:eth0'], ['host:vethB']]);
  });

  it('leaves the bridge device out of the order: its copy may come after the egress port\'s', () => {
    const records = [rec(BOX, 0, same), rec(VETH_A, 4_300, same), rec(VETH_B, 21_100, same), rec(WEB, 22_700, same), rec(BRIDGE, 25_000, same)];
    const { paths } = correlate(fivePoints(), records);
    expect(paths).toHaveLength(1);
    expect(paths[0]!.copies.map((c) => c.point).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('pairs identical copies first in, first out where there is no topology (plain files)', () => {
    const topology = fileTopology(['a.pcap', 'b.pcap']);
    const records = [rec(0, 0, same), rec(0, 1_000, same), rec(1, 2_000, same), rec(1, 3_000, same)];
    const { paths } = correlate(topology, records);
    expect(paths.map((p) => p.copies.map((c) => nsOf(c.ts)))).toEqual([
      [0, 2_000],
      [1_000, 3_000],
    ]);
  });

  it('stays linear: 4 × as many identical packets take about 4 × as long, not 16 ×', () => {
    // Two of five points see them, so every group stays open for the whole window: the
    // old walk over the open groups of a key visited each of them for every record.
    const cpuMs = (n: number): number => {
      let best = Infinity;
      for (let run = 0; run < 2; run++) {
        let paths = 0;
        const c = new Correlator(fivePoints(), () => paths++, { windowNs: 1_000_000_000 });
        const records: CaptureRecord[] = [];
        for (let k = 0; k < n; k++) records.push(rec(BOX, k * 1_000, same), rec(VETH_A, k * 1_000 + 500, same));
        const t0 = process.cpuUsage();
        for (const r of records) c.push(r);
        c.end();
        const t = process.cpuUsage(t0);
        best = Math.min(best, (t.user + t.system) / 1000);
        expect(paths).toBe(n);
        expect(c.stats.maxOpenGroups).toBe(n);
      }
      return best;
    };
    cpuMs(2_000); // warm-up
    const small = cpuMs(10_000);
    const large = cpuMs(40_000);
    expect(large / small).toBeLessThan(10);
  });
});
