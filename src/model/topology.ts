/**
 * The capture points of a session and how they connect. Produced by the planner from a
 * resolved topology (or read from a session manifest, or made from plain file names by
 * `vethcap merge`), consumed by the correlation engine and the sinks.
 */

/** What a capture point is, which decides how the timeline treats it. */
export type PointRole =
  /** The interface inside a target's network namespace (box:eth0). */
  | 'namespace-end'
  /** The host end of a veth pair (host:veth854b6a5); often a bridge port. */
  | 'host-veth'
  /**
   * The bridge device itself (host:docker0). An observation point: it sees a
   * promiscuous copy of forwarded frames, often with the ingress port's timestamp; it
   * is not a hop between the ports.
   */
  | 'bridge'
  /** The host interface a route lookup picks for a destination. */
  | 'uplink'
  /** A capture read from a file with no topology information. */
  | 'file';

export interface CapturePoint {
  /** Stable label: `<target>:<ifname>` inside a namespace, `host:<ifname>` on the host. */
  label: string;
  /** What the point is, for people (pcapng if_description). */
  description: string;
  role: PointRole;
  /** Interface name as the kernel knows it in its namespace. */
  ifname: string;
  /** For namespace-end and host-veth: the target (display name) whose veth this is. */
  owner?: string;
  /**
   * For namespace-end and host-veth: the MAC of the namespace-side interface. A frame
   * with this source MAC is leaving the namespace: outbound at the namespace end,
   * inbound at the host end. Lower-case, colon-separated.
   */
  endpointMac?: string;
  /**
   * For namespace-end: the interface's IP addresses as `ip addr` lists them
   * (`198.18.0.2/24`). A packet to one of them is headed for this point, whichever MAC
   * it carries: across a routing step (another bridge), the MAC is the router's.
   */
  addresses?: string[];
  /**
   * For uplink: the host's main routing table when the trace began, as `ip route` lists it
   * (`default` or a CIDR prefix, and the interface it leaves by). A packet the host routes
   * from a traced bridge is expected at the uplink when the longest prefix matching its
   * destination leaves by the uplink's interface. Policy rules (`ip rule`) are not followed.
   */
  hostRoutes?: HostRoute[];
  /** For a host-veth that is a bridge port: the label of the bridge point. */
  bridge?: string;
  /** For namespace-end: the label of its host-veth peer point, and vice versa. */
  peer?: string;
  /** The capture filter in force at this point, if any (pcapng if_filter). */
  filter?: string;
  /** Snap length in force (pcapng if_snaplen); 262144 when not told. */
  snaplen?: number;
  /** LINKTYPE_ of the frames captured here. */
  linkType?: number;
}

/** One route of the host's main table: its destination (`default`, `198.19.0.0/16`, `198.19.0.9`) and the interface it leaves by. */
export interface HostRoute {
  dst: string;
  dev: string;
}

export interface Topology {
  points: CapturePoint[];
}
