import type { DecodedFrame } from '../decode/frame.js';
import type { ExpectedPath } from './expected-path.js';
import type { CaptureRecord, Direction } from '../model/record.js';
import type { PointRole } from '../model/topology.js';
import type { Timestamp } from '../model/time.js';
import type { GapReason } from '../model/findings.js';

/** One packet's copy at one capture point, in path order. */
export interface PathCopy {
  readonly point: number;
  readonly label: string;
  readonly role: PointRole;
  readonly ts: Timestamp;
  /** From the capture where it says, else inferred from the topology (see `directionInferred`). */
  direction: Direction;
  directionInferred: boolean;
  /**
   * 1-based position among the path's hops. A bridge device copy is an observation, not
   * a hop: its `hop` is 0.
   */
  hop: number;
  /**
   * Nanoseconds since the previous hop; null for the first hop and for bridge device copies.
   * On a tree (see `PacketPath.branches`) the previous hop is the one before on the same
   * branch, and for a branch's first hop the trunk's last hop (the ingress port).
   */
  deltaNs: number | null;
  /**
   * For a bridge device copy: nanoseconds since the hop before it (0: same kernel timestamp),
   * on a tree the trunk's last hop before it; else null.
   */
  observedAfterNs: number | null;
  /**
   * On a tree: the egress port label of the branch this copy is on (the port itself and
   * its namespace end), null on the trunk. Always null on a path that is not a tree.
   */
  readonly branch: string | null;
  readonly record: CaptureRecord;
  /** The decoded frame (decoded on first use). */
  readonly frame: DecodedFrame;
}

/** The packet was seen at `after` and not at `before`, the next point it should have crossed. */
export interface Loss {
  after: string;
  before: string;
  /**
   * Present only when the two points are the host veths on either side of the host's
   * routing step (different bridges) and the destination's bridge device, where
   * captured, did not see the packet either: `host-routing`, the host's routing or
   * firewall step dropped it.
   */
  where?: LossPlace;
}

/** Where in the host a loss happened, when vethcap can place it: its routing step between two bridges. */
export type LossPlace = 'host-routing';

/**
 * One branch of a flooded frame: the bridge port it left through (or should have) and
 * what came after it.
 */
export interface PathBranch {
  /** The egress bridge port: the branch's name, and `PathCopy.branch` of its copies. */
  readonly port: string;
  /** The branch's points in order: the port, then its namespace end where that is captured. */
  readonly points: readonly string[];
  /** Where the frame stopped on this branch (one of the path's `losses`); null when it did not. */
  readonly lost: Loss | null;
}

/** A NAT rewrite between two consecutive copies: `side` endpoint `from` → `to`. */
export interface NatRewrite {
  after: string;
  before: string;
  side: 'src' | 'dst';
  from: string;
  to: string;
}

/** A TTL or hop-limit change between two consecutive copies. */
export interface TtlChange {
  after: string;
  before: string;
  from: number;
  to: number;
}

/** MACs rewritten between two consecutive copies (a routed hop). */
export interface MacRewrite {
  after: string;
  before: string;
  src: { from: string; to: string } | null;
  dst: { from: string; to: string } | null;
}

/**
 * What vethcap can say about a packet's trip (docs/json.md):
 * - `complete`: every expected point saw it;
 * - `lost`: the network lost it (`lost` says where): a point whose capture was whole at
 *   that moment did not see it;
 * - `not-captured`: it made its way, but a point has no copy because that point's capture
 *   missed it (kernel drops, the point ended, the rest of its capture was not read);
 * - `undetermined`: copies are missing where captures dropped at several points in a row,
 *   or where identical packets could not be told apart, so no claim can be true;
 * - `after-stop`: its first copy came after the trace was asked to stop: no verdict.
 */
export type PathVerdict = 'complete' | 'lost' | 'not-captured' | 'undetermined' | 'after-stop';

/** Why a point has no copy of a packet (defined with the findings, which name it too). */
export type { GapReason };

/** An expected point without a copy, and why vethcap thinks the capture (not the network) missed it. */
export interface NotCaptured {
  point: string;
  reason: GapReason;
  /** With `kernel-drops`: packets the point's kernel dropped in the interval around the packet; else null. */
  droppedByKernel: number | null;
}

/** All copies of one packet and what they say about its trip. */
export interface PacketPath {
  /** Sequential from 1, in order of the packet's first copy (pcapng epb_packetid). */
  readonly id: number;
  /** One line for people, from the first copy (made on first use). */
  readonly summary: string;
  /** ICMP, ICMPv6, TCP, UDP, ARP, IPv4, IPv6 or an ethertype as 0x88cc (made on first use). */
  readonly protocol: string;
  /** Wire length of the first copy. */
  length: number;
  copies: PathCopy[];
  /** Number of copies that are hops (not bridge device copies). */
  hopCount: number;
  /** Labels of the points the topology says the packet should cross (bridge devices left out); null without a topology. */
  expected: readonly string[] | null;
  /** True when every expected point saw the packet; null when there is nothing to expect. */
  complete: boolean | null;
  /** Where the packet stopped, when it did. */
  lost: Loss | null;
  /** Every loss, one per branch of a flooded frame; `lost` is the first. */
  losses: readonly Loss[];
  /** Expected points that did not see the packet (lost, or a capture gap). */
  notSeen: readonly string[];
  /**
   * Labels of points (in point order) where this path has no copy although a copy there
   * may have been its own: byte-identical packets were in flight, a copy at that point
   * went to one of them while this path could have taken it, and nothing (order of
   * arrival, the path's order, time) told which. So a loss or gap there may belong to
   * another of the identical packets. Empty otherwise.
   */
  ambiguousAt: readonly string[];
  /** Bridge ports the frame left through, when more than one (flooding). */
  flooded: readonly string[];
  /**
   * Empty unless the path is a tree: a frame the bridge flooded to more than one port,
   * or a broadcast/multicast frame the topology expects at more than one port. Then the
   * path runs from its source to the ingress port (the trunk: copies whose `branch` is
   * null) and splits into these branches, one per egress port: the ports that saw it
   * leave, in order of their copies, then the expected ones that did not.
   */
  branches: readonly PathBranch[];
  nat: readonly NatRewrite[];
  ttl: readonly TtlChange[];
  macRewrites: readonly MacRewrite[];
  /** The verdict (see PathVerdict); null when there is nothing to expect (as `complete`). */
  verdict: PathVerdict | null;
  /** Expected points without a copy that the capture, not the network, explains (or may explain). */
  notCaptured: readonly NotCaptured[];
  /** The expectation as point indexes (trunk, flood branches), for judging; null without one. */
  expectation: ExpectedPath | null;
}
