import type { DecodedFrame } from '../decode/frame.js';
import { expectSegment, type ExpectedPath } from './expected-path.js';
import type { TopologyIndex } from './topology-index.js';

/** Bits of an order code that hold the depth; the branch number sits above them. */
const DEPTH_BITS = 10;
const DEPTH_MASK = (1 << DEPTH_BITS) - 1;
const MAX_CACHED = 4096;

/**
 * Where each capture point stands on the path a frame should take (`expectSegment`),
 * as one order code per point: -1 off the path (and always for the bridge device, an
 * observer whose copy may carry the ingress timestamp or come after the egress port's),
 * else `branch << DEPTH_BITS | depth`, where branch 0 is the trunk, b > 0 the b-th flood
 * branch, and depth counts from 1 at the source namespace end along the trunk and on
 * into each branch. Q is downstream of P when both are on the path, Q is deeper, and
 * P is on the trunk or on Q's branch (`downstream`).
 */
export type OrderCodes = Int32Array;

/** True when a copy at order code `q` lies further along the path than one at `p` (both ≥ 0). */
export function downstream(p: number, q: number): boolean {
  if (q < 0 || (q & DEPTH_MASK) <= (p & DEPTH_MASK)) return false;
  const branch = p >>> DEPTH_BITS;
  return branch === 0 || branch === q >>> DEPTH_BITS;
}

/**
 * Order codes per MAC pair, cached: the correlator asks once per record, and a flow
 * repeats its MACs, so the last pair is checked before the map.
 */
export class PathOrder {
  private readonly cache = new Map<number, Map<number, OrderCodes | null>>();
  private cached = 0;
  private lastSrc = -2;
  private lastDst = -2;
  private last: OrderCodes | null = null;

  constructor(private readonly topo: TopologyIndex) {}

  /** The codes for the segment `f`'s MACs name; null when the topology expects nothing of it (no order). */
  codesFor(f: DecodedFrame): OrderCodes | null {
    if (!this.topo.hasTopology || f.srcMac < 0) return null;
    const src = f.srcMac;
    const dst = f.dstMac;
    if (src === this.lastSrc && dst === this.lastDst) return this.last;
    let bySrc = this.cache.get(src);
    let codes = bySrc?.get(dst);
    if (codes === undefined) {
      codes = this.compute(f);
      if (this.cached >= MAX_CACHED) {
        this.cache.clear();
        this.cached = 0;
        bySrc = undefined;
      }
      if (bySrc === undefined) this.cache.set(src, (bySrc = new Map()));
      bySrc.set(dst, codes);
      this.cached++;
    }
    this.lastSrc = src;
    this.lastDst = dst;
    this.last = codes;
    return codes;
  }

  private compute(f: DecodedFrame): OrderCodes | null {
    const expected: ExpectedPath = { trunk: [], branches: [] };
    expectSegment(this.topo, f, expected);
    if (expected.trunk.length + expected.branches.length === 0) return null;
    const codes = new Int32Array(this.topo.points.length).fill(-1);
    expected.trunk.forEach((p, i) => (codes[p] = i + 1));
    expected.branches.forEach((b, n) => b.forEach((p, j) => (codes[p] = ((n + 1) << DEPTH_BITS) | (expected.trunk.length + j + 1))));
    for (const p of this.topo.points) if (p.role === 'bridge') codes[p.index] = -1;
    return codes;
  }
}
