/**
 * What the host's state says about a failed `vethcap verify`, as data: one finding per
 * hint, a stable `code` and the fields that hint rests on. The code is the interface
 * (scripts and `explain`'s callers branch on it, `verify --json` prints it under
 * `findings`); the words are hint-text.ts's and may change. Codes are never renamed or
 * reused; docs/json.md lists each with its fields.
 */

/** Every hint code, in the order verify lists its hints. */
export const HINT_CODES = [
  'LINK_DOWN',
  'NO_CARRIER',
  'PORT_STATE',
  'MTU',
  'MTU_MISMATCH',
  'QDISC_DROPS',
  'IP_FORWARD_OFF',
  'NO_ROUTE',
  'ROUTE_ELSEWHERE',
  'RP_FILTER',
  'NEIGH_FAILED',
  'DOCKER_ISOLATION',
  'FORWARD_POLICY_DROP',
  'NFT_DROP',
  'IPTABLES_DROP',
  'BR_NETFILTER',
  'FDB_MISSING',
  'FDB_STALE',
  'ARP_UNANSWERED',
  'NOT_CHECKED',
] as const;

export type HintCode = (typeof HINT_CODES)[number];

/** An interface on the expected path: its capture point label and its name where it lives. */
interface OnPath {
  /** Capture point label: box:eth0, host:veth854b6a5. */
  point: string;
  interface: string;
  /** The interface is inside a container's or named namespace (commands on it need nsenter). */
  inNamespace: boolean;
}

/** An interface administratively down (IFF_UP clear): nothing crosses it. */
export interface LinkDownFinding extends OnPath {
  code: 'LINK_DOWN';
}

/** An interface up but without carrier: the other end of its veth pair is down. */
export interface NoCarrierFinding extends OnPath {
  code: 'NO_CARRIER';
  /** The kernel's operstate: LOWERLAYERDOWN, DOWN, … */
  operstate: string;
}

/** A bridge port on the path whose STP state is not forwarding. */
export interface PortStateFinding {
  code: 'PORT_STATE';
  bridge: string;
  port: string;
  /** As `bridge link` prints it: disabled, blocking, listening, learning. */
  state: string;
}

/** An interface whose MTU is below the probes' size: the frames are dropped, not fragmented. */
export interface MtuFinding extends OnPath {
  code: 'MTU';
  mtu: number;
  /** One probe as an IP packet, in bytes. */
  packetBytes: number;
}

/** Interfaces along the path with different MTUs. */
export interface MtuMismatchFinding {
  code: 'MTU_MISMATCH';
  /** Every interface on the path whose MTU was read, in path order. */
  mtus: Array<{ point: string; interface: string; mtu: number }>;
}

/** A qdisc that dropped packets during the run (or is netem with a loss rate), on that interface's egress. */
export interface QdiscDropsFinding extends OnPath {
  code: 'QDISC_DROPS';
  /** Its kind: netem, pfifo, fq_codel, … */
  qdisc: string;
  /** Packets it dropped during the run. */
  delta: number;
  /** netem's loss in percent; null for other qdiscs. */
  lossPercent: number | null;
}

/** An nftables rule that drops or rejects and whose counter grew during the run. */
export interface NftDropFinding {
  code: 'NFT_DROP';
  family: string;
  table: string;
  chain: string;
  /** The rule's handle (`nft -a`); null if nft printed none. */
  handle: number | null;
  /** The rule as nft prints it, counter values left out. */
  rule: string;
  /** Packets it matched during the run. */
  delta: number;
}

/**
 * The host should route between the two bridges and forwarding is off: net.ipv4.ip_forward
 * (it routes nothing), or one bridge's net.ipv4.conf.<bridge>.forwarding (nothing that
 * comes in on it). Only on a routed path.
 */
export interface IpForwardOffFinding {
  code: 'IP_FORWARD_OFF';
  /** net.ipv4.ip_forward, or net.ipv4.conf.<bridge>.forwarding when only that bridge's is off. */
  sysctl: string;
  /** Its value: '0'. */
  value: string;
  fromBridge: string;
  toBridge: string;
}

/** One direction of a routed path, as the kernel was asked about it: `ip route get destinationIp from sourceIp iif fromBridge`. */
interface RouteQuestion {
  /** The bridge the packets come in on. */
  fromBridge: string;
  sourceIp: string;
  destinationIp: string;
}

/**
 * The kernel has no usable route for one direction of a routed path: `ip route get … iif`
 * answered ENETUNREACH (`network-unreachable`: no route at all), EHOSTUNREACH with
 * forwarding on (`host-unreachable`: an unreachable or prohibit route), or EINVAL with
 * rp_filter off (`invalid`: a blackhole route).
 */
export interface NoRouteFinding extends RouteQuestion {
  code: 'NO_ROUTE';
  answer: 'network-unreachable' | 'host-unreachable' | 'invalid' | 'prohibited' | 'other';
  /** IpExt InNoRoutes grew by this much during the run (the host's namespace; any traffic's); null when not readable. */
  delta: number | null;
}

/** The kernel routes one direction of a routed path out of another interface than the destination's bridge. */
export interface RouteElsewhereFinding extends RouteQuestion {
  code: 'ROUTE_ELSEWHERE';
  /** Where the kernel sends it. */
  interface: string;
  /** The bridge the destination is on. */
  expectedInterface: string;
}

/**
 * Reverse-path filtering drops one direction of a routed path: the kernel refused the
 * route as a martian source (EINVAL) with rp_filter on, or its rp_filter counter grew.
 */
export interface RpFilterFinding extends RouteQuestion {
  code: 'RP_FILTER';
  /** The sysctl that sets the mode in force: the higher of net.ipv4.conf.all.rp_filter and net.ipv4.conf.<fromBridge>.rp_filter. */
  sysctl: string;
  /** '1' (strict) or '2' (loose). */
  value: string;
  /** TcpExt IPReversePathFilter grew by this much during the run (any interface's); null when not readable. */
  delta: number | null;
}

/** The host's neighbour entry for the destination on its bridge failed: it asked (ARP) and got no answer, so it dropped what it routed there. */
export interface NeighFailedFinding {
  code: 'NEIGH_FAILED';
  bridge: string;
  ip: string;
  /** As `ip neigh` prints them: FAILED, INCOMPLETE. */
  states: string[];
}

/**
 * Docker's network isolation dropped the routed packets: a DROP rule of its
 * DOCKER-ISOLATION-STAGE-1/2 chains whose counter grew during the run, on a path between
 * two bridges. The documented ways through: a DOCKER-USER accept rule for each direction,
 * or both containers on one network.
 */
export interface DockerIsolationFinding {
  code: 'DOCKER_ISOLATION';
  table: string;
  chain: string;
  /** The rule as iptables-save prints it: `-A DOCKER-ISOLATION-STAGE-2 -o br-… -j DROP`. */
  rule: string;
  delta: number;
  fromBridge: string;
  toBridge: string;
  /** The source's and destination's addresses, as the DOCKER-USER rules would name them. */
  sourceIp: string;
  destinationIp: string;
}

/**
 * On a routed path lost at the host's routing step, no rule accepted the packets and the
 * iptables FORWARD policy DROP counted packets during the run (any interface's): none of
 * Docker's isolation rules counted them.
 */
export interface ForwardPolicyDropFinding {
  code: 'FORWARD_POLICY_DROP';
  /** FORWARD, DROP */
  chain: string;
  policy: string;
  delta: number;
  fromBridge: string;
  toBridge: string;
}

/** An iptables rule that drops or rejects and whose counter grew during the run. */
export interface IptablesDropFinding {
  code: 'IPTABLES_DROP';
  table: string;
  chain: string;
  /** The rule as iptables-save prints it: `-A CHAIN …`. */
  rule: string;
  delta: number;
}

/**
 * br_netfilter passes bridged frames through iptables, whose FORWARD policy drops: a
 * bridge Docker does not manage stops forwarding once Docker runs. Only when the loss is
 * at the bridge.
 */
export interface BrNetfilterFinding {
  code: 'BR_NETFILTER';
  /** net.bridge.bridge-nf-call-iptables */
  sysctl: string;
  /** Its value: '1'. */
  value: string;
  bridge: string;
  /** The iptables chain and its policy: FORWARD, DROP. */
  chain: string;
  policy: string;
  /** Packets the policy dropped during the run (any bridge's or interface's). */
  delta: number;
  /** A FORWARD or DOCKER-USER rule accepts the bridge's traffic (then `delta` says some of it still falls to the policy). */
  acceptRule: boolean;
}

/** The bridge has no FDB entry for the destination's MAC (unknown unicast is flooded). Only when the loss is at the bridge. */
export interface FdbMissingFinding {
  code: 'FDB_MISSING';
  bridge: string;
  mac: string;
}

/** The bridge's FDB sends the destination's MAC to ports other than the one it is on. */
export interface FdbStaleFinding {
  code: 'FDB_STALE';
  bridge: string;
  mac: string;
  /** The ports the FDB names for it. */
  ports: string[];
  /** The port the destination is on. */
  expectedPort: string;
}

/** The source asked for the destination's MAC and got no reply. */
export interface ArpUnansweredFinding {
  code: 'ARP_UNANSWERED';
  /** ARP requests from the source for the destination seen at the first hop. */
  requests: number;
  /** Some of the ARP traffic was lost on the way (it is in `lost`). */
  lostOnPath: boolean;
}

/** Readers that failed (a tool missing or refusing): the hints they feed could not be checked. */
export interface NotCheckedFinding {
  code: 'NOT_CHECKED';
  /** `ip link <point>`, `tc <point>`, `bridge link`, `bridge fdb`, `nft`, `iptables-save`. */
  readers: string[];
}

export type HintFinding =
  | LinkDownFinding
  | NoCarrierFinding
  | PortStateFinding
  | MtuFinding
  | MtuMismatchFinding
  | QdiscDropsFinding
  | IpForwardOffFinding
  | NoRouteFinding
  | RouteElsewhereFinding
  | RpFilterFinding
  | NeighFailedFinding
  | DockerIsolationFinding
  | ForwardPolicyDropFinding
  | NftDropFinding
  | IptablesDropFinding
  | BrNetfilterFinding
  | FdbMissingFinding
  | FdbStaleFinding
  | ArpUnansweredFinding
  | NotCheckedFinding;
