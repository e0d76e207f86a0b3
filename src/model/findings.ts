/**
 * What vethcap found about one packet's path, as data: a stable `code` and typed fields,
 * after Wireshark's expert info. The code and the fields are the API (NDJSON `findings`,
 * docs/json.md); the words are rendered from them (render/findings.ts) and may change.
 * Derived from a PacketPath by `pathFindings` (correlate/findings.ts).
 *
 * Point labels (`box:eth0`, `host:veth854b6a5`) name the points throughout.
 */

/**
 * Why a point has no copy of a packet, when the capture and not the network explains it:
 * `kernel-drops` (the point's kernel dropped packets around that moment), `point-ended`
 * (its capture had ended: the container stopped), `not-read` (the trace stopped before
 * its capture was read that far), `ambiguous` (identical packets whose copies cannot be
 * told apart by order), `gap` (no copy, although the point reported no drops then).
 */
export type GapReason = 'kernel-drops' | 'point-ended' | 'not-read' | 'ambiguous' | 'gap';

/** An expected point without a copy, and why its capture may have missed it. */
export interface MissingCopy {
  readonly point: string;
  readonly reason: GapReason;
  /** With `kernel-drops`: packets the point's kernel dropped around the packet; null when unknown, and for every other reason. */
  readonly droppedByKernel: number | null;
}

/**
 * The network lost the packet: seen at `after`, not at `before`, the first point after
 * it whose capture was whole then. One per loss; a flooded frame can stop on several
 * branches.
 */
export interface PathLostFinding {
  readonly code: 'PATH_LOST';
  readonly after: string;
  readonly before: string;
  /** On a flooded frame's tree: the egress port of the branch the loss is on; null on the trunk and on any other path. */
  readonly branch: string | null;
  /**
   * `host-routing`: `after` and `before` are the host veths on either side of the host's
   * routing step between two bridges, and the destination's bridge device (where
   * captured) did not see it: the host's routing or firewall dropped it. Else null.
   */
  readonly where: 'host-routing' | null;
}

/**
 * The packet made its way (or, with verdict `lost`, got further than this point) but
 * `point` has no copy: its capture missed it, for `reason`. One per point.
 */
export interface NotCapturedFinding extends MissingCopy {
  readonly code: 'NOT_CAPTURED';
}

/**
 * No claim about the packet can be true: copies are missing at several points in a row
 * whose captures all may have missed them, or where identical packets could not be told
 * apart. The packet may have stopped before any of `missing` (in path order), or not at all.
 */
export interface UndeterminedFinding {
  readonly code: 'UNDETERMINED';
  readonly missing: readonly MissingCopy[];
}

/** The packet began after the trace was asked to stop: it is in the pcapng, with no verdict. */
export interface AfterStopFinding {
  readonly code: 'AFTER_STOP';
}

/** The bridge copied the frame to several ports (broadcast, multicast, unknown unicast). */
export interface FloodedFinding {
  readonly code: 'FLOODED';
  /** The bridge ports it left through, two or more. */
  readonly ports: readonly string[];
}

/**
 * Between consecutive copies at `after` and `before`, the `side` endpoint (source or
 * destination address with its port, or ICMP echo id) changed from `from` to `to`.
 * Endpoints read `addr:port` (IPv6 `[addr]:port`), `addr id=N`, or `addr`.
 */
export interface NatRewriteFinding {
  readonly code: 'NAT_REWRITE';
  readonly after: string;
  readonly before: string;
  readonly side: 'src' | 'dst';
  readonly from: string;
  readonly to: string;
}

/** The IPv4 TTL or IPv6 hop limit changed from `from` to `to` between consecutive copies at `after` and `before`. */
export interface TtlChangeFinding {
  readonly code: 'TTL_CHANGE';
  readonly after: string;
  readonly before: string;
  readonly from: number;
  readonly to: number;
}

/** Source and/or destination MAC rewritten between consecutive copies (a routed hop); null where unchanged. */
export interface MacRewriteFinding {
  readonly code: 'MAC_REWRITE';
  readonly after: string;
  readonly before: string;
  readonly src: { readonly from: string; readonly to: string } | null;
  readonly dst: { readonly from: string; readonly to: string } | null;
}

/** One finding about a path; `code` tells which. */
export type PathFinding =
  | PathLostFinding
  | NotCapturedFinding
  | UndeterminedFinding
  | AfterStopFinding
  | FloodedFinding
  | NatRewriteFinding
  | TtlChangeFinding
  | MacRewriteFinding;

/**
 * Every code, in the order a path lists its findings. Codes are never renamed or given
 * another meaning within a major version; new ones may be added.
 */
export const PATH_FINDING_CODES = [
  'PATH_LOST',
  'NOT_CAPTURED',
  'UNDETERMINED',
  'AFTER_STOP',
  'FLOODED',
  'NAT_REWRITE',
  'TTL_CHANGE',
  'MAC_REWRITE',
] as const satisfies ReadonlyArray<PathFinding['code']>;

export type PathFindingCode = (typeof PATH_FINDING_CODES)[number];

/** The finding of one code: `FindingOf<'NAT_REWRITE'>` is NatRewriteFinding. */
export type FindingOf<C extends PathFindingCode> = Extract<PathFinding, { code: C }>;

/** Compiles only while every code of the union is in PATH_FINDING_CODES (`satisfies` above checks the other way). */
const EVERY_CODE_LISTED: [Exclude<PathFinding['code'], PathFindingCode>] extends [never] ? true : never = true;
void EVERY_CODE_LISTED;
