import { sameBytes } from '../decode/bytes.js';
import { decodeFrame } from '../decode/decode-frame.js';
import { DecodedFrame } from '../decode/frame.js';
import { isGroupMac } from '../decode/format.js';
import { DIRECTION, type CaptureRecord, type Direction } from '../model/record.js';
import { directionAt, tieRank } from './direction.js';
import { expectSegment, routedDestination, type ExpectedPath } from './expected-path.js';
import { judgePath } from './verdict.js';
import { LazyPacketPath, LazyPathCopy } from './lazy-path.js';
import type { Loss, MacRewrite, NatRewrite, PacketPath, PathBranch, PathCopy, TtlChange } from './path.js';
import { macsBetween, natBetween, ttlBetween } from './rewrites.js';
import type { TopologyIndex } from './topology-index.js';
import type { DirectionOrder, LearnedOrder } from './learned-order.js';

const MAX_CACHED_EXPECTATIONS = 4096;

/**
 * Turns the copies of one packet into its path: copies in path order (time, then
 * topology for ties, then point order), directions, hop latencies (bridge device
 * copies are observations, not hops), where it stopped, and what was rewritten.
 *
 * Without a topology (plain files) ties follow the order learned from the captures
 * (`learned-order.ts`), when the caller has one: the rank table of the path's direction,
 * looked up once per path, replaces the topology's ranks; ties that nothing learned
 * orders keep the point order and are noted there.
 *
 * Runs once per packet on the hot path, so it works in scratch space it owns (decoded
 * frames, ranks, a seen-mark per point) and caches the expectation per MAC pair; the
 * path it returns decodes frames and makes its summary only when they are read.
 */
export class PathBuilder {
  /** The frames of the path being built, by record index. */
  private readonly frames: DecodedFrame[];
  /** Frames to decode into when the caller has none. */
  private readonly scratch: DecodedFrame[];
  private readonly ranks: Int32Array;
  private readonly dirs: Int32Array;
  private readonly order: Int32Array;
  private readonly seen: Uint8Array;
  private readonly branchOf: Int32Array;
  private readonly expectations = new Map<number, Map<number, ExpectedPath>>();
  /**
   * Single-header expectations of frames to a router's MAC whose destination address is a
   * traced target's, by source MAC then that target's namespace end: the MAC pair alone
   * does not tell them from frames the router sends elsewhere.
   */
  private readonly routedExpectations = new Map<number, Map<number, ExpectedPath>>();
  private cached = 0;
  /** The last single-header expectation, checked before the map (flows repeat their MACs). */
  private lastSrc = -2;
  private lastDst = -2;
  private lastExpected: ExpectedPath | null = null;
  /** The learned order, for a merge without a topology; else null (the topology's ranks). */
  private readonly learned: LearnedOrder | null;
  /** Set by `before` when two copies share a timestamp (ties are checked for fallbacks only then). */
  private tied = false;

  constructor(
    private readonly topo: TopologyIndex,
    learned: LearnedOrder | null = null,
  ) {
    this.learned = topo.hasTopology ? null : learned;
    const n = topo.points.length;
    this.scratch = Array.from({ length: n }, () => new DecodedFrame());
    this.frames = new Array<DecodedFrame>(n);
    this.ranks = new Int32Array(n);
    this.dirs = new Int32Array(n);
    this.order = new Int32Array(n);
    this.seen = new Uint8Array(n);
    this.branchOf = new Int32Array(n);
  }

  /**
   * `records` holds at most one copy per point; `decoded[i]`, when given, is
   * `records[i]` already decoded (the builder only reads it during this call).
   */
  build(id: number, records: readonly CaptureRecord[], decoded?: readonly DecodedFrame[], count = records.length): PacketPath {
    const n = count;
    const { ranks, dirs, order, topo } = this;
    const frames = this.frames;
    const points = topo.points;
    const learned = this.learned;
    let table: DirectionOrder | null = null;
    let egress = 0;
    this.tied = false;
    for (let i = 0; i < n; i++) {
      const r = records[i]!;
      const p = points[r.point]!;
      // A copy byte-identical to the first (a veth, a bridge) decodes to the same frame.
      const f = decoded?.[i] ?? (i > 0 && sameRecord(r, records[0]!) ? frames[0]! : decodeFrame(r.data, r.linkType, this.scratch[i]));
      frames[i] = f;
      const d = directionAt(p, r, f);
      dirs[i] = d;
      if (learned !== null && i === 0) table = learned.orderFor(f);
      ranks[i] = table !== null ? table.rank[r.point]! : tieRank(p, d);
      if (d === DIRECTION.OUTBOUND && p.role === 'host-veth' && p.bridgeLabel !== '') egress++;
      // Insertion sort of indexes: a path has a handful of copies.
      let j = i;
      while (j > 0 && this.before(records, i, order[j - 1]!)) {
        order[j] = order[j - 1]!;
        j--;
      }
      order[j] = i;
    }
    if (this.tied && learned !== null) this.noteFallbacks(records, n, learned, table);

    // Only a frame that may have been flooded pays for the tree: one seen leaving through
    // more than one bridge port, or a broadcast/multicast frame (expected at every port).
    const expected = topo.hasTopology ? this.expectationFor(n) : null;
    const tree = egress > 1 || (expected !== null && expected.branches.length > 1 && isGroupMac(frames[order[0]!]!.dstMac)) ? this.planTree(records, n, expected) : null;

    const copies: PathCopy[] = [];
    let hop = 0;
    if (tree === null) {
      let prevHop: CaptureRecord | null = null;
      for (let k = 0; k < n; k++) {
        const i = order[k]!;
        const r = records[i]!;
        const p = points[r.point]!;
        const observer = p.role === 'bridge';
        if (!observer) hop++;
        const since = prevHop === null ? null : nsBetween(prevHop, r);
        copies.push(new LazyPathCopy(r, p.label, p.role, publicDirection(dirs[i]!), r.direction === DIRECTION.UNKNOWN, observer ? 0 : hop, observer ? null : since, observer ? since : null));
        if (!observer) prevHop = r;
      }
    } else {
      // A tree: a branch's first hop is measured from the trunk's last hop (the ingress
      // port), never from another branch's copy; the bridge device observes the trunk.
      let lastTrunk: CaptureRecord | null = null;
      const lastOnBranch: Array<CaptureRecord | null> = tree.ports.map(() => null);
      for (let k = 0; k < n; k++) {
        const i = order[k]!;
        const r = records[i]!;
        const p = points[r.point]!;
        const observer = p.role === 'bridge';
        const b = observer ? -1 : tree.branchOf[i]!;
        if (!observer) hop++;
        const prev = b < 0 ? lastTrunk : (lastOnBranch[b] ?? lastTrunk);
        const since = prev === null ? null : nsBetween(prev, r);
        const branch = b < 0 ? null : points[tree.ports[b]!]!.label;
        copies.push(new LazyPathCopy(r, p.label, p.role, publicDirection(dirs[i]!), r.direction === DIRECTION.UNKNOWN, observer ? 0 : hop, observer ? null : since, observer ? since : null, branch));
        if (observer) continue;
        if (b < 0) lastTrunk = r;
        else lastOnBranch[b] = r;
      }
    }

    const path = new LazyPacketPath(id, records[order[0]!]!.origLen, copies);
    path.hopCount = hop;
    this.annotateRewrites(path, records, n);
    if (tree !== null) path.flooded = tree.flooded;
    if (expected !== null) this.annotateExpectation(path, records, n, expected, tree);
    return path;
  }

  /**
   * The branches of a frame that may have been flooded, or null when it is a line after
   * all: the ports of each bridge the frame left through more than once, in path order,
   * then the ports a broadcast/multicast frame was expected at and not seen leaving.
   */
  private planTree(records: readonly CaptureRecord[], n: number, expected: ExpectedPath | null): Tree | null {
    const { order, dirs, topo } = this;
    const points = topo.points;
    const byBridge = new Map<string, number[]>();
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const p = points[records[i]!.point]!;
      if (p.role !== 'host-veth' || dirs[i] !== DIRECTION.OUTBOUND || p.bridgeLabel === '') continue;
      const ports = byBridge.get(p.bridgeLabel);
      if (ports === undefined) byBridge.set(p.bridgeLabel, [p.index]);
      else ports.push(p.index);
    }
    const expectedPorts = expected !== null && expected.branches.length > 1 ? expected.branches.map((b) => b[0]!) : [];
    const groupBridge = expectedPorts.length > 0 ? points[expectedPorts[0]!]!.bridgeLabel : '';
    const ports: number[] = [];
    const flooded: string[] = [];
    for (const [bridge, seen] of byBridge) {
      if (seen.length > 1) for (const port of seen) flooded.push(points[port]!.label);
      if (seen.length > 1 || bridge === groupBridge) ports.push(...seen);
    }
    for (const port of expectedPorts) if (!ports.includes(port)) ports.push(port);
    if (ports.length < 2) return null;
    const branchOf = this.branchOf;
    for (let i = 0; i < n; i++) {
      const pt = records[i]!.point;
      let b = ports.indexOf(pt);
      if (b < 0 && points[pt]!.role === 'namespace-end') b = ports.indexOf(points[pt]!.peer);
      branchOf[i] = b;
    }
    return { ports, flooded, branchOf };
  }

  private before(records: readonly CaptureRecord[], a: number, b: number): boolean {
    const ra = records[a]!;
    const rb = records[b]!;
    if (ra.tsSec !== rb.tsSec) return ra.tsSec < rb.tsSec;
    if (ra.tsNsec !== rb.tsNsec) return ra.tsNsec < rb.tsNsec;
    this.tied = true;
    const ka = this.ranks[a]!;
    const kb = this.ranks[b]!;
    if (ka !== kb) return ka < kb;
    return ra.point < rb.point;
  }

  /**
   * Tied copies that nothing learned orders (no order for the direction, or the pair
   * unresolved in it) kept the point order: say so to `learned`.
   */
  private noteFallbacks(records: readonly CaptureRecord[], n: number, learned: LearnedOrder, table: DirectionOrder | null): void {
    const order = this.order;
    const points = this.topo.points.length;
    for (let k = 0; k < n; k++) {
      const a = records[order[k]!]!;
      for (let m = k + 1; m < n; m++) {
        const b = records[order[m]!]!;
        if (b.tsSec !== a.tsSec || b.tsNsec !== a.tsNsec) break;
        if (table === null || table.unresolved[a.point * points + b.point] === 1) learned.noteFallback(a.point, b.point);
      }
    }
  }

  private annotateRewrites(path: LazyPacketPath, records: readonly CaptureRecord[], n: number): void {
    const { order, frames, topo } = this;
    let nat: NatRewrite[] | null = null;
    let ttl: TtlChange[] | null = null;
    let macs: MacRewrite[] | null = null;
    for (let k = 1; k < n; k++) {
      const a = frames[order[k - 1]!]!;
      const b = frames[order[k]!]!;
      // Fast path: byte-identical frames (a veth, a bridge) have nothing to report.
      if (a.srcMac === b.srcMac && a.dstMac === b.dstMac && a.ttl === b.ttl && a.src4 === b.src4 && a.dst4 === b.dst4 && a.srcPort === b.srcPort && a.dstPort === b.dstPort && a.icmpId === b.icmpId && a.network !== 'ipv6') {
        continue;
      }
      const after = topo.point(records[order[k - 1]!]!.point).label;
      const before = topo.point(records[order[k]!]!.point).label;
      natBetween(after, before, a, b, (nat ??= []));
      ttlBetween(after, before, a, b, (ttl ??= []));
      macsBetween(after, before, a, b, (macs ??= []));
    }
    if (nat !== null && nat.length > 0) path.nat = nat;
    if (ttl !== null && ttl.length > 0) path.ttl = ttl;
    if (macs !== null && macs.length > 0) path.macRewrites = macs;
  }

  private expectationFor(n: number): ExpectedPath {
    const { order, frames, topo } = this;
    const first = frames[order[0]!]!;
    let single = true;
    for (let k = 1; k < n; k++) {
      const f = frames[order[k]!]!;
      if (f.srcMac !== first.srcMac || f.dstMac !== first.dstMac) single = false;
    }
    const routedTo = single ? routedDestination(topo, first) : -1;
    if (routedTo >= 0) {
      const hit = this.routedExpectations.get(first.srcMac)?.get(routedTo);
      if (hit !== undefined) return hit;
    } else if (single) {
      if (this.lastExpected !== null && first.srcMac === this.lastSrc && first.dstMac === this.lastDst) return this.lastExpected;
      const hit = this.expectations.get(first.srcMac)?.get(first.dstMac);
      if (hit !== undefined) return this.remember(first.srcMac, first.dstMac, hit);
    }
    const expected: ExpectedPath = { trunk: [], branches: [] };
    let lastSrc = -2;
    let lastDst = -2;
    for (let k = 0; k < n; k++) {
      const f = frames[order[k]!]!;
      if (f.srcMac === lastSrc && f.dstMac === lastDst) continue;
      expectSegment(topo, f, expected);
      lastSrc = f.srcMac;
      lastDst = f.dstMac;
    }
    if (single) {
      if (this.cached >= MAX_CACHED_EXPECTATIONS) {
        this.expectations.clear();
        this.routedExpectations.clear();
        this.cached = 0;
      }
      if (routedTo >= 0) {
        let bySrc = this.routedExpectations.get(first.srcMac);
        if (bySrc === undefined) this.routedExpectations.set(first.srcMac, (bySrc = new Map()));
        bySrc.set(routedTo, expected);
        this.cached++;
        return expected;
      }
      let bySrc = this.expectations.get(first.srcMac);
      if (bySrc === undefined) this.expectations.set(first.srcMac, (bySrc = new Map()));
      bySrc.set(first.dstMac, expected);
      this.cached++;
      this.remember(first.srcMac, first.dstMac, expected);
    }
    return expected;
  }

  private remember(src: number, dst: number, expected: ExpectedPath): ExpectedPath {
    this.lastSrc = src;
    this.lastDst = dst;
    this.lastExpected = expected;
    return expected;
  }

  private annotateExpectation(path: LazyPacketPath, records: readonly CaptureRecord[], n: number, expected: ExpectedPath, tree: Tree | null): void {
    const { topo, seen } = this;
    if (expected.trunk.length === 0 && expected.branches.length === 0) {
      if (tree !== null) path.branches = this.branchesOf(tree, path.losses);
      return;
    }
    expected.labels ??= [...expected.trunk, ...expected.branches.flat()].map((i) => topo.point(i).label);
    path.expected = expected.labels;
    path.expectation = expected;
    for (let i = 0; i < n; i++) seen[records[i]!.point] = 1;
    let all = true;
    for (const p of expected.trunk) if (seen[p] !== 1) all = false;
    for (const b of expected.branches) for (const p of b) if (seen[p] !== 1) all = false;
    for (let i = 0; i < n; i++) seen[records[i]!.point] = 0;
    if (all) {
      path.complete = true;
      path.verdict = 'complete';
    } else {
      // Something is missing: judged as if every capture were whole; a live trace judges
      // it again once it knows its points' drops (see verdict.ts).
      judgePath(path, topo, null);
    }
    if (tree !== null) path.branches = this.branchesOf(tree, path.losses);
  }

  /** The tree's branches, each with the loss (of `losses`, the same object) on its points. */
  private branchesOf(tree: Tree, losses: readonly Loss[]): PathBranch[] {
    const points = this.topo.points;
    return tree.ports.map((port) => {
      const p = points[port]!;
      const labels = p.peer >= 0 ? [p.label, points[p.peer]!.label] : [p.label];
      const lost = losses.find((l) => labels.includes(l.before) || labels.includes(l.after)) ?? null;
      return { port: p.label, points: labels, lost };
    });
  }
}

/** A flooded frame's branches while its path is built. */
interface Tree {
  /** Egress port point of each branch. */
  ports: number[];
  /** `PacketPath.flooded`. */
  flooded: string[];
  /** Per record index: its branch, or -1 on the trunk (the builder's scratch). */
  branchOf: Int32Array;
}

function nsBetween(a: CaptureRecord, b: CaptureRecord): number {
  return (b.tsSec - a.tsSec) * 1e9 + (b.tsNsec - a.tsNsec);
}

function publicDirection(d: number): Direction {
  return d === DIRECTION.INBOUND ? DIRECTION.INBOUND : d === DIRECTION.OUTBOUND ? DIRECTION.OUTBOUND : DIRECTION.UNKNOWN;
}

/** Two records of one link type with the same bytes (a copy the kernel did not change). */
function sameRecord(a: CaptureRecord, b: CaptureRecord): boolean {
  return a.linkType === b.linkType && a.data.length === b.data.length && sameBytes(a.data, 0, b.data, 0, a.data.length);
}

/** Build one path without a long-lived builder (tests, tools). */
export function buildPath(id: number, records: readonly CaptureRecord[], topo: TopologyIndex): PacketPath {
  return new PathBuilder(topo).build(id, records);
}
