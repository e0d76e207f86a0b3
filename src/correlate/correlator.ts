import { decodeFrame } from '../decode/decode-frame.js';
import { DecodedFrame } from '../decode/frame.js';
import { VethcapError } from '../errors.js';
import type { CaptureRecord } from '../model/record.js';
import type { Timestamp } from '../model/time.js';
import type { Topology } from '../model/topology.js';
import { PathBuilder } from './build-path.js';
import { fingerprint } from './fingerprint.js';
import { InvariantKey } from './invariant-key.js';
import { GroupChains, type Chained } from './group-chains.js';
import { KeyQueue, type Queued } from './key-queue.js';
import { NONE } from './lazy-path.js';
import type { PacketPath } from './path.js';
import { PathOrder, downstream, type OrderCodes } from './path-order.js';
import { TopologyIndex } from './topology-index.js';
import type { LearnedOrder } from './learned-order.js';

export interface CorrelateOptions {
  /**
   * How long (ns) after a packet's first copy later copies may still join it. Also how
   * long a group stays open, so it bounds memory. Default 1 s; a hop takes microseconds.
   */
  windowNs?: number;
  /**
   * Transport payload bytes compared per copy (the first 16 are hashed). With IP ID,
   * lengths and sequence numbers, 32 bytes tell packets apart. Default 32.
   */
  fingerprintBytes?: number;
  /**
   * For a topology of plain files (no roles): the order of points learned from the
   * captures (`learned-order.ts`), which then orders equal timestamps instead of the
   * point order. Ignored where there is a topology.
   */
  learnedOrder?: LearnedOrder;
}

export interface CorrelateStats {
  records: number;
  paths: number;
  /** Groups open now (packets whose window has not passed). */
  openGroups: number;
  /** The most groups ever open at once: the memory the window took. */
  maxOpenGroups: number;
  /** Paths emitted with a non-empty `ambiguousAt` (identical packets made a missing copy uncertain). */
  ambiguous: number;
}

export type PathSink = (path: PacketPath) => void;

/** What an unused group slot holds. */
const NO_RECORD: CaptureRecord = { point: -1, tsSec: 0, tsNsec: 0, data: new Uint8Array(0), origLen: 0, linkType: 0, direction: 0 };
/** Closed groups (and emptied key queues) kept for reuse: one object and array per packet would otherwise be garbage. */
const MAX_FREE_GROUPS = 1024;

/**
 * A candidate is stale when the next candidate began more than this (ns) after the
 * candidate's newest copy: the candidate is a packet lost on the way, and the copy
 * belongs to a later identical packet (a retransmission). Hop latencies under burst
 * load reach several ms (a softirq backlog), while retransmissions come ≥ 200 ms later
 * (Linux TCP's minimum RTO) and ARP retries after 1 s; 50 ms leaves a wide margin on
 * both sides. The gap is measured between the two packets, not from the candidate to
 * the copy: in a queue that holds identical packets for longer than 50 ms (a shaped
 * link), every waiting packet's newest copy is that old, yet packets only
 * microseconds apart are no retransmissions of each other.
 */
const STALE_NS = 50_000_000;

/**
 * How many groups past the chosen one are searched for the next candidate (a rival,
 * or the packet that makes it stale). In an identical burst the next group is one; a
 * bound keeps the search constant-time where groups past the chosen one cannot take
 * the copy.
 */
const RIVAL_LOOKAHEAD = 8;

/** What the hash chains hold: a key's only open group, or the queue of its open groups. */
type Entry = Group | KeyQueue<Group, Entry>;
type Queue = KeyQueue<Group, Entry>;

/** The copies of one packet gathered so far, and the invariants of its first copy. */
class Group extends InvariantKey implements Queued, Chained<Entry> {
  readonly isQueue = false;
  /** One slot per capture point (a group has at most one copy per point); `count` used. */
  readonly records: CaptureRecord[];
  /** records[i] decoded (the correlator's decode, handed to the path builder: one decode per copy). */
  readonly frames: DecodedFrame[];
  count = 0;
  /** A copy at every point: nothing can join, it leaves as soon as the groups before it do. */
  full = false;
  /**
   * The open groups with this key, and this group's place among them; null while it is
   * the key's only group, and then the group itself is in the hash chains.
   */
  queue: Queue | null = null;
  seq = 0;
  older: Entry | null = null;
  newer: Entry | null = null;
  chained = false;
  /** Time of the newest copy (records come in time order: the last added). */
  lastSec = 0;
  lastNsec = 0;
  /** Per point, 1 where the group was passed over as a rival candidate (see `ambiguity`); made on first use. */
  contendedAt: Uint8Array | null = null;
  marked = false;

  constructor(
    public id: number,
    public hash: number,
    public firstSec: number,
    public firstNsec: number,
    points: number,
  ) {
    super();
    this.records = new Array<CaptureRecord>(points).fill(NO_RECORD);
    this.frames = Array.from({ length: points }, () => new DecodedFrame());
  }

  /** Make a closed group (from the pool) a new one. */
  reuse(id: number, hash: number, firstSec: number, firstNsec: number): void {
    this.id = id;
    this.hash = hash;
    this.firstSec = firstSec;
    this.firstNsec = firstNsec;
  }

  /** Closed: drop the records and the key's bytes (a pooled group must not keep a read buffer alive). */
  clear(): void {
    for (let i = 0; i < this.count; i++) {
      this.records[i] = NO_RECORD;
      this.frames[i]!.data = NO_RECORD.data;
    }
    this.count = 0;
    this.full = false;
    this.queue = null;
    if (this.marked) this.contendedAt!.fill(0);
    this.marked = false;
    this.clearKey();
  }

  /** Adds `r`, decoded as `f`; returns the frame object `f` replaces (the caller's next scratch). */
  add(r: CaptureRecord, f: DecodedFrame): DecodedFrame {
    const spare = this.frames[this.count]!;
    this.frames[this.count] = f;
    this.records[this.count++] = r;
    this.lastSec = r.tsSec;
    this.lastNsec = r.tsNsec;
    return spare;
  }

  mark(point: number, points: number): void {
    (this.contendedAt ??= new Uint8Array(points))[point] = 1;
    this.marked = true;
  }

  hasPoint(point: number): boolean {
    const rs = this.records;
    for (let i = 0; i < this.count; i++) if (rs[i]!.point === point) return true;
    return false;
  }
}

/**
 * Groups the copies of each packet across capture points. Feed it records in timestamp
 * order (the merge's output); it emits one `PacketPath` per packet, in order of id, once
 * the packet's window has passed (the next record's time, `advance`, or `end`), or
 * sooner once it has a copy at every point and every packet before it has been emitted:
 * nothing can join such a group, and emitting it early keeps the objects of a large
 * window short-lived (cheap for the GC) without changing any path.
 *
 * A copy joins an open group with the same invariants (see `fingerprint.ts`) that has
 * no copy at its point yet: the oldest such group, because veth pairs and bridges keep
 * the order of one flow, so the k-th of a run of byte-identical packets at one point is
 * the k-th at the next (`key-queue.ts`). A group is no candidate when it already holds
 * a copy further along the packet's expected path (`path-order.ts`; the bridge device
 * and points off the path have no place in that order) stamped before this copy; nor
 * when the next candidate began more than `STALE_NS` after its newest copy (the old
 * packet was lost, this copy is a retransmission's). Without a candidate the
 * copy starts a new group, so an identical retransmission or duplicate at the same
 * point becomes a new packet. Where a copy had rival candidates and one of them ends
 * without a copy at that point, its path says so in `ambiguousAt`.
 */
export class Correlator {
  private readonly topo: TopologyIndex;
  private readonly windowNs: number;
  private readonly maxBytes: number;
  private readonly pointCount: number;
  private readonly sink: PathSink;
  /** Per key of open groups, by fingerprint hash: its only group, or a queue of them. */
  private readonly chains = new GroupChains<Entry>();
  private readonly order: PathOrder;
  /**
   * Each record is decoded here, into this frame, for its fingerprint; the frame then goes
   * with the record into its group (which gives another back) and on to the path builder.
   */
  private scratch = new DecodedFrame();
  /** Open groups in creation (= id = first-timestamp) order. */
  private open: (Group | undefined)[] = [];
  private openHead = 0;
  private readonly freeGroups: Group[] = [];
  private readonly freeQueues: Queue[] = [];
  private nextId = 1;
  private readonly builder: PathBuilder;
  private readonly counters: CorrelateStats = { records: 0, paths: 0, openGroups: 0, maxOpenGroups: 0, ambiguous: 0 };

  constructor(topology: Topology | TopologyIndex, sink: PathSink, options: CorrelateOptions = {}) {
    this.topo = topology instanceof TopologyIndex ? topology : new TopologyIndex(topology);
    this.sink = sink;
    this.windowNs = options.windowNs ?? 1_000_000_000;
    this.maxBytes = options.fingerprintBytes ?? 32;
    this.pointCount = this.topo.points.length;
    this.builder = new PathBuilder(this.topo, options.learnedOrder ?? null);
    this.order = new PathOrder(this.topo);
    if (!(this.windowNs > 0)) throw new VethcapError('USAGE', `The correlation window must be positive, not ${this.windowNs} ns.`);
    if (!(this.maxBytes >= 0)) throw new VethcapError('USAGE', `The fingerprint length must not be negative, not ${this.maxBytes}.`);
  }

  get stats(): Readonly<CorrelateStats> {
    return this.counters;
  }

  get topology(): TopologyIndex {
    return this.topo;
  }

  /** Add the next record (timestamp order). Emits the paths its time closes. */
  push(r: CaptureRecord): void {
    if (r.point < 0 || r.point >= this.topo.points.length) {
      throw new VethcapError('USAGE', `Record from capture point ${r.point}, but the topology has ${this.topo.points.length} points.`);
    }
    this.counters.records++;
    this.closeBefore(r.tsSec, r.tsNsec);
    const f = decodeFrame(r.data, r.linkType, this.scratch);
    const hash = fingerprint(f, this.maxBytes);
    let e = this.chains.first(hash);
    while (e !== null && (e.hash !== hash || !(e.isQueue ? e.front() : e).matchesKey(f, this.maxBytes))) e = e.older;
    let q: Queue | null = null;
    if (e !== null) {
      let joined: Group | null;
      if (e.isQueue) {
        q = e;
        joined = this.choose(q, r, f);
      } else {
        const codes = this.order.codesFor(f);
        joined = takes(e, r, r.point, codes, codes === null ? -1 : codes[r.point]!) ? e : null;
        if (joined === null) q = this.queueFor(e);
      }
      if (joined !== null) {
        this.scratch = joined.add(r, f);
        if (joined.count === this.pointCount) this.fullGroupAt(joined);
        return;
      }
    }
    let g = this.freeGroups.pop();
    if (g === undefined) g = new Group(this.nextId++, hash, r.tsSec, r.tsNsec, this.pointCount);
    else g.reuse(this.nextId++, hash, r.tsSec, r.tsNsec);
    g.setKey(f, this.maxBytes);
    this.scratch = g.add(r, f);
    if (q === null) {
      this.chains.add(g);
    } else {
      g.queue = q;
      q.push(g);
      q.cursor[r.point] = q.end;
    }
    this.open.push(g);
    const c = this.counters;
    if (++c.openGroups > c.maxOpenGroups) c.maxOpenGroups = c.openGroups;
    if (g.count === this.pointCount) this.fullGroupAt(g);
  }

  /**
   * A second group with `only`'s key is opening: put `only` in a queue, in its place in
   * the chains. Each point's cursor is past it where it has a copy (every copy so far
   * joined it), at it elsewhere.
   */
  private queueFor(only: Group): Queue {
    const q = this.freeQueues.pop() ?? new KeyQueue<Group, Entry>(this.pointCount);
    q.reset(only.hash);
    this.chains.remove(only);
    q.push(only);
    for (let p = 0; p < this.pointCount; p++) q.cursor[p] = only.hasPoint(p) ? only.seq + 1 : only.seq;
    only.queue = q;
    this.chains.add(q);
    return q;
  }

  /**
   * The group of `q` that `r` joins, or null (it starts a new one). Moves the point's
   * cursor past the chosen group and every group passed over (none of them can take a
   * later copy at this point: it is later still), noting which of those were rivals.
   */
  private choose(q: Queue, r: CaptureRecord, f: DecodedFrame): Group | null {
    const point = r.point;
    const codes = this.order.codesFor(f);
    const at = codes === null ? -1 : codes[point]!;
    const from = Math.max(q.cursor[point]!, q.start);
    const end = q.end;
    let chosen: Group | null = null;
    for (let k = from; k < end && chosen === null; k++) if (takes(q.at(k), r, point, codes, at)) chosen = q.at(k);
    // The next candidate: a rival, unless it began so long after the chosen one's newest
    // copy that the chosen one is a lost packet and this copy the later packet's.
    let rival = false;
    while (chosen !== null) {
      let after: Group | null = null;
      const stop = Math.min(end, chosen.seq + 1 + RIVAL_LOOKAHEAD);
      for (let k = chosen.seq + 1; k < stop && after === null; k++) if (takes(q.at(k), r, point, codes, at)) after = q.at(k);
      if (after === null) break;
      if ((after.firstSec - chosen.lastSec) * 1e9 + (after.firstNsec - chosen.lastNsec) <= STALE_NS) {
        rival = true;
        break;
      }
      chosen = after;
    }
    const next = chosen === null ? end : chosen.seq + 1;
    // Groups passed over for good that an earlier copy here had as rivals: contended here.
    const rivalsTo = Math.min(next, q.contendedTo[point]!);
    for (let k = from; k < rivalsTo; k++) {
      const g = q.at(k);
      if (g !== chosen) g.mark(point, this.pointCount);
    }
    q.cursor[point] = next;
    if (rival) {
      // Every group after the chosen one, as far as the queue goes now, was a rival.
      q.contendedTo[point] = end;
      q.contended = true;
    }
    return chosen;
  }

  /**
   * `g` has a copy at every point, so no record can join it any more: emit it together
   * with every full group before it once it reaches the head (paths still leave in id
   * order; a group before it that is not full keeps the rest waiting until its window
   * passes). It stays in the chains or its key's queue until then, where it takes no copy.
   */
  private fullGroupAt(g: Group): void {
    g.full = true;
    while (this.openHead < this.open.length && this.open[this.openHead]!.full) this.closeOldest();
  }

  /** Nothing earlier than `ts` will be pushed any more (the merge's watermark): emit what that closes. */
  advance(ts: Timestamp): void {
    this.closeBefore(ts.tsSec, ts.tsNsec);
  }

  /** No more records: emit every open group. */
  end(): void {
    while (this.openHead < this.open.length) this.closeOldest();
    this.open = [];
    this.openHead = 0;
  }

  /** Close groups whose window ended before (sec, nsec). */
  private closeBefore(sec: number, nsec: number): void {
    const w = this.windowNs;
    while (this.openHead < this.open.length) {
      const g = this.open[this.openHead]!;
      if ((sec - g.firstSec) * 1e9 + (nsec - g.firstNsec) <= w) break;
      this.closeOldest();
    }
    if (this.openHead > 4096 && this.openHead * 2 > this.open.length) {
      this.open = this.open.slice(this.openHead);
      this.openHead = 0;
    }
  }

  private closeOldest(): void {
    const g = this.open[this.openHead]!;
    this.open[this.openHead++] = undefined;
    const q = g.queue;
    let ambiguousAt: readonly string[] = NONE;
    if (q === null) {
      this.chains.remove(g);
    } else {
      if (q.contended || g.marked) ambiguousAt = this.ambiguity(g, q);
      // The oldest open group is the oldest of its key too: the front of its queue.
      q.shift();
      if (q.empty) {
        this.chains.remove(q);
        if (this.freeQueues.length < MAX_FREE_GROUPS) this.freeQueues.push(q);
      }
    }
    this.counters.openGroups--;
    this.counters.paths++;
    const path = this.builder.build(g.id, g.records, g.frames, g.count);
    if (ambiguousAt.length > 0) {
      path.ambiguousAt = ambiguousAt;
      this.counters.ambiguous++;
    }
    // The path holds the records, not the group: the group can be reused.
    g.clear();
    if (this.freeGroups.length < MAX_FREE_GROUPS) this.freeGroups.push(g);
    this.sink(path);
  }

  /**
   * Points where `g` has no copy although a copy there had `g` as a rival candidate: one
   * that passed it over (marked then), or one that joined an older group while `g` was
   * still ahead of the cursor (within `contendedTo`). Rivals are taken as every group of
   * the key open at that moment once one is confirmed, which is exact for a burst.
   */
  private ambiguity(g: Group, q: Queue): readonly string[] {
    let out: string[] | null = null;
    for (let p = 0; p < this.pointCount; p++) {
      const rival = (g.marked && g.contendedAt![p] === 1) || (g.seq >= q.cursor[p]! && g.seq < q.contendedTo[p]!);
      if (rival && !g.hasPoint(p)) (out ??= []).push(this.topo.points[p]!.label);
    }
    return out ?? NONE;
  }
}

/**
 * Whether `g` may take the copy `r` at `point`: it has no copy there yet, and none
 * further along the path (order code `at` of `codes`) stamped before `r`. Records come
 * in time order, so every copy already in `g` is no later than `r`.
 */
function takes(g: Group, r: CaptureRecord, point: number, codes: OrderCodes | null, at: number): boolean {
  const rs = g.records;
  for (let i = 0; i < g.count; i++) {
    const c = rs[i]!;
    if (c.point === point) return false;
    if (at >= 0 && downstream(at, codes![c.point]!) && (c.tsSec < r.tsSec || (c.tsSec === r.tsSec && c.tsNsec < r.tsNsec))) return false;
  }
  return true;
}
