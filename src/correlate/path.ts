import type { DecodedFrame } from '../decode/frame.js';
import type { ExpectedPath } from './expected-path.js';
import type { CaptureRecord, Direction } from '../model/record.js';
import type { PointRole } from '../model/topology.js';
import type { Timestamp } from '../model/time.js';

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
  /** Nanoseconds since the previous hop; null for the first hop and for bridge device copies. */
  deltaNs: number | null;
  /** For a bridge device copy: nanoseconds since the hop before it (0: same kernel timestamp); else null. */
  observedAfterNs: number | null;
  readonly record: CaptureRecord;
  /** The decoded frame (decoded on first use). */
  readonly frame: DecodedFrame;
}

/** The packet was seen at `after` and not at `before`, the next point it should have crossed. */
export interface Loss {
  after: string;
  before: string;
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

/**
 * Why a point has no copy of a packet, when the capture and not the network explains it:
 * `kernel-drops` (the point's kernel dropped packets around that moment), `point-ended`
 * (its capture had ended: the container stopped), `not-read` (the trace stopped before
 * its capture was read that far), `ambiguous` (identical packets whose copies cannot be
 * told apart by order), `gap` (no copy, although the point reported no drops then).
 */
export type GapReason = 'kernel-drops' | 'point-ended' | 'not-read' | 'ambiguous' | 'gap';

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
  /** Bridge ports the frame left through, when more than one (flooding). */
  flooded: readonly string[];
  nat: readonly NatRewrite[];
  ttl: readonly TtlChange[];
  macRewrites: readonly MacRewrite[];
  /** The verdict (see PathVerdict); null when there is nothing to expect (as `complete`). */
  verdict: PathVerdict | null;
  /** Expected points without a copy that the capture, not the network, explains (or may explain). */
  notCaptured: readonly NotCaptured[];
  /**
   * Labels of points where this path lacks a copy and identical packets (same bytes)
   * made the assignment of copies uncertain.
   */
  ambiguousAt: readonly string[];
  /** The expectation as point indexes (trunk, flood branches), for judging; null without one. */
  expectation: ExpectedPath | null;
}
