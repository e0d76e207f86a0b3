import type { DecodedFrame } from '../decode/frame.js';
import type { PacketPath } from './path.js';

/**
 * The order of capture points along each direction of traffic, learned from the captures
 * themselves, for merges without a topology (plain files, role 'file'): there no role says
 * where a point stands, yet equal kernel timestamps are normal (the bridge device's copy
 * carries its ingress port's timestamp), so ties need an order other than the command
 * line's.
 *
 * What is learned, per direction (the frame's MAC pair, else its IP pair):
 * - precedence: copies at two points with distinct timestamps show which comes first;
 *   the majority over the paths seen decides;
 * - observers: a point whose copies tie with another copy in (nearly) every path it is in
 *   (the bridge device: with the ingress port of each direction, so in both directions)
 *   is placed after the point it ties with, when that point's copies do not tie as often
 *   (a port ties in one direction only). No label or role is assumed.
 * Together they give each direction a rank per point (a topological order, point index
 * breaking what nothing decides) that `PathBuilder` uses for ties. Pairs that tied and
 * that nothing orders, or ties in a direction never learned, keep the command-line order
 * and are reported (`unresolved`).
 */

/** Share of a point's copies tied with another copy from which it is taken for an observer. */
export const OBSERVER_SHARE = 0.9;
/** Directions learned at most (each costs two points × points tables while learning). */
const MAX_DIRECTIONS = 256;

/** How one direction's ties are ordered: consulted once per path, then per copy by point index. */
export interface DirectionOrder {
  /** Per point: its place along the direction (lower first). */
  readonly rank: Int32Array;
  /** `unresolved[p * points + q]` is 1 where nothing learned orders p and q. */
  readonly unresolved: Uint8Array;
}

/** The learned order in the merge's summary (docs/json.md, `order`). */
export interface OrderReport {
  /** False when some tied copies had to keep the command-line order. */
  learned: boolean;
  /** Directions an order was learned for. */
  directions: number;
  /** Pairs of labels whose tied copies kept the command-line order, in point order. */
  unresolved: [string, string][];
}

const TWO_32 = 2 ** 32;

/**
 * A direction as two numbers: (source MAC, destination MAC) when the frame has both; else
 * the IPv4 pair, else a hash of the IPv6 pair, each in a range of its own; else one key
 * for everything without addresses (by source MAC, for a cooked capture of non-IP).
 */
export function directionHigh(f: DecodedFrame): number {
  if (f.srcMac >= 0 && f.dstMac >= 0) return f.srcMac;
  if (f.src4 >= 0) return -1 - f.src4;
  if (f.src6 >= 0) return -1 - TWO_32 - hash16(f.data, f.src6);
  return -1 - 2 * TWO_32;
}

export function directionLow(f: DecodedFrame): number {
  if (f.srcMac >= 0 && f.dstMac >= 0) return f.dstMac;
  if (f.src4 >= 0) return f.dst4;
  if (f.src6 >= 0) return hash16(f.data, f.dst6);
  return f.srcMac;
}

/** FNV-1a of 16 bytes at `at` (an IPv6 address), unsigned 32-bit. */
function hash16(data: Uint8Array, at: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 16; i++) h = Math.imul(h ^ (data[at + i] ?? 0), 0x01000193);
  return h >>> 0;
}

/** Counts of one direction while learning. */
class DirectionCounts {
  /** `before[p * n + q]`: paths where p's copy came strictly before q's. */
  readonly before: Uint32Array;
  /** `tied[p * n + q]` (symmetric): paths where p's and q's copies had the same timestamp. */
  readonly tied: Uint32Array;
  constructor(n: number) {
    this.before = new Uint32Array(n * n);
    this.tied = new Uint32Array(n * n);
  }
}

/**
 * Gathers the evidence from paths (a throwaway correlation over the first records of the
 * inputs), then makes the `LearnedOrder`.
 */
export class OrderLearner {
  private readonly n: number;
  private readonly directions = new Map<number, Map<number, DirectionCounts>>();
  private directionCount = 0;
  /** Per point: paths where it had a copy and another point did too. */
  private readonly inPaths: Uint32Array;
  /** Per point: those of them where its copy had another copy's timestamp. */
  private readonly tiedPaths: Uint32Array;
  private readonly pts: number[] = [];
  private readonly sec: number[] = [];
  private readonly nsec: number[] = [];
  /** Paths observed. */
  paths = 0;

  constructor(private readonly labels: readonly string[]) {
    this.n = labels.length;
    this.inPaths = new Uint32Array(this.n);
    this.tiedPaths = new Uint32Array(this.n);
  }

  /** A path's copies: counts who came first, who tied. Bound as a PathSink (`learner.observe`). */
  readonly observe = (path: PacketPath): void => {
    const copies = path.copies;
    const m = copies.length;
    if (m < 2) return;
    this.paths++;
    const { pts, sec, nsec, n } = this;
    pts.length = sec.length = nsec.length = 0;
    for (const c of copies) {
      pts.push(c.point);
      sec.push(c.ts.tsSec);
      nsec.push(c.ts.tsNsec);
    }
    const first = copies[0]!.frame;
    const counts = this.countsFor(directionHigh(first), directionLow(first));
    for (let i = 0; i < m; i++) {
      const p = pts[i]!;
      this.inPaths[p]!++;
      let tiedHere = false;
      for (let j = 0; j < m; j++) {
        if (j === i) continue;
        const q = pts[j]!;
        const same = sec[i] === sec[j] && nsec[i] === nsec[j];
        if (same) tiedHere = true;
        if (counts === null || j < i) continue;
        if (same) {
          counts.tied[p * n + q]!++;
          counts.tied[q * n + p]!++;
        } else if (sec[i]! < sec[j]! || (sec[i] === sec[j] && nsec[i]! < nsec[j]!)) {
          counts.before[p * n + q]!++;
        } else {
          counts.before[q * n + p]!++;
        }
      }
      if (tiedHere) this.tiedPaths[p]!++;
    }
  };

  private countsFor(high: number, low: number): DirectionCounts | null {
    let byHigh = this.directions.get(high);
    let counts = byHigh?.get(low);
    if (counts !== undefined) return counts;
    if (this.directionCount >= MAX_DIRECTIONS) return null;
    if (byHigh === undefined) this.directions.set(high, (byHigh = new Map()));
    counts = new DirectionCounts(this.n);
    byHigh.set(low, counts);
    this.directionCount++;
    return counts;
  }

  /**
   * Whether `x` is an observer of `y`'s copies: x's copies tie with another copy in
   * (nearly) every path it is in, and y's copies do so less often.
   */
  private observes(x: number, y: number): boolean {
    const inX = this.inPaths[x]!;
    const inY = this.inPaths[y]!;
    if (inX === 0 || inY === 0) return false;
    const shareX = this.tiedPaths[x]! / inX;
    const shareY = this.tiedPaths[y]! / inY;
    return shareX >= OBSERVER_SHARE && shareY < shareX;
  }

  /** The order learned so far. */
  result(): LearnedOrder {
    const tables = new Map<number, Map<number, DirectionOrder>>();
    for (const [high, byLow] of this.directions) {
      const out = new Map<number, DirectionOrder>();
      for (const [low, counts] of byLow) out.set(low, this.orderOf(counts));
      tables.set(high, out);
    }
    return new LearnedOrder(this.labels, tables, this.directionCount);
  }

  /** One direction's ranks: precedence by majority, observers after the point they tie with, then a topological order. */
  private orderOf(c: DirectionCounts): DirectionOrder {
    const n = this.n;
    // after[p * n + q] = 1: p goes before q.
    const rel = new Uint8Array(n * n);
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const pq = c.before[p * n + q]!;
        const qp = c.before[q * n + p]!;
        if (pq > qp) rel[p * n + q] = 1;
        else if (qp > pq) rel[q * n + p] = 1;
        else if (c.tied[p * n + q]! > 0) {
          if (this.observes(q, p)) rel[p * n + q] = 1;
          else if (this.observes(p, q)) rel[q * n + p] = 1;
        }
      }
    }
    // Kahn's algorithm, the lowest point index first among the free; a cycle (contradictory
    // evidence) is broken at the point with the fewest remaining predecessors.
    const indegree = new Int32Array(n);
    for (let p = 0; p < n; p++) for (let q = 0; q < n; q++) if (rel[p * n + q] === 1) indegree[q]!++;
    const rank = new Int32Array(n);
    const placed = new Uint8Array(n);
    for (let k = 0; k < n; k++) {
      let pick = -1;
      for (let p = 0; p < n; p++) if (placed[p] === 0 && (pick < 0 || indegree[p]! < indegree[pick]!)) pick = p;
      placed[pick] = 1;
      rank[pick] = k;
      for (let q = 0; q < n; q++) if (rel[pick * n + q] === 1) indegree[q]!--;
    }
    // Resolved pairs: ordered one way only by the relation's transitive closure.
    const reach = rel.slice();
    for (let k = 0; k < n; k++) {
      for (let p = 0; p < n; p++) {
        if (reach[p * n + k] !== 1) continue;
        for (let q = 0; q < n; q++) if (reach[k * n + q] === 1) reach[p * n + q] = 1;
      }
    }
    const unresolved = new Uint8Array(n * n);
    for (let p = 0; p < n; p++) {
      for (let q = 0; q < n; q++) {
        if (p !== q && reach[p * n + q] === reach[q * n + p]) unresolved[p * n + q] = 1;
      }
    }
    return { rank, unresolved };
  }
}

/**
 * The learned order, consulted by `PathBuilder` once per path (`orderFor` of its first
 * copy's frame), and the record of ties that kept the command-line order.
 */
export class LearnedOrder {
  private readonly n: number;
  private lastHigh = NaN;
  private lastLow = NaN;
  private last: DirectionOrder | null = null;
  /** `fallbacks[p * n + q]` (p < q) is 1 where tied copies at p and q kept the command-line order. */
  private readonly fallbacks: Uint8Array;

  constructor(
    private readonly labels: readonly string[],
    private readonly tables: Map<number, Map<number, DirectionOrder>>,
    /** Directions an order was learned for. */
    readonly directions: number,
  ) {
    this.n = labels.length;
    this.fallbacks = new Uint8Array(this.n * this.n);
  }

  /** Nothing learned: every tie keeps the command-line order (and is reported). */
  static empty(labels: readonly string[]): LearnedOrder {
    return new LearnedOrder(labels, new Map(), 0);
  }

  /** The order of `f`'s direction, or null when none was learned. */
  orderFor(f: DecodedFrame): DirectionOrder | null {
    // The common case first, without the calls: a frame with both MACs, in the last direction.
    if (f.dstMac >= 0 && f.srcMac === this.lastHigh && f.dstMac === this.lastLow) return this.last;
    const high = directionHigh(f);
    const low = directionLow(f);
    if (high === this.lastHigh && low === this.lastLow) return this.last;
    this.lastHigh = high;
    this.lastLow = low;
    this.last = this.tables.get(high)?.get(low) ?? null;
    return this.last;
  }

  /** Tied copies at points p and q kept the command-line order. */
  noteFallback(p: number, q: number): void {
    this.fallbacks[p < q ? p * this.n + q : q * this.n + p] = 1;
  }

  report(): OrderReport {
    const unresolved: [string, string][] = [];
    for (let p = 0; p < this.n; p++) for (let q = p + 1; q < this.n; q++) if (this.fallbacks[p * this.n + q] === 1) unresolved.push([this.labels[p]!, this.labels[q]!]);
    return { learned: unresolved.length === 0, directions: this.directions, unresolved };
  }
}
