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
import type { PacketPath } from './path.js';
import { TopologyIndex } from './topology-index.js';

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
}

export interface CorrelateStats {
  records: number;
  paths: number;
  /** Groups open now (packets whose window has not passed). */
  openGroups: number;
  /** The most groups ever open at once: the memory the window took. */
  maxOpenGroups: number;
}

export type PathSink = (path: PacketPath) => void;

/** What an unused group slot holds. */
const NO_RECORD: CaptureRecord = { point: -1, tsSec: 0, tsNsec: 0, data: new Uint8Array(0), origLen: 0, linkType: 0, direction: 0 };
/** Closed groups kept for reuse: one object and array per packet would otherwise be garbage. */
const MAX_FREE_GROUPS = 1024;

/** The copies of one packet gathered so far, and the invariants of its first copy. */
class Group extends InvariantKey implements Chained<Group> {
  /** One slot per capture point (a group has at most one copy per point); `count` used. */
  readonly records: CaptureRecord[];
  count = 0;
  /** A copy at every point: nothing can join, it leaves as soon as the groups before it do. */
  full = false;
  older: Group | null = null;
  newer: Group | null = null;
  /** In the hash chains (full groups never are, or leave them when they fill). */
  chained = false;

  constructor(
    public id: number,
    public hash: number,
    public firstSec: number,
    public firstNsec: number,
    points: number,
  ) {
    super();
    this.records = new Array<CaptureRecord>(points).fill(NO_RECORD);
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
    for (let i = 0; i < this.count; i++) this.records[i] = NO_RECORD;
    this.count = 0;
    this.full = false;
    this.clearKey();
  }

  add(r: CaptureRecord): void {
    this.records[this.count++] = r;
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
 * A copy joins the most recent open group with the same invariants (see
 * `fingerprint.ts`) that has no copy at that point yet; otherwise it starts a new group,
 * so an identical retransmission or duplicate at the same point becomes a new packet.
 */
export class Correlator {
  private readonly topo: TopologyIndex;
  private readonly windowNs: number;
  private readonly maxBytes: number;
  private readonly pointCount: number;
  private readonly sink: PathSink;
  /** Open groups by fingerprint hash, newest first. */
  private readonly byHash = new GroupChains<Group>();
  /** Each record is decoded here for its fingerprint, then again when its path is built. */
  private readonly scratch = new DecodedFrame();
  /** Open groups in creation (= id = first-timestamp) order. */
  private open: (Group | undefined)[] = [];
  private openHead = 0;
  private readonly freeGroups: Group[] = [];
  private nextId = 1;
  private readonly builder: PathBuilder;
  private readonly counters: CorrelateStats = { records: 0, paths: 0, openGroups: 0, maxOpenGroups: 0 };

  constructor(topology: Topology | TopologyIndex, sink: PathSink, options: CorrelateOptions = {}) {
    this.topo = topology instanceof TopologyIndex ? topology : new TopologyIndex(topology);
    this.sink = sink;
    this.windowNs = options.windowNs ?? 1_000_000_000;
    this.maxBytes = options.fingerprintBytes ?? 32;
    this.pointCount = this.topo.points.length;
    this.builder = new PathBuilder(this.topo);
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
    for (let g = this.byHash.first(hash); g !== null; g = g.older) {
      if (g.hash === hash && !g.hasPoint(r.point) && g.matchesKey(f, this.maxBytes)) {
        g.add(r);
        if (g.count === this.pointCount) this.fullGroupAt(g);
        return;
      }
    }
    let g = this.freeGroups.pop();
    if (g === undefined) g = new Group(this.nextId++, hash, r.tsSec, r.tsNsec, this.pointCount);
    else g.reuse(this.nextId++, hash, r.tsSec, r.tsNsec);
    g.setKey(f, this.maxBytes);
    g.add(r);
    this.open.push(g);
    const c = this.counters;
    if (++c.openGroups > c.maxOpenGroups) c.maxOpenGroups = c.openGroups;
    if (g.count === this.pointCount) this.fullGroupAt(g);
    else this.byHash.add(g);
  }

  /**
   * `g` has a copy at every point, so no record can join it any more: take it out of the
   * lookup, and emit it together with every full group before it once it reaches the
   * head (paths still leave in id order; a group before it that is not full keeps
   * the rest waiting until its window passes).
   */
  private fullGroupAt(g: Group): void {
    if (g.chained) this.byHash.remove(g);
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
    if (g.chained) this.byHash.remove(g);
    this.counters.openGroups--;
    this.counters.paths++;
    const path = this.builder.build(g.id, g.records, undefined, g.count);
    // The path holds the records, not the group: the group can be reused.
    g.clear();
    if (this.freeGroups.length < MAX_FREE_GROUPS) this.freeGroups.push(g);
    this.sink(path);
  }
}
