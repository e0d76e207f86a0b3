/**
 * The host's state as `vethcap verify` reads it before and after a run (host-snapshot.ts
 * reads it, the parse-*.ts modules turn the tools' output into it, hints.ts compares the
 * two snapshots). Types only: what the hints look at, nothing about how it was read.
 */

/** One interface on the expected path. */
export interface PathInterface {
  /** Capture point label: box:eth0, host:veth854b6a5. */
  label: string;
  ifname: string;
  /** The namespace to read it in; undefined on the host. */
  netns?: string;
}

/** What verify knows about the path the hints are about. */
export interface HintContext {
  /** The bridge between source and destination, if any. */
  bridge: string | null;
  /** Interfaces along the expected path, in order (source first). */
  interfaces: PathInterface[];
  /** The destination's MAC and host veth (its bridge port), when vethcap knows them. */
  dstMac: string | null;
  dstPort: string | null;
  /** Set when source and destination sit on different bridges and the host routes between them. */
  routed?: { fromBridge: string; toBridge: string; srcIp: string; dstIp: string };
  /** Size of each probe as an IP packet (bytes), for MTU questions; null when not probing. */
  probeBytes: number | null;
}

export interface LinkState {
  mtu: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  operstate: string;
  noCarrier: boolean;
}

/** A rule with a counter: nftables (`family` set) or iptables (`family` null). */
export interface CounterRule {
  /** nftables family (bridge, ip, inet, …); null for an iptables rule. */
  family: string | null;
  /** nftables table name; for iptables the table iptables-save listed (filter). */
  table: string;
  chain: string;
  /** nftables rule handle; null for iptables (and an nft rule printed without one). */
  handle: number | null;
  /** The rule without its counter values: nft's text, or iptables-save's `-A CHAIN …`. */
  rule: string;
  packets: number;
  /** Its verdict drops or rejects. */
  drops: boolean;
}

export interface ChainPolicy {
  policy: string;
  packets: number;
}

export interface QdiscState {
  kind: string;
  drops: number;
  /** netem's loss in percent, when it has one. */
  lossPercent: number | null;
}

/**
 * The kernel's answer to `ip route get DST from SRC iif FROM`: the interface the packet
 * leaves by, or the errno class of its refusal. One per direction of a routed path.
 */
export interface RouteAnswer {
  /** The bridge the packet comes in on (iif). */
  from: string;
  src: string;
  dst: string;
  /** The interface the kernel routes it out of; null when it refused. */
  dev: string | null;
  /** Why it refused; null when it answered with a route. */
  error: 'network-unreachable' | 'host-unreachable' | 'invalid' | 'prohibited' | 'other' | null;
}

/** Counters of drops at the routing step (this namespace's); null when not readable. */
export interface KernelCounters {
  /** Ip InAddrErrors: what arrived for forwarding with forwarding off (or to an unreachable route). */
  inAddrErrors: number | null;
  /** IpExt InNoRoutes: what arrived with no route to its destination. */
  inNoRoutes: number | null;
  /** TcpExt IPReversePathFilter: what rp_filter dropped. */
  rpFilterDrops: number | null;
}

export interface HostSnapshot {
  /** By point label. */
  links: Record<string, LinkState>;
  /** Bridge port state by host interface name. */
  ports: Record<string, string>;
  /** FDB entries of the bridge: MAC → port names (lower-case MAC). */
  fdb: Record<string, string[]>;
  /** nftables rules with a counter, by a stable key (family, table, chain, handle). */
  nft: Record<string, CounterRule>;
  /** iptables rules (filter table) by a stable key (the rule and its occurrence). */
  iptables: Record<string, CounterRule>;
  /** iptables filter chain policies with their counters. */
  policies: Record<string, ChainPolicy>;
  /** /proc/sys/net/bridge/bridge-nf-call-iptables: '1', '0', or null when br_netfilter is not loaded. */
  brNfCallIptables: string | null;
  /** /proc/sys/net/ipv4/ip_forward: '1', '0', or null when it could not be read. */
  ipForward: string | null;
  /** Routed paths: /proc/sys/net/ipv4/conf/<bridge>/forwarding of the two bridges, by bridge name (the ingress interface's decides). */
  forwarding: Record<string, string>;
  /** Routed paths: the kernel's route for each direction (source's, then the answers'). */
  routes: RouteAnswer[];
  /** Routed paths: net.ipv4.conf.{all,<bridge>}.rp_filter by `all` and bridge name. */
  rpFilter: Record<string, string>;
  /** Routed paths: the neighbour states of each destination address on its bridge, by address. */
  neighbours: Record<string, string[]>;
  /** Routed paths: the routing step's drop counters. */
  counters: KernelCounters;
  /** By point label, in the order tc lists them. */
  qdiscs: Record<string, QdiscState[]>;
  /** Readers that failed (a tool missing): their hints are not available. */
  unavailable: string[];
}

export function emptySnapshot(): HostSnapshot {
  return { links: {}, ports: {}, fdb: {}, nft: {}, iptables: {}, policies: {}, brNfCallIptables: null, ipForward: null, forwarding: {}, routes: [], rpFilter: {}, neighbours: {}, counters: { inAddrErrors: null, inNoRoutes: null, rpFilterDrops: null }, qdiscs: {}, unavailable: [] };
}
