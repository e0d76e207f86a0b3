import { DropTimeline } from './drop-timeline.js';
import type { CaptureCoverage, PointGap } from '../correlate/verdict.js';
import type { SavedCoverage } from '../model/manifest.js';

/**
 * What a live trace knows of its own captures, per point: its kernel drops over time
 * (DropTimeline, from tcpdump's answers) and where its capture was cut short (the point
 * ended early: its container stopped; or the rest of its capture was not read).
 */
export class TraceCoverage implements CaptureCoverage {
  readonly drops: DropTimeline[];
  /** Per point: its capture covers packets stamped up to here (ms since the epoch); Infinity unless cut. */
  private readonly wholeUntil: number[];
  private readonly cutReason: Array<'point-ended' | 'not-read'>;

  constructor(points: number) {
    this.drops = Array.from({ length: points }, () => new DropTimeline());
    this.wholeUntil = new Array<number>(points).fill(Infinity);
    this.cutReason = new Array<'point-ended' | 'not-read'>(points).fill('point-ended');
  }

  /** Point `point` captured nothing stamped after `atMs` (first cut wins: it is the earliest). */
  cut(point: number, atMs: number, reason: 'point-ended' | 'not-read'): void {
    if (this.wholeUntil[point]! !== Infinity) return;
    this.wholeUntil[point] = atMs;
    this.cutReason[point] = reason;
  }

  gapAt(point: number, fromMs: number, toMs: number): PointGap | null {
    if (toMs > this.wholeUntil[point]!) return { reason: this.cutReason[point]!, dropped: null };
    const timeline = this.drops[point]!;
    // Not known yet (a judgement forced before tcpdump answered): the drops are of unknown number.
    if (!timeline.knows(toMs)) return timeline.total > 0 || timeline.pendingSince !== null ? { reason: 'kernel-drops', dropped: null } : null;
    const d = timeline.dropsBetween(fromMs, toMs);
    return d === 0 ? null : { reason: 'kernel-drops', dropped: d };
  }

  /**
   * Per point, what a session manifest keeps of it (see SavedCoverage), so a replay of
   * the saved captures judges paths as this trace did. Taken at the trace's end; a
   * point whose tcpdump has not ended yet is saved as what gapAt answers now.
   */
  save(): SavedCoverage[] {
    return this.drops.map((timeline, i) => {
      const at = this.wholeUntil[i]!;
      // A cut at -Infinity (the point ended before its first packet) covers nothing: null, as JSON has no -Infinity.
      const cut = at === Infinity ? null : { atMs: at === -Infinity ? null : at, reason: this.cutReason[i]! };
      return { drops: timeline.toSaved(), cut };
    });
  }

  /** Coverage from a session manifest: every timeline finished, so knows() is true and gapAt answers as the saved trace's did at its end. */
  static restore(saved: readonly SavedCoverage[]): TraceCoverage {
    const coverage = new TraceCoverage(saved.length);
    saved.forEach((s, i) => {
      coverage.drops[i] = DropTimeline.restore(s.drops);
      if (s.cut !== null) coverage.cut(i, s.cut.atMs ?? -Infinity, s.cut.reason);
    });
    return coverage;
  }

  /** True when every point's drops are known past `ms` (or its capture was cut before it). */
  knows(ms: number): boolean {
    for (let i = 0; i < this.drops.length; i++) if (this.wholeUntil[i]! >= ms && !this.drops[i]!.knows(ms)) return false;
    return true;
  }
}
