/**
 * The result of `vethcap resolve`. The JSON printed by `--json` is exactly these
 * shapes; the key names are a public interface (README.md, "resolve --json").
 */

export type TargetKind = 'docker' | 'podman' | 'pid' | 'netns' | 'containerd' | 'pod';

export interface NetnsRef {
  /** A path that opens the namespace: /proc/PID/ns/net or /run/netns/NAME. */
  path: string;
  /** The namespace's inode number (what `ls -Li` and `lsns` show). */
  inode: number;
}

export interface BridgePort {
  name: string;
  ifindex: number;
  /** Bridge port state: forwarding, blocking, disabled, ... */
  state: string | null;
  /** The namespace end behind this port, e.g. "web:eth0", when vethcap can tell. */
  owner: string | null;
}

export interface BridgeInfo {
  name: string;
  ifindex: number;
  /** State of the target's own port on this bridge. */
  portState: string | null;
  /** Every port of the bridge, the target's own included. */
  ports: BridgePort[];
}

export interface PeerInfo {
  name: string;
  ifindex: number;
  /** "host" when the peer is in the host's network namespace, "rootless" in a rootless Podman user's, else what vethcap knows of it. */
  netns: string;
  /** For a peer in a rootless network namespace: a path that opens it (vethcap captures there). */
  netnsPath?: string;
  mac: string | null;
  state: string;
}

export interface ResolvedInterface {
  name: string;
  ifindex: number;
  /** veth, macvlan, ipvlan, vxlan, ...; "device" when the kernel names no kind. */
  kind: string;
  mac: string | null;
  addresses: string[];
  mtu: number;
  state: string;
  /** For a veth whose peer vethcap found; null otherwise. */
  peer: PeerInfo | null;
  /** The bridge the peer is a port of; null when the peer is not bridged. */
  bridge: BridgeInfo | null;
  /**
   * What passes the peer's frames on, when the peer is on the host: "bridge" (the peer is a
   * bridge port), "host-routing" (the peer is no port of anything: the host routes, as
   * under a routed CNI such as Calico or Cilium); null when there is no peer on the host
   * or the peer is enslaved to something else (a bond, an OVS port; see `note`).
   */
  forwardedBy: 'bridge' | 'host-routing' | null;
  /** Why the peer or bridge is missing, when they are. */
  note: string | null;
}

export interface ResolvedTarget {
  /** What the user typed. */
  target: string;
  kind: TargetKind;
  /** Display name: container name, pid:N, the netns name, a containerd task's ID (12 characters of a 64-hex one), or a pod's NAMESPACE/NAME. */
  name: string;
  /** Full container ID (docker, podman, containerd; for a pod, the container whose task gave the namespace: its sandbox when there is one), else null. */
  id: string | null;
  /** A process in the namespace; null for a named netns with no process looked up. */
  pid: number | null;
  netns: NetnsRef;
  /** Docker's or Podman's network mode (bridge, a network name, container:ID), else null. */
  networkMode: string | null;
  /** When the namespace is borrowed (`--network container:X`): X's name. */
  sharedWith: string | null;
  interfaces: ResolvedInterface[];
}

export interface ResolveResult {
  targets: ResolvedTarget[];
}
