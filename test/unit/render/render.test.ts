import { describe, expect, it } from 'vitest';
import { CorrelationSession, type PacketPath } from '../../../src/correlate/index.js';
import type { CaptureRecord } from '../../../src/model/record.js';
import type { Topology } from '../../../src/model/topology.js';
import {
  SummaryCollector,
  TimelineRenderer,
  formatClock,
  formatDuration,
  packetComment,
  pathToJson,
  renderPathJson,
  renderSummaryText,
} from '../../../src/render/index.js';
import { arp, ether, icmpFrame, udpFrame } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints, sevenPoints, withUplink } from '../../helpers/topology.js';
import { encodePacketComment } from '../../../src/render/comment.js';
import { findingText } from '../../../src/render/findings.js';
import { pathFindings } from '../../../src/correlate/findings.js';
import { TopologyIndex } from '../../../src/correlate/topology-index.js';
import { judgePath, markAfterStop } from '../../../src/correlate/verdict.js';

function correlate(topology: Topology, records: CaptureRecord[]): PacketPath[] {
  const paths: PacketPath[] = [];
  const s = new CorrelationSession(topology, (p) => paths.push(p));
  for (const r of records) s.push(r.point, r);
  s.finish();
  return paths;
}

const ping = (seq: number, reply = false): Uint8Array =>
  reply
    ? icmpFrame({ srcMac: MAC.web, dstMac: MAC.box, src: IP.web, dst: IP.box, ipId: 0x700 + seq, id: 25, seq, reply: true })
    : icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 0x100 + seq, id: 25, seq });

/** A small session: two pings (the second request lost after the bridge), an ARP exchange. */
function bridgeScenario(): PacketPath[] {
  const S = 1_000_000_000; // second ping one second later
  const who = ether({ src: MAC.box, dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806 }, arp({ op: 1, senderMac: MAC.box, senderIp: IP.box, targetMac: '00:00:00:00:00:00', targetIp: IP.web }));
  const isAt = ether({ src: MAC.web, dst: MAC.box, type: 0x0806 }, arp({ op: 2, senderMac: MAC.web, senderIp: IP.web, targetMac: MAC.box, targetIp: IP.box }));
  return correlate(fivePoints(), [
    rec(0, 0, who), rec(1, 3_100, who), rec(2, 3_100, who), rec(3, 9_000, who), rec(4, 10_200, who),
    rec(4, 60_000, isAt), rec(3, 61_500, isAt), rec(2, 61_500, isAt), rec(1, 75_000, isAt), rec(0, 76_100, isAt),
    rec(0, 100_000, ping(0)), rec(1, 104_300, ping(0)), rec(2, 104_300, ping(0)), rec(3, 121_100, ping(0)), rec(4, 122_700, ping(0)),
    rec(4, 140_000, ping(0, true)), rec(3, 140_000, ping(0, true)), rec(1, 150_000, ping(0, true)), rec(2, 152_000, ping(0, true)), rec(0, 151_200, ping(0, true)),
    rec(0, S + 100_000, ping(1)), rec(1, S + 104_900, ping(1)), rec(2, S + 104_900, ping(1)),
  ]);
}

function natScenario(): PacketPath[] {
  const out = udpFrame({ srcMac: MAC.box, dstMac: MAC.gateway, src: IP.box, dst: IP.remote, ipId: 77, sport: 40000, dport: 53 });
  const natted = udpFrame({ srcMac: MAC.uplink, dstMac: MAC.nextHop, src: IP.uplink, dst: IP.remote, ipId: 77, sport: 61000, dport: 53, ttl: 63 });
  return correlate(withUplink(), [rec(0, 0, out), rec(1, 3_000, out), rec(2, 3_000, out), rec(5, 30_000, natted)]);
}

/**
 * ARP broadcasts from box through docker0 to web and db (sevenPoints): #1 reaches both,
 * the branch towards db leaving first; #2 never reaches db:eth0; #3 never leaves
 * through host:vethC.
 */
function floodScenario(): PacketPath[] {
  const who = (ip: string) => ether({ src: MAC.box, dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806 }, arp({ op: 1, senderMac: MAC.box, senderIp: IP.box, targetMac: '00:00:00:00:00:00', targetIp: ip }));
  const S = 1_000_000;
  const a = who(IP.web);
  const b = who(IP.db);
  const c = who('198.18.0.9');
  return correlate(sevenPoints(), [
    rec(0, 0, a), rec(1, 100, a), rec(2, 100, a), rec(5, 400, a), rec(6, 600, a), rec(3, 900, a), rec(4, 1_200, a),
    rec(0, S, b), rec(1, S + 100, b), rec(2, S + 100, b), rec(3, S + 500, b), rec(5, S + 700, b), rec(4, S + 900, b),
    rec(0, 2 * S, c), rec(1, 2 * S + 100, c), rec(2, 2 * S + 100, c), rec(3, 2 * S + 600, c), rec(4, 2 * S + 800, c),
  ]);
}

describe('a flooded frame', () => {
  it('shows each branch under the trunk, with its own latencies and losses', () => {
    const [full, lostAtDb, lostAtPort] = floodScenario().map((p) => new TimelineRenderer(sevenPoints(), { timeZone: 'utc' }).render(p).split('\n'));
    const row = (lines: string[], label: string) => lines.find((l) => l.includes(` ${label} `))!;
    // Tree glyphs: the first copy of each branch opens it, the last branch closes the tree.
    expect(row(full!, 'host:vethC')).toMatch(/^    ├─ +\+300 ns  host:vethC /);
    expect(row(full!, 'db:eth0')).toMatch(/^    │ +\+200 ns  db:eth0 .*delivered$/);
    expect(row(full!, 'host:vethB')).toMatch(/^    └─ +\+800 ns  host:vethB /);
    expect(row(full!, 'web:eth0')).toMatch(/^ {6} +\+300 ns  web:eth0 .*delivered$/);
    expect(full!.indexOf(row(full!, 'db:eth0'))).toBeLessThan(full!.indexOf(row(full!, 'host:vethB')));
    // The loss is told inside its branch (the last one here), once, right after its last copy.
    const lost = lostAtDb!.filter((l) => l.includes('lost between'));
    expect(lost).toEqual(['       lost between host:vethC and db:eth0']);
    expect(lostAtDb!.indexOf(lost[0]!)).toBe(lostAtDb!.indexOf(row(lostAtDb!, 'host:vethC')) + 1);
    // A branch that saw nothing is a line of its own, after the branches that saw the frame.
    expect(lostAtPort!.filter((l) => l.includes('lost between'))).toEqual(['    └─ lost between host:vethA and host:vethC']);
    expect(row(lostAtPort!, 'host:vethB')).toMatch(/^    ├─ /);
  });

  it('renders the flood scenario, plain, UTC', async () => {
    const r = new TimelineRenderer(sevenPoints(), { timeZone: 'utc' });
    await expect(floodScenario().map((p) => r.render(p)).join('')).toMatchFileSnapshot('./__golden__/flood-timeline.txt');
  });

  it('adds to the summary only hop pairs that exist, never one across branches', () => {
    const s = new SummaryCollector(sevenPoints());
    for (const p of floodScenario()) s.add(p);
    const r = s.result();
    const pairs = r.hops.map((h) => `${h.from}→${h.to}`).sort();
    expect(pairs).toEqual(['box:eth0→host:vethA', 'host:vethA→host:vethB', 'host:vethA→host:vethC', 'host:vethB→web:eth0', 'host:vethC→db:eth0'].sort());
    expect(r.hops.find((h) => h.from === 'host:vethA' && h.to === 'host:vethB')).toMatchObject({ count: 3, minNs: 400, maxNs: 800 });
    expect(r.hops.find((h) => h.from === 'host:vethA' && h.to === 'host:vethC')).toMatchObject({ count: 2, minNs: 300, maxNs: 600 });
    expect(r).toMatchObject({ paths: 3, complete: 1, incomplete: 2, lost: 2 });
  });

  it('carries the tree in NDJSON, the same from both renderers', () => {
    const paths = floodScenario();
    for (const p of paths) expect(JSON.parse(renderPathJson(p))).toEqual(pathToJson(p));
    const full = JSON.parse(renderPathJson(paths[0]!)) as ReturnType<typeof pathToJson>;
    expect(full.hops.map((h) => [h.point, h.branch, h.hop, h.deltaNs])).toEqual([
      ['box:eth0', null, 1, null],
      ['host:vethA', null, 2, 100],
      ['host:docker0', null, 0, null],
      ['host:vethC', 'host:vethC', 3, 300],
      ['db:eth0', 'host:vethC', 4, 200],
      ['host:vethB', 'host:vethB', 5, 800],
      ['web:eth0', 'host:vethB', 6, 300],
    ]);
    expect(full.branches).toEqual([
      { port: 'host:vethC', points: ['host:vethC', 'db:eth0'], lost: null },
      { port: 'host:vethB', points: ['host:vethB', 'web:eth0'], lost: null },
    ]);
    const lost = pathToJson(paths[1]!);
    expect(lost.branches.map((b) => b.lost)).toEqual([null, { after: 'host:vethC', before: 'db:eth0' }]);
    expect(lost.losses).toEqual([{ after: 'host:vethC', before: 'db:eth0' }]);
  });

  it('comments each copy with its branch, the hop its latency runs from, and its branch\'s loss', () => {
    const [full, lostAtDb, lostAtPort] = floodScenario();
    expect(full!.copies.map((_, i) => packetComment(full!, i))).toEqual([
      'vethcap #1 hop 1/6 box:eth0 out',
      'vethcap #1 hop 2/6 host:vethA in +100 ns',
      'vethcap #1 host:docker0 bridge device copy (same kernel timestamp)',
      'vethcap #1 hop 3/6 host:vethC out +300 ns from host:vethA, branch host:vethC',
      'vethcap #1 hop 4/6 db:eth0 in +200 ns from host:vethC, branch host:vethC',
      'vethcap #1 hop 5/6 host:vethB out +800 ns from host:vethA, branch host:vethB',
      'vethcap #1 hop 6/6 web:eth0 in +300 ns from host:vethB, branch host:vethB',
    ]);
    const withLoss = (p: PacketPath) => p.copies.flatMap((c, i) => (packetComment(p, i).includes('; lost between') ? [[c.label, packetComment(p, i).split('; ')[1]]] : []));
    expect(withLoss(lostAtDb!)).toEqual([['host:vethC', 'lost between host:vethC and db:eth0']]);
    expect(withLoss(lostAtPort!)).toEqual([['host:docker0', 'lost between host:vethA and host:vethC']]);
    const out = new Uint8Array(256);
    for (const p of [full!, lostAtDb!, lostAtPort!]) {
      p.copies.forEach((_, i) => expect(new TextDecoder().decode(out.subarray(0, encodePacketComment(p, i, out)))).toBe(packetComment(p, i)));
    }
  });
});

describe('timeline (golden)', () => {
  it('renders the bridge scenario, plain, UTC', async () => {
    const r = new TimelineRenderer(fivePoints(), { timeZone: 'utc' });
    await expect(bridgeScenario().map((p) => r.render(p)).join('')).toMatchFileSnapshot('./__golden__/bridge-timeline.txt');
  });

  it('renders NAT, TTL and MAC rewrites across a router, plain, UTC', async () => {
    const r = new TimelineRenderer(withUplink(), { timeZone: 'utc' });
    await expect(natScenario().map((p) => r.render(p)).join('')).toMatchFileSnapshot('./__golden__/nat-timeline.txt');
  });

  it('renders the run summary', async () => {
    const s = new SummaryCollector(fivePoints());
    for (const p of bridgeScenario()) s.add(p);
    await expect(renderSummaryText(s.result())).toMatchFileSnapshot('./__golden__/bridge-summary.txt');
  });

  it('colours only when asked', () => {
    const [p] = bridgeScenario();
    expect(new TimelineRenderer(fivePoints(), { timeZone: 'utc' }).render(p!)).not.toContain('\u001b[');
    expect(new TimelineRenderer(fivePoints(), { timeZone: 'utc', color: true }).render(p!)).toContain('\u001b[1m#1\u001b[22m');
  });
});

describe('NDJSON', () => {
  it('writes exactly the pathToJson object', () => {
    for (const p of [...bridgeScenario(), ...natScenario()]) expect(JSON.parse(renderPathJson(p))).toEqual(pathToJson(p));
  });

  it('has the documented keys and values', () => {
    const paths = bridgeScenario();
    const ping0 = JSON.parse(renderPathJson(paths[2]!)) as Record<string, unknown>;
    expect(Object.keys(ping0)).toEqual(['id', 'summary', 'protocol', 'length', 'complete', 'hops', 'lost', 'losses', 'notSeen', 'flooded', 'nat', 'ttl', 'macRewrites', 'verdict', 'notCaptured', 'ambiguousAt', 'branches', 'findings']);
    expect(ping0.branches).toEqual([]);
    expect(ping0).toMatchObject({ id: 3, summary: 'ICMP echo request 198.18.0.2 → 198.18.0.3 id=25 seq=0', protocol: 'ICMP', length: 98, complete: true, lost: null });
    expect(pathToJson(paths[2]!).hops).toEqual([
      { point: 'box:eth0', role: 'namespace-end', direction: 'out', ts: '1764333971.000100000', hop: 1, deltaNs: null, observer: false, observedAfterNs: null, branch: null },
      { point: 'host:vethA', role: 'host-veth', direction: 'in', ts: '1764333971.000104300', hop: 2, deltaNs: 4300, observer: false, observedAfterNs: null, branch: null },
      { point: 'host:docker0', role: 'bridge', direction: '?', ts: '1764333971.000104300', hop: 0, deltaNs: null, observer: true, observedAfterNs: 0, branch: null },
      { point: 'host:vethB', role: 'host-veth', direction: 'out', ts: '1764333971.000121100', hop: 3, deltaNs: 16800, observer: false, observedAfterNs: null, branch: null },
      { point: 'web:eth0', role: 'namespace-end', direction: 'in', ts: '1764333971.000122700', hop: 4, deltaNs: 1600, observer: false, observedAfterNs: null, branch: null },
    ]);
    const lost = pathToJson(paths[4]!);
    expect(lost.lost).toEqual({ after: 'host:vethA', before: 'host:vethB' });
    expect(lost.complete).toBe(false);
    const nat = pathToJson(natScenario()[0]!);
    expect(nat.nat).toEqual([{ after: 'host:docker0', before: 'host:eth1', side: 'src', from: '198.18.0.2:40000', to: '198.19.0.1:61000' }]);
    expect(nat.ttl).toEqual([{ after: 'host:docker0', before: 'host:eth1', from: 64, to: 63 }]);
  });
});

describe('summary', () => {
  it('counts packets per point, complete paths and hop latency percentiles', () => {
    const s = new SummaryCollector(fivePoints());
    for (const p of bridgeScenario()) s.add(p);
    const r = s.result();
    expect(r).toMatchObject({ paths: 5, complete: 4, incomplete: 1, lost: 1, notCaptured: 0, undetermined: 0, afterStop: 0, unknown: 0 });
    expect(r.points).toEqual([
      { point: 'box:eth0', packets: 5, notCaptured: 0 },
      { point: 'host:vethA', packets: 5, notCaptured: 0 },
      { point: 'host:docker0', packets: 5, notCaptured: 0 },
      { point: 'host:vethB', packets: 4, notCaptured: 0 },
      { point: 'web:eth0', packets: 4, notCaptured: 0 },
    ]);
    expect(r.hops.find((h) => h.from === 'box:eth0' && h.to === 'host:vethA')).toEqual({ from: 'box:eth0', to: 'host:vethA', count: 3, p50Ns: 4300, p99Ns: 4900, minNs: 3100, maxNs: 4900 });
  });
});

describe('pcapng comment', () => {
  it('annotates each copy in one line', () => {
    const paths = bridgeScenario();
    const p = paths[2]!;
    expect(p.copies.map((_, i) => packetComment(p, i))).toEqual([
      'vethcap #3 hop 1/4 box:eth0 out',
      'vethcap #3 hop 2/4 host:vethA in +4.3 µs',
      'vethcap #3 host:docker0 bridge device copy (same kernel timestamp)',
      'vethcap #3 hop 3/4 host:vethB out +16.8 µs',
      'vethcap #3 hop 4/4 web:eth0 in +1.6 µs',
    ]);
    expect(packetComment(paths[4]!, 2)).toBe('vethcap #5 host:docker0 bridge device copy (same kernel timestamp); lost between host:vethA and host:vethB');
  });
});

describe('findings in words', () => {
  /** Every scenario's paths, and judged ones that carry what a live trace finds: capture gaps, undetermined, after the stop. */
  function judged(): Array<{ path: PacketPath; topology: Topology }> {
    const five = fivePoints();
    const topo = new TopologyIndex(five);
    const seenAt = (seq: number, points: number[]) => correlate(five, points.map((p) => rec(p, seq * 1e9 + [0, 4_000, 4_000, 20_000, 22_000][p]!, ping(seq))))[0]!;
    // Seen at box, the bridge and web: not captured at host:vethA (a gap) nor host:vethB (kernel drops).
    const gap = seenAt(1, [0, 2, 4]);
    judgePath(gap, topo, { gapAt: (p) => (p === 3 ? { reason: 'kernel-drops', dropped: 4 } : null) });
    const undetermined = seenAt(2, [0, 1, 2]);
    judgePath(undetermined, topo, { gapAt: (p) => (p >= 3 ? { reason: 'kernel-drops', dropped: null } : null) });
    const afterStop = seenAt(3, [0, 1]);
    markAfterStop(afterStop);
    return [
      ...bridgeScenario().map((path) => ({ path, topology: five })),
      ...natScenario().map((path) => ({ path, topology: withUplink() })),
      ...floodScenario().map((path) => ({ path, topology: sevenPoints() })),
      ...[gap, undetermined, afterStop].map((path) => ({ path, topology: five })),
    ];
  }

  it('the timeline says each finding on a line of its own, in findingText\'s words, once', () => {
    const all = judged();
    expect(new Set(all.flatMap(({ path }) => pathFindings(path).map((f) => f.code)))).toEqual(new Set(['PATH_LOST', 'NOT_CAPTURED', 'UNDETERMINED', 'AFTER_STOP', 'FLOODED', 'NAT_REWRITE', 'TTL_CHANGE', 'MAC_REWRITE']));
    for (const { path, topology } of all) {
      const lines = new TimelineRenderer(topology, { timeZone: 'utc' }).render(path).split('\n');
      for (const f of pathFindings(path)) expect(lines.filter((l) => l.endsWith(` ${findingText(f)}`)), `#${path.id} ${f.code}`).toHaveLength(1);
    }
  });

  it('the comments tell each loss once, and at the last copy what the verdict leaves to say', () => {
    for (const { path } of judged()) {
      const comments = path.copies.map((_, i) => packetComment(path, i));
      for (const f of pathFindings(path)) {
        const telling = comments.filter((c) => c.includes(`; ${findingText(f)}`));
        if (f.code === 'PATH_LOST') expect(telling, `#${path.id} ${f.code}`).toHaveLength(1);
        else if (f.code === 'NOT_CAPTURED' || f.code === 'UNDETERMINED' || f.code === 'AFTER_STOP') expect(telling, `#${path.id} ${f.code}`).toEqual([comments.at(-1)]);
        else expect(telling).toEqual([]);
      }
    }
  });
});

describe('format', () => {
  it('formats durations and clocks', () => {
    expect([850, 4_300, 16_800, 123_456, 12_500_000, 1_250_000_000].map(formatDuration)).toEqual(['850 ns', '4.3 µs', '16.8 µs', '123.5 µs', '12.5 ms', '1.250 s']);
    expect(formatClock({ tsSec: 1_764_333_971, tsNsec: 716_018_412 }, 'utc')).toBe('12:46:11.716018412');
    expect(formatClock({ tsSec: 1_764_333_971, tsNsec: 5 }, 'local')).toMatch(/^\d\d:\d\d:11\.000000005$/);
  });
});

describe('timeline as bytes (TimelineRenderer.encode)', () => {
  it('writes exactly what render() gives, or declines (trees, findings, colour, too little room)', () => {
    const topologies: Array<[Topology, PacketPath[]]> = [[fivePoints(), bridgeScenario()], [withUplink(), natScenario()], [sevenPoints(), floodScenario()]];
    let written = 0;
    let declined = 0;
    for (const [topology, paths] of topologies) {
      for (const timeZone of ['utc', 'local'] as const) {
        const plain = new TimelineRenderer(topology, { timeZone });
        const colour = new TimelineRenderer(topology, { timeZone, color: true });
        for (const p of paths) {
          const out = new Uint8Array(8192).fill(0x7e);
          const n = plain.encode(p, out, 5, 8000);
          expect(colour.encode(p, out, 5, 8000)).toBe(-1);
          expect(plain.encode(p, out, 5, 40)).toBe(-1);
          if (n < 0) {
            declined++;
            continue;
          }
          written++;
          expect(out[4]).toBe(0x7e);
          expect(out[5 + n]).toBe(0x7e);
          expect(new TextDecoder().decode(out.subarray(5, 5 + n))).toBe(plain.render(p));
        }
      }
    }
    // Both ways are exercised.
    expect(written).toBeGreaterThan(4);
    expect(declined).toBeGreaterThan(2);
  });
});
