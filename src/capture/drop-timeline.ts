import type { SavedDropInterval } from '../model/manifest.js';

/**
 * One capture point's kernel drops over time, from tcpdump's cumulative counts (its
 * answers to SIGUSR1 while it runs, its statistics when it ends). Pure: the caller says
 * when it asked and when an answer came, in ms on the wall clock (the clock the kernel
 * stamps packets with).
 *
 * tcpdump counted an answer's drops at some moment after it was asked and before the
 * answer was read, so the drops between two answers happened after the earlier one was
 * asked and before the later one was read: each interval is widened to that, and a
 * point's capture is known to be whole (or not) up to the moment the last answered
 * question was asked.
 */
export class DropTimeline {
  /** Intervals with drops: [fromMs, toMs], how many (null: unknown, e.g. tcpdump printed no statistics). */
  private readonly intervals: Array<{ fromMs: number; toMs: number; drops: number | null }> = [];
  private lastTotal = 0;
  /** Drops are known up to here: the moment the last answered question was asked. */
  private knownUntil = -Infinity;
  /** When the unanswered question was asked, or null. */
  private askedAt: number | null = null;
  private finished = false;

  /** A question was sent (SIGUSR1). Returns false when one is still unanswered (do not ask again). */
  asked(nowMs: number): boolean {
    if (this.finished || this.askedAt !== null) return false;
    this.askedAt = nowMs;
    return true;
  }

  /** When the unanswered question was asked, or null. */
  get pendingSince(): number | null {
    return this.askedAt;
  }

  /** tcpdump answered with its total kernel drops so far. */
  answered(totalDrops: number, nowMs: number): void {
    if (this.finished) return;
    this.record(totalDrops, nowMs);
    // Unasked (tcpdump may answer a signal it got from elsewhere): known up to the last question only.
    if (this.askedAt !== null) this.knownUntil = Math.max(this.knownUntil, this.askedAt);
    this.askedAt = null;
  }

  /** tcpdump ended, with its final total (null: it printed none, e.g. it was killed). */
  ended(totalDrops: number | null, nowMs: number): void {
    if (this.finished) return;
    if (totalDrops === null) this.intervals.push({ fromMs: this.knownUntil, toMs: Infinity, drops: null });
    else this.record(totalDrops, nowMs);
    this.knownUntil = Infinity;
    this.askedAt = null;
    this.finished = true;
  }

  /**
   * The intervals for a session manifest, in the order they were learnt (which is the
   * order dropsBetween walks them in, so a restored timeline answers alike). A timeline
   * that has not ended yet is saved as what it would answer now: past the moment its
   * drops are known, an interval of unknown drops when it has counted some or a
   * question is out (see TraceCoverage.gapAt), nothing more when it has seen none.
   */
  toSaved(): SavedDropInterval[] {
    const saved = this.intervals.map((iv): SavedDropInterval => [finiteOrNull(iv.fromMs), finiteOrNull(iv.toMs), iv.drops]);
    if (!this.finished && (this.lastTotal > 0 || this.askedAt !== null)) {
      // Unknown for every interval ending after knownUntil, and only those: knows(toMs) was false exactly there.
      // (Nothing answered yet: knownUntil is -Infinity, and its next double, -Number.MAX_VALUE, stands for it.)
      saved.push([nextUp(this.knownUntil), null, null]);
    }
    return saved;
  }

  /**
   * A finished timeline from saved intervals (a replayed session): it knows every
   * moment, and answers dropsBetween and total as the saved one did.
   */
  static restore(saved: readonly SavedDropInterval[]): DropTimeline {
    const t = new DropTimeline();
    for (const [fromMs, toMs, drops] of saved) {
      t.intervals.push({ fromMs: fromMs ?? -Infinity, toMs: toMs ?? Infinity, drops });
      if (drops !== null) t.lastTotal += drops;
    }
    t.knownUntil = Infinity;
    t.finished = true;
    return t;
  }

  private record(total: number, nowMs: number): void {
    const delta = total - this.lastTotal;
    // A count that went down (another tcpdump's answer, a reset) says nothing: keep the old one.
    if (delta > 0) this.intervals.push({ fromMs: this.knownUntil, toMs: nowMs, drops: delta });
    if (delta >= 0) this.lastTotal = total;
  }

  /** True when the drops around `untilMs` are known (an answer asked after it came, or the capture ended). */
  knows(untilMs: number): boolean {
    return this.knownUntil >= untilMs;
  }

  /** Kernel drops total so far. */
  get total(): number {
    return this.lastTotal;
  }

  /**
   * Drops counted in intervals that overlap [fromMs, toMs]: 0 when the capture was whole
   * then, null when some are of unknown number. Intervals are few (one per answer with
   * drops), and asked about newest first.
   */
  dropsBetween(fromMs: number, toMs: number): number | null {
    let sum: number | null = 0;
    for (let i = this.intervals.length - 1; i >= 0; i--) {
      const iv = this.intervals[i]!;
      if (iv.toMs < fromMs) {
        // Intervals are in order of their end; earlier ones end earlier still.
        break;
      }
      if (iv.fromMs > toMs) continue;
      sum = iv.drops === null || sum === null ? null : sum + iv.drops;
    }
    return sum;
  }
}

/** JSON holds no Infinity: a saved interval's open ends are null (by position: from is -Infinity, to is +Infinity). */
function finiteOrNull(ms: number): number | null {
  return Number.isFinite(ms) ? ms : null;
}

/** The smallest double above `x` (x below +Infinity), so `nextUp(x) <= t` exactly when `x < t`. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = x > 0 ? bits[0]! + 1n : bits[0]! - 1n;
  return f[0]!;
}
