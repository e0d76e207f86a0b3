import { describe, expect, it } from 'vitest';
import { CorrelationSession, type PacketPath } from '../../../src/correlate/index.js';
import { TopologyIndex } from '../../../src/correlate/topology-index.js';
import { judgePath, markAfterStop, type CaptureCoverage, type PointGap } from '../../../src/correlate/verdict.js';
import { DropTimeline } from '../../../src/capture/drop-timeline.js';
import { TraceCoverage } from '../../../src/capture/coverage.js';
import { SummaryCollector } from '../../../src/render/run-summary.js';
import { VerdictGate } from '../../../src/pipeline/verdict-gate.js';
import type { CaptureRecord } from '../../../src/model/record.js';
import { icmpFrame } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints } from '../../helpers/topology.js';

// Points: 0 box:eth0, 1 host:vethA, 2 host:docker0 (bridge), 3 host:vethB, 4 web:eth0.
const request = (seq: number) => icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 100 + seq, id: 7, seq });
const AT: Record<number, number> = { 0: 0, 1: 4_000, 2: 4_000, 3: 20_000, 4: 22_000 };
/** A request at the given points, `seq` ms after the epoch's second 1000. */
function requestAt(seq: number, points: number[]): CaptureRecord[] {
  return points.map((p) => rec(p, 1000e9 + seq * 1e6 + AT[p]!, request(seq)));
}

function paths(records: CaptureRecord[]): PacketPath[] {
  const out: PacketPath[] = [];
  const s = new CorrelationSession(fivePoints(), (p) => out.push(p), {});
  for (const r of records) s.push(r.point, r);
  s.finish();
  return out;
}

/** Coverage where the given points dropped packets (any time). */
function dropping(points: Record<number, PointGap>): CaptureCoverage {
  return { gapAt: (p) => points[p] ?? null };
}
const DROPS: PointGap = { reason: 'kernel-drops', dropped: 12 };
const topo = new TopologyIndex(fivePoints());
/** requestAt(seq)'s first copy, in ms since the epoch (rec() counts from 1,764,333,971 s). */
const T0 = (1_764_333_971 + 1000) * 1000;

describe('judgePath', () => {
  it('calls a missing copy lost where the capture after the last sighting was whole (offline: always)', () => {
    const [p] = paths(requestAt(1, [0, 1, 2]));
    expect(p!.verdict).toBe('lost');
    expect(p!.lost).toEqual({ after: 'host:vethA', before: 'host:vethB' });
    judgePath(p!, topo, dropping({}));
    expect(p!.verdict).toBe('lost');
    expect(p!.complete).toBe(false);
  });

  it('calls it not captured when the one point after the last sighting dropped packets then', () => {
    const [p] = paths(requestAt(1, [0, 1, 2, 3]));
    judgePath(p!, topo, dropping({ 4: DROPS }));
    expect(p!.verdict).toBe('not-captured');
    expect(p!.lost).toBeNull();
    expect(p!.losses).toEqual([]);
    expect(p!.notCaptured).toEqual([{ point: 'web:eth0', reason: 'kernel-drops', droppedByKernel: 12 }]);
    expect(p!.complete).toBe(false);
  });

  it('calls it undetermined when several points in a row after the last sighting dropped', () => {
    const [p] = paths(requestAt(1, [0, 1, 2]));
    judgePath(p!, topo, dropping({ 3: DROPS, 4: DROPS }));
    expect(p!.verdict).toBe('undetermined');
    expect(p!.lost).toBeNull();
    expect(p!.notCaptured.map((g) => g.point)).toEqual(['host:vethB', 'web:eth0']);
  });

  it('still locates a loss past a dropping point, at the first point whose capture was whole', () => {
    // host:vethB dropped, web:eth0 did not and has no copy: the network lost it before web:eth0.
    const [p] = paths(requestAt(1, [0, 1, 2]));
    judgePath(p!, topo, dropping({ 3: DROPS }));
    expect(p!.verdict).toBe('lost');
    expect(p!.lost).toEqual({ after: 'host:vethA', before: 'web:eth0' });
  });

  it('calls a copy missing before a later sighting not captured, whatever the drops', () => {
    const [p] = paths(requestAt(1, [0, 2, 3, 4]));
    judgePath(p!, topo, dropping({ 1: DROPS }));
    expect(p!.verdict).toBe('not-captured');
    expect(p!.notCaptured).toEqual([{ point: 'host:vethA', reason: 'kernel-drops', droppedByKernel: 12 }]);
    judgePath(p!, topo, dropping({}));
    expect(p!.verdict).toBe('not-captured');
    expect(p!.notCaptured).toEqual([{ point: 'host:vethA', reason: 'gap', droppedByKernel: null }]);
  });

  it('names a point that ended, and identical packets order cannot tell apart', () => {
    const [p] = paths(requestAt(1, [0, 1, 2, 3]));
    judgePath(p!, topo, dropping({ 4: { reason: 'point-ended', dropped: null } }));
    expect(p!.notCaptured).toEqual([{ point: 'web:eth0', reason: 'point-ended', droppedByKernel: null }]);
    p!.ambiguousAt = ['web:eth0'];
    judgePath(p!, topo, dropping({}));
    expect(p!.verdict).toBe('undetermined');
    expect(p!.notCaptured).toEqual([{ point: 'web:eth0', reason: 'ambiguous', droppedByKernel: null }]);
  });

  it('leaves a path after the stop without a verdict', () => {
    const [p] = paths(requestAt(1, [0, 1]));
    markAfterStop(p!);
    expect(p!).toMatchObject({ verdict: 'after-stop', complete: null, lost: null, losses: [], notCaptured: [] });
  });
});

describe('DropTimeline', () => {
  it('places drops between the question before and the answer that counted them', () => {
    const t = new DropTimeline();
    expect(t.knows(0)).toBe(false);
    expect(t.asked(1000)).toBe(true);
    expect(t.asked(1100)).toBe(false); // one question at a time
    t.answered(0, 1010);
    expect(t.knows(1000)).toBe(true);
    expect(t.knows(1001)).toBe(false);
    t.asked(1250);
    t.answered(7, 1262);
    expect(t.dropsBetween(900, 999)).toBe(0);
    expect(t.dropsBetween(1100, 1200)).toBe(7);
    expect(t.dropsBetween(1263, 2000)).toBe(0);
    t.asked(1500);
    t.answered(7, 1503);
    expect(t.dropsBetween(1263, 1500)).toBe(0);
    t.ended(9, 1800);
    expect(t.knows(1e12)).toBe(true);
    expect(t.dropsBetween(1600, 1700)).toBe(2);
    expect(t.total).toBe(9);
  });

  it('counts an end without statistics as drops of unknown number from the last answer on', () => {
    const t = new DropTimeline();
    t.asked(1000);
    t.answered(0, 1001);
    t.ended(null, 1500);
    expect(t.dropsBetween(900, 950)).toBe(0);
    expect(t.dropsBetween(1200, 1300)).toBeNull();
  });
});

describe('VerdictGate', () => {
  /** A coverage of five points that all answered up to `knownMs`, with drops at the given points then. */
  function coverage(knownMs: number, dropsAt: number[] = []): TraceCoverage {
    const c = new TraceCoverage(5);
    c.drops.forEach((t, i) => {
      t.asked(0);
      t.answered(0, 1);
      t.asked(knownMs - 10);
      t.answered(dropsAt.includes(i) ? 5 : 0, knownMs);
      t.asked(knownMs);
    });
    return c;
  }

  it('leaves out paths that began before the window, and marks those after the stop', () => {
    const out: PacketPath[] = [];
    const gate = new VerdictGate(topo, coverage(T0 + 100), (p) => out.push(p));
    const [early, inside, late] = paths([...requestAt(1, [0, 1, 2, 3, 4]), ...requestAt(5, [0, 1, 2, 3, 4]), ...requestAt(9, [0, 1, 2, 3, 4])]);
    gate.open(T0 + 3);
    gate.push(early!);
    gate.push(inside!);
    gate.close(T0 + 7);
    gate.push(late!);
    expect(gate.outside).toBe(5);
    expect(out.map((p) => [p.id, p.verdict])).toEqual([[2, 'complete'], [3, 'after-stop']]);
  });

  it('holds a path with a missing copy until every point answered past it, then judges it on the drops', () => {
    const out: PacketPath[] = [];
    const [missing, whole] = paths([...requestAt(1, [0, 1, 2, 3]), ...requestAt(2, [0, 1, 2, 3, 4])]);
    const c = new TraceCoverage(5);
    const gate = new VerdictGate(topo, c, (p) => out.push(p));
    gate.open(0);
    gate.push(missing!);
    gate.push(whole!);
    expect(out).toEqual([]); // nothing known yet: the complete path waits behind, ids stay in order
    c.drops.forEach((t, i) => {
      t.asked(T0 - 1);
      t.answered(i === 4 ? 3 : 0, T0 + 100);
      t.asked(T0 + 200);
      t.answered(i === 4 ? 3 : 0, T0 + 201);
    });
    gate.release();
    expect(out.map((p) => [p.id, p.verdict])).toEqual([[1, 'not-captured'], [2, 'complete']]);
    expect(out[0]!.notCaptured).toEqual([{ point: 'web:eth0', reason: 'kernel-drops', droppedByKernel: 3 }]);
  });

  it('calls the same gap lost when the point that missed it dropped nothing', () => {
    const out: PacketPath[] = [];
    const gate = new VerdictGate(topo, coverage(T0 + 500), (p) => out.push(p));
    gate.open(0);
    gate.push(paths(requestAt(1, [0, 1, 2, 3]))[0]!);
    expect(out.map((p) => p.verdict)).toEqual(['lost']);
    expect(out[0]!.lost).toEqual({ after: 'host:vethB', before: 'web:eth0' });
  });

  it('takes a point that ended early as not captured after its last packet', () => {
    const out: PacketPath[] = [];
    const c = coverage(T0 + 500);
    c.cut(4, T0, 'point-ended');
    const gate = new VerdictGate(topo, c, (p) => out.push(p));
    gate.open(0);
    gate.push(paths(requestAt(1, [0, 1, 2, 3]))[0]!);
    expect(out[0]!.notCaptured).toEqual([{ point: 'web:eth0', reason: 'point-ended', droppedByKernel: null }]);
  });
});

describe('summary under capture gaps', () => {
  it('takes no hop latency from a path a capture missed a copy of (it would pair points that are not neighbours)', () => {
    const s = new SummaryCollector(fivePoints());
    const [gap, whole] = paths([...requestAt(1, [0, 2, 3, 4]), ...requestAt(2, [0, 1, 2, 3, 4])]);
    judgePath(gap!, topo, dropping({ 1: DROPS }));
    s.add(gap!);
    s.add(whole!);
    const r = s.result();
    expect(r).toMatchObject({ paths: 2, complete: 1, notCaptured: 1 });
    expect(r.points.find((p) => p.point === 'host:vethA')).toEqual({ point: 'host:vethA', packets: 1, notCaptured: 1 });
    expect(r.points.find((p) => p.point === 'box:eth0')!.packets).toBe(2);
    expect(r.hops.map((h) => `${h.from} → ${h.to} ${h.count}`).sort()).toEqual(['box:eth0 → host:vethA 1', 'host:vethA → host:vethB 1', 'host:vethB → web:eth0 1']);
  });
});

describe('judgePath: the bridge device as evidence', () => {
  it('takes the bridge copy as proof the frame came in through its source port', () => {
    // Seen at box:eth0 and the bridge only; host:vethA, host:vethB and web:eth0 dropped in their kernels.
    const [p] = paths(requestAt(1, [0, 2]));
    judgePath(p!, topo, dropping({ 1: DROPS, 3: DROPS, 4: DROPS }));
    expect(p!.verdict).toBe('undetermined');
    expect(p!.notCaptured.map((g) => g.point)).toEqual(['host:vethA', 'host:vethB', 'web:eth0']);
    // With only host:vethB dropping, host:vethA was passed (the bridge saw it) and web:eth0 was whole: lost after host:vethA.
    const [q] = paths(requestAt(2, [0, 2]));
    judgePath(q!, topo, dropping({ 3: DROPS }));
    expect(q!.verdict).toBe('lost');
    expect(q!.lost).toEqual({ after: 'host:vethA', before: 'web:eth0' });
    // One dropping point after the port: not captured there.
    const [r] = paths(requestAt(3, [0, 2, 4]));
    judgePath(r!, topo, dropping({ 1: DROPS, 3: DROPS }));
    expect(r!.verdict).toBe('not-captured');
  });
});
