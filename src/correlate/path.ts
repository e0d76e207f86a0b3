import type { DecodedFrame } from '../decode/frame.js';
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
  nat: readonly NatRewrite[];
  ttl: readonly TtlChange[];
  macRewrites: readonly MacRewrite[];
}
