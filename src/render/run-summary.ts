import { hopBefore } from '../correlate/branches.js';
import type { OrderReport } from '../correlate/learned-order.js';
import type { PacketPath } from '../correlate/path.js';
import { TopologyIndex } from '../correlate/topology-index.js';
import { percentile } from '../model/stats.js';
import type { Topology } from '../model/topology.js';
import { formatDuration } from './format.js';

/** Latency between two consecutive hops, over the run. */
export interface HopLatency {
  from: string;
  to: string;
  count: number;
  p50Ns: number;
  p99Ns: number;
  minNs: number;
  maxNs: number;
}

/** What a run saw, as text or JSON (docs/json.md). */
export interface RunSummary {
  paths: number;
  complete: number;
  incomplete: number;
  /** Paths with nothing to expect (no topology, or traffic between points vethcap cannot place). */
  unknown: number;
  /** Paths the network lost (verdict `lost`, a subset of incomplete). */
  lost: number;
  /** Paths that made their way but lack a copy that a capture missed (verdict `not-captured`, a subset of incomplete). */
  notCaptured: number;
  /** Paths with copies missing where no claim can be true (verdict `undetermined`, a subset of incomplete). */
  undetermined: number;
  /** Paths lacking a copy where identical packets could not be told apart (`ambiguousAt` not empty). */
  ambiguous: number;
  /** Paths whose first copy came after the stop moment: no verdict, not counted in `paths`. */
  afterStop: number;
  /** Per point: copies seen, and copies the point's capture missed (`notCaptured` entries naming it). */
  points: { point: string; packets: number; notCaptured: number }[];
  hops: HopLatency[];
  /** A merge without a topology: how equal timestamps were ordered (learned from the captures, or not). */
  order?: OrderReport;
}

const MAX_SAMPLES = 100_000;

/** Latency samples of one hop pair: all of them up to a cap, then a uniform reservoir sample. */
class Samples {
  readonly values: number[] = [];
  count = 0;
  min = Infinity;
  max = -Infinity;
  private seed = 0x2545f491;

  add(v: number): void {
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.values.length < MAX_SAMPLES) {
      this.values.push(v);
      return;
    }
    this.seed = (Math.imul(this.seed, 1664525) + 1013904223) >>> 0;
    const j = this.seed % this.count;
    if (j < MAX_SAMPLES) this.values[j] = v;
  }
}

/**
 * Collects the end-of-run summary from paths as they are emitted: packets per point,
 * complete/incomplete paths, per-hop latency p50/p99 by hop pair. Memory is bounded
 * (at most 100,000 samples per hop pair; beyond that percentiles come from a uniform
 * sample of them).
 */
export class SummaryCollector {
  private readonly topo: TopologyIndex;
  private readonly perPoint: number[];
  /** Hop pairs in order of first sight; `byPair[from * points + to]` finds one without building a key. */
  private readonly hops: Array<{ from: string; to: string; samples: Samples }> = [];
  private readonly byPair: Array<{ from: string; to: string; samples: Samples } | undefined>;
  private paths = 0;
  private complete = 0;
  private incomplete = 0;
  private unknown = 0;
  private lost = 0;
  private notCaptured = 0;
  private undetermined = 0;
  private ambiguous = 0;
  private afterStop = 0;
  private readonly missedAt: number[];
  private readonly indexOf = new Map<string, number>();
  /** Set by a merge without a topology before `result()`: how its ties were ordered. */
  order: OrderReport | undefined;

  constructor(topology: Topology | TopologyIndex) {
    this.topo = topology instanceof TopologyIndex ? topology : new TopologyIndex(topology);
    this.perPoint = new Array<number>(this.topo.points.length).fill(0);
    this.missedAt = new Array<number>(this.topo.points.length).fill(0);
    for (const p of this.topo.points) this.indexOf.set(p.label, p.index);
    this.byPair = new Array(this.topo.points.length * this.topo.points.length);
  }

  add(path: PacketPath): void {
    if (path.verdict === 'after-stop') {
      this.afterStop++;
      return;
    }
    this.paths++;
    if (path.verdict === 'not-captured') this.notCaptured++;
    else if (path.verdict === 'undetermined') this.undetermined++;
    if (path.ambiguousAt.length > 0) this.ambiguous++;
    for (const g of path.notCaptured) {
      const i = this.indexOf.get(g.point);
      if (i !== undefined) this.missedAt[i]!++;
    }
    if (path.complete === true) this.complete++;
    else if (path.complete === false) this.incomplete++;
    else this.unknown++;
    if (path.lost !== null) this.lost++;
    // A copy a capture missed would pair the points on either side of it as one hop that
    // does not exist (web:eth0 → host:vethA across host:vethB): such paths give no latencies.
    if (path.notCaptured.length > 0) {
      for (const c of path.copies) this.perPoint[c.point]!++;
      return;
    }
    if (path.branches.length > 0) {
      this.addTree(path);
      return;
    }
    const n = this.perPoint.length;
    let prev = -1;
    let prevLabel = '';
    for (const c of path.copies) {
      this.perPoint[c.point]!++;
      if (c.hop === 0) continue; // an observation copy (the bridge device): not a hop
      if (c.deltaNs !== null) {
        const pair = prev * n + c.point;
        let h = this.byPair[pair];
        if (h === undefined) {
          h = { from: prevLabel, to: c.label, samples: new Samples() };
          this.byPair[pair] = h;
          this.hops.push(h);
        }
        h.samples.add(c.deltaNs);
      }
      prev = c.point;
      prevLabel = c.label;
    }
  }

  /**
   * A flooded frame's tree: each hop pairs with the hop its latency runs from (on its own
   * branch, or the trunk's last hop), so no pair ever joins two branches.
   */
  private addTree(path: PacketPath): void {
    const copies = path.copies;
    for (let i = 0; i < copies.length; i++) {
      const c = copies[i]!;
      this.perPoint[c.point]!++;
      if (c.hop === 0 || c.deltaNs === null) continue;
      const prev = hopBefore(path, i);
      if (prev !== null) this.sample(prev.point, prev.label, c.point, c.label, c.deltaNs);
    }
  }

  private sample(from: number, fromLabel: string, to: number, toLabel: string, ns: number): void {
    const pair = from * this.perPoint.length + to;
    let h = this.byPair[pair];
    if (h === undefined) {
      h = { from: fromLabel, to: toLabel, samples: new Samples() };
      this.byPair[pair] = h;
      this.hops.push(h);
    }
    h.samples.add(ns);
  }

  result(): RunSummary {
    const hops: HopLatency[] = [];
    for (const { from, to, samples } of this.hops) {
      const sorted = [...samples.values].sort((a, b) => a - b);
      hops.push({ from, to, count: samples.count, p50Ns: percentile(sorted, 50) ?? 0, p99Ns: percentile(sorted, 99) ?? 0, minNs: samples.min, maxNs: samples.max });
    }
    hops.sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
    return {
      paths: this.paths,
      complete: this.complete,
      incomplete: this.incomplete,
      unknown: this.unknown,
      lost: this.lost,
      notCaptured: this.notCaptured,
      undetermined: this.undetermined,
      ambiguous: this.ambiguous,
      afterStop: this.afterStop,
      points: this.topo.points.map((p) => ({ point: p.label, packets: this.perPoint[p.index]!, notCaptured: this.missedAt[p.index]! })),
      hops,
      ...(this.order !== undefined ? { order: this.order } : {}),
    };
  }
}

/** The summary as text for the end of a terminal run. */
export function renderSummaryText(s: RunSummary): string {
  const why = [`${s.lost} lost`];
  if (s.notCaptured > 0) why.push(`${s.notCaptured} not captured`);
  if (s.undetermined > 0) why.push(`${s.undetermined} undetermined`);
  const lines = [`${s.paths} packets: ${s.complete} complete, ${s.incomplete} incomplete (${why.join(', ')})${s.unknown > 0 ? `, ${s.unknown} without an expected path` : ''}`];
  if (s.notCaptured + s.undetermined > 0) {
    lines.push('  not captured: a capture point missed the copy (kernel drops, or it ended), not the network; undetermined: captures missed copies at several points in a row, or identical packets could not be told apart');
  }
  if (s.ambiguous > 0) lines.push(`  ${s.ambiguous} of them identical packets whose missing copies could not be told apart`);
  if (s.afterStop > 0) lines.push(`after the stop: ${s.afterStop} packets began after the trace was asked to stop (in the pcapng, no verdict)`);
  const w = Math.max(0, ...s.points.map((p) => p.point.length));
  lines.push('packets per point:');
  for (const p of s.points) lines.push(`  ${p.point.padEnd(w)}  ${p.packets}${p.notCaptured > 0 ? `  (${p.notCaptured} not captured)` : ''}`);
  if (s.hops.length > 0) {
    const names = s.hops.map((h) => `${h.from} → ${h.to}`);
    const hw = Math.max(...names.map((n) => n.length));
    lines.push('hop latency (p50 / p99):');
    s.hops.forEach((h, i) => lines.push(`  ${names[i]!.padEnd(hw)}  ${formatDuration(h.p50Ns)} / ${formatDuration(h.p99Ns)}  (${h.count})`));
  }
  return lines.join('\n') + '\n';
}
