import type { GapReason, Loss, NotCaptured, PacketPath, PathVerdict } from './path.js';
import type { TopologyIndex } from './topology-index.js';
import { NONE } from './lazy-path.js';

/** Why one point may have missed a copy in a time interval (see CaptureCoverage). */
export interface PointGap {
  reason: Exclude<GapReason, 'ambiguous' | 'gap'>;
  /** With `kernel-drops`: the drops counted in the intervals that overlap; null when unknown. */
  dropped: number | null;
}

/**
 * What vethcap knows about its own captures: whether a point may have missed a packet
 * between two moments. Live, from tcpdump's kernel drop counts over time and the points'
 * ends; offline, nothing (null: every capture counts as whole).
 */
export interface CaptureCoverage {
  /** Why `point` may have missed a copy stamped in [fromMs, toMs] (ms since the epoch), or null: its capture was whole then. */
  gapAt(point: number, fromMs: number, toMs: number): PointGap | null;
}

/**
 * How far around a packet's copies a point's drops count against it: a hop takes
 * microseconds, but under a burst a copy waits in queues for milliseconds (6.6 ms seen
 * between two ports at trafgen's top rate), so a drop this close may have been this copy.
 */
export const GAP_BEFORE_MS = 10;
export const GAP_AFTER_MS = 50;

function ms(sec: number, nsec: number): number {
  return sec * 1000 + nsec / 1e6;
}

/** The time span, in ms since the epoch, within which a point's missing copy would have been stamped. */
export function copySpanMs(path: PacketPath): { fromMs: number; toMs: number } {
  const first = path.copies[0]!.ts;
  const last = path.copies[path.copies.length - 1]!.ts;
  return { fromMs: ms(first.tsSec, first.tsNsec) - GAP_BEFORE_MS, toMs: ms(last.tsSec, last.tsNsec) + GAP_AFTER_MS };
}

/**
 * Judges a path against its expectation and what is known of the captures, and sets
 * `verdict`, `complete`, `lost`, `losses`, `notSeen` and `notCaptured`. Pure.
 *
 * Per chain of points (the trunk, or the trunk and one flood branch), in path order:
 * - a missing point before the last point that saw the packet was passed by it: the
 *   capture missed it there (not captured);
 * - after the last point that saw it, the first point whose capture was whole then and
 *   that has no copy shows where the network lost it: lost between the last point that
 *   saw it and that one;
 * - when every point after the last sighting may have missed it (drops, an ended point),
 *   one such point is "not captured" there; several make the verdict "undetermined".
 * Without coverage (offline) every capture counts as whole, as a merge of files must.
 */
export function judgePath(path: PacketPath, topo: TopologyIndex, coverage: CaptureCoverage | null): void {
  const exp = path.expectation;
  if (exp === null || (exp.trunk.length === 0 && exp.branches.length === 0)) {
    path.verdict = null;
    return;
  }
  const seen = new Set<number>();
  for (const c of path.copies) seen.add(c.point);
  const span = coverage === null ? null : copySpanMs(path);
  const statusCache = new Map<number, NotCaptured | null>();
  /** Null when the capture at p was whole around the packet (a missing copy there is the network's doing). */
  const gapOf = (p: number): NotCaptured | null => {
    if (statusCache.has(p)) return statusCache.get(p)!;
    const label = topo.point(p).label;
    let gap: NotCaptured | null = null;
    if (path.ambiguousAt.includes(label)) gap = { point: label, reason: 'ambiguous', droppedByKernel: null };
    else if (coverage !== null && span !== null) {
      const g = coverage.gapAt(p, span.fromMs, span.toMs);
      if (g !== null) gap = { point: label, reason: g.reason, droppedByKernel: g.reason === 'kernel-drops' ? g.dropped : null };
    }
    statusCache.set(p, gap);
    return gap;
  };

  const { trunk, branches } = exp;
  // The bridge device's copy shows the frame came in through a port: for a frame from a
  // namespace on that bridge, its host veth (the trunk's second point) was passed, seen there or not.
  const passed = new Set(seen);
  if (trunk.length >= 2) {
    const from = topo.point(trunk[0]!);
    const port = topo.point(trunk[1]!);
    if (from.role === 'namespace-end' && port.role === 'host-veth' && port.bridge >= 0 && seen.has(port.bridge)) passed.add(port.index);
  }
  const chains: number[][] = branches.length === 0 ? [trunk] : branches.map((b) => [...trunk, ...b]);
  const anyBranchSeen = branches.some((b) => b.some((p) => seen.has(p)));
  const losses: Loss[] = [];
  const notCaptured = new Map<number, NotCaptured>();
  const notSeen: number[] = [];
  for (const p of trunk) if (!seen.has(p)) notSeen.push(p);
  for (const b of branches) for (const p of b) if (!seen.has(p)) notSeen.push(p);
  let undetermined = false;

  for (const chain of chains) {
    let last = -1;
    for (let i = 0; i < chain.length; i++) if (passed.has(chain[i]!)) last = i;
    // Another branch saw it: it passed the whole trunk, seen there or not.
    if (anyBranchSeen && last < trunk.length - 1) last = trunk.length - 1;
    if (last < 0) {
      // Seen only off this chain (the bridge device, an uplink): nothing to place it by.
      for (const p of chain) if (!seen.has(p)) notCaptured.set(p, gapOf(p) ?? { point: topo.point(p).label, reason: 'gap', droppedByKernel: null });
      undetermined = true;
      continue;
    }
    for (let i = 0; i <= last; i++) {
      const p = chain[i]!;
      if (!seen.has(p) && !notCaptured.has(p)) notCaptured.set(p, gapOf(p) ?? { point: topo.point(p).label, reason: 'gap', droppedByKernel: null });
    }
    if (last === chain.length - 1) continue;
    const run = chain.slice(last + 1);
    const clean = run.findIndex((p) => gapOf(p) === null);
    if (clean >= 0) {
      const after = topo.point(chain[last]!).label;
      const before = topo.point(run[clean]!).label;
      const routed = exp.routed;
      // Between the two bridges' host veths, and the destination bridge never sent it on: the host's routing step.
      const inRouting = routed !== undefined && routed.after === chain[last] && routed.before === run[clean] && !(routed.bridge >= 0 && seen.has(routed.bridge));
      if (!losses.some((l) => l.after === after && l.before === before)) losses.push(inRouting ? { after, before, where: 'host-routing' } : { after, before });
      continue;
    }
    for (const p of run) notCaptured.set(p, gapOf(p)!);
    // One point that may have missed it: not captured there. Several in a row, or
    // identical packets: the packet may have stopped anywhere among them.
    if (run.length > 1 || gapOf(run[0]!)!.reason === 'ambiguous') undetermined = true;
  }

  const label = (p: number): string => topo.point(p).label;
  path.notSeen = notSeen.length === 0 ? NONE : notSeen.map(label);
  path.losses = losses.length === 0 ? NONE : losses;
  path.lost = losses[0] ?? null;
  // A flooded frame's branches carry their own loss (the one on their points), judged anew.
  if (path.branches.length > 0) {
    path.branches = path.branches.map((b) => ({ ...b, lost: losses.find((l) => b.points.includes(l.before) || b.points.includes(l.after)) ?? null }));
  }
  // A point with a located loss downstream of it is not listed: the loss explains it.
  const listed = [...notCaptured.values()].filter((g) => !losses.some((l) => l.before === g.point));
  path.notCaptured = listed.length === 0 ? NONE : listed;
  let verdict: PathVerdict;
  if (losses.length > 0) verdict = 'lost';
  else if (undetermined) verdict = 'undetermined';
  else if (notSeen.length > 0) verdict = 'not-captured';
  else verdict = 'complete';
  path.verdict = verdict;
  path.complete = verdict === 'complete';
}

/** The path began after the stop moment: no verdict, and nothing it lacks is claimed. */
export function markAfterStop(path: PacketPath): void {
  path.verdict = 'after-stop';
  path.complete = null;
  path.lost = null;
  path.losses = NONE;
  path.notCaptured = NONE;
}
