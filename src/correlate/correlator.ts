import { decodeFrame } from '../decode/decode-frame.js';
import { DecodedFrame } from '../decode/frame.js';
import { VethcapError } from '../errors.js';
import type { CaptureRecord } from '../model/record.js';
import type { Timestamp } from '../model/time.js';
import type { Topology } from '../model/topology.js';
import { buildPath } from './build-path.js';
import { fingerprint, sameInvariants } from './fingerprint.js';
import type { PacketPath } from './path.js';
import { TopologyIndex } from './topology-index.js';

export interface CorrelateOptions {
  /**
   * How long (ns) after a packet's first copy later copies may still join it. Also how
   * long a group stays open, so it bounds memory. Default 1 s; a hop takes microseconds.
   */
  windowNs?: number;
  /** Payload bytes hashed and compared per copy. Default 256. */
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

/** The copies of one packet gathered so far. */
class Group {
  readonly records: CaptureRecord[] = [];
  /** Decoded frame of the first copy, kept for the exact comparison. */
  readonly frames: (DecodedFrame | undefined)[] = [];
  /** Older / newer open groups with the same fingerprint hash. */
  older: Group | null = null;
  newer: Group | null = null;

  constructor(
    readonly id: number,
    readonly hash: number,
    readonly firstSec: number,
    readonly firstNsec: number,
    readonly rep: DecodedFrame,
  ) {}

  hasPoint(point: number): boolean {
    const rs = this.records;
    for (let i = 0; i < rs.length; i++) if (rs[i]!.point === point) return true;
    return false;
  }
}

/**
 * Groups the copies of each packet across capture points. Feed it records in timestamp
 * order (the merge's output); it emits one `PacketPath` per packet, in order of id, once
 * the packet's window has passed (the next record's time, `advance`, or `end`).
 *
 * A copy joins the most recent open group with the same invariants (see
 * `fingerprint.ts`) that has no copy at that point yet; otherwise it starts a new group,
 * so an identical retransmission or duplicate at the same point becomes a new packet.
 */
export class Correlator {
  private readonly topo: TopologyIndex;
  private readonly windowNs: number;
  private readonly maxBytes: number;
  private readonly sink: PathSink;
  /** Newest open group per fingerprint hash; older ones chain through `older`. */
  private readonly byHash = new Map<number, Group>();
  /** Open groups in creation (= id = first-timestamp) order. */
  private open: (Group | undefined)[] = [];
  private openHead = 0;
  private nextId = 1;
  private scratch = new DecodedFrame();
  private readonly counters: CorrelateStats = { records: 0, paths: 0, openGroups: 0, maxOpenGroups: 0 };

  constructor(topology: Topology | TopologyIndex, sink: PathSink, options: CorrelateOptions = {}) {
    this.topo = topology instanceof TopologyIndex ? topology : new TopologyIndex(topology);
    this.sink = sink;
    this.windowNs = options.windowNs ?? 1_000_000_000;
    this.maxBytes = options.fingerprintBytes ?? 256;
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
    for (let g: Group | null = this.byHash.get(hash) ?? null; g !== null; g = g.older) {
      if (!g.hasPoint(r.point) && sameInvariants(g.rep, f, this.maxBytes)) {
        g.records.push(r);
        g.frames.push(undefined);
        return;
      }
    }
    this.scratch = new DecodedFrame();
    const g = new Group(this.nextId++, hash, r.tsSec, r.tsNsec, f);
    g.records.push(r);
    g.frames.push(f);
    const newest = this.byHash.get(hash);
    if (newest !== undefined) {
      newest.newer = g;
      g.older = newest;
    }
    this.byHash.set(hash, g);
    this.open.push(g);
    const c = this.counters;
    if (++c.openGroups > c.maxOpenGroups) c.maxOpenGroups = c.openGroups;
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
    // Groups with one hash close oldest first, so g is the tail of its chain.
    if (g.newer === null) this.byHash.delete(g.hash);
    else g.newer.older = null;
    this.counters.openGroups--;
    this.counters.paths++;
    this.sink(buildPath(g.id, g.records, this.topo, g.frames));
  }
}
