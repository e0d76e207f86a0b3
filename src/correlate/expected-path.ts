import type { DecodedFrame } from '../decode/frame.js';
import { isGroupMac } from '../decode/format.js';
import type { TopologyIndex } from './topology-index.js';

/**
 * The points a frame should cross, from the topology and its MACs: a trunk (source
 * namespace end → its host veth → the destination's host veth → its namespace end)
 * and, for a broadcast/multicast frame, one branch per other port of the bridge (the
 * port, then its namespace end). Bridge devices are observation points and are left out.
 *
 * A packet to a traced target's IP address on another bridge, or from or to a host veth
 * that is no bridge's port (a routed CNI), crosses the host's routing step between the
 * two host veths: the MAC it carries on the source side is the router's (the source
 * bridge's, or the host veth's own under proxy ARP), so the destination comes from the
 * IP address.
 */
export interface ExpectedPath {
  trunk: number[];
  branches: number[][];
  /** Set when the trunk crosses the host's routing step; absent on a same-bridge path. */
  routed?: RoutedStep;
  /** Labels of trunk then branch points, filled in by whoever first needs them. */
  labels?: readonly string[];
}

/**
 * Where the host routes a packet from one bridge to another: between the source's host
 * veth (`after`) and the destination's (`before`), or the uplink it routes it out of;
 * `bridge` is the destination's bridge device point, -1 when it is not captured (or the
 * packet leaves by the uplink). All point indexes.
 */
export interface RoutedStep {
  after: number;
  before: number;
  bridge: number;
}

function pushUnique(list: number[], p: number): void {
  if (p >= 0 && !list.includes(p)) list.push(p);
}

/** Extend `into` with the expectation for one L2 header (one segment of a routed path). */
export function expectSegment(topo: TopologyIndex, f: DecodedFrame, into: ExpectedPath): void {
  if (f.srcMac < 0) return;
  const srcNs = topo.namespaceEndOf(f.srcMac);
  const srcVeth = topo.hostVethOf(f.srcMac);
  pushUnique(into.trunk, srcNs);
  pushUnique(into.trunk, srcVeth);
  const bridgeLabel = srcVeth >= 0 ? topo.point(srcVeth).bridgeLabel : '';
  if (f.dstMac < 0) return;
  if (isGroupMac(f.dstMac)) {
    if (bridgeLabel === '') return;
    for (const port of topo.portsOf(bridgeLabel)) {
      if (port === srcVeth || into.trunk.includes(port)) continue;
      const branch = [port];
      const ns = topo.point(port).peer;
      if (ns >= 0) branch.push(ns);
      into.branches.push(branch);
    }
    return;
  }
  const dstVeth = topo.hostVethOf(f.dstMac);
  const dstNs = topo.namespaceEndOf(f.dstMac);
  if (dstVeth < 0 && dstNs < 0) {
    // To the host or a router: on to a traced target when its IP address is the destination,
    // else out of the uplink when the host's routes send it there.
    if (!expectRouted(topo, f, srcVeth, bridgeLabel, into)) expectUplink(topo, f, srcVeth, into);
    return;
  }
  const fromOutside = srcNs < 0 && srcVeth < 0;
  const sameBridge = dstVeth >= 0 && bridgeLabel !== '' && topo.point(dstVeth).bridgeLabel === bridgeLabel;
  if (fromOutside || sameBridge) {
    pushUnique(into.trunk, dstVeth);
    pushUnique(into.trunk, dstNs);
  }
}

/**
 * The namespace end a unicast frame to a router's MAC is headed for, by its IPv4
 * destination: a traced target's address; -1 when it is none, or when the MAC is itself
 * a traced endpoint's (then the MACs say where it goes).
 */
export function routedDestination(topo: TopologyIndex, f: DecodedFrame): number {
  if (f.dst4 < 0 || f.dstMac < 0 || isGroupMac(f.dstMac)) return -1;
  const ns = topo.namespaceEndOfIp4(f.dst4);
  if (ns < 0 || topo.hostVethOf(f.dstMac) >= 0 || topo.namespaceEndOf(f.dstMac) >= 0) return -1;
  return ns;
}

/**
 * Extends the trunk across the host's routing step when the frame's destination address
 * is a traced target's on another bridge than the source's, or either host veth is no
 * bridge's port: the host routes it to the destination's host veth, then its namespace end. Decided from the topology (each
 * target's bridge), not from the kernel's routes: a destination the host does not route
 * there (no route, a policy rule) still counts as expected there, which is what the
 * user asked for by tracing both targets.
 */
function expectRouted(topo: TopologyIndex, f: DecodedFrame, srcVeth: number, bridgeLabel: string, into: ExpectedPath): boolean {
  if (srcVeth < 0) return false;
  const dstNs = routedDestination(topo, f);
  if (dstNs < 0) return false;
  const dstVeth = topo.point(dstNs).peer;
  if (dstVeth < 0) return true;
  const dst = topo.point(dstVeth);
  // On the same bridge the frame to the router's MAC is the host's own business (it may
  // hairpin back): only across bridges is the host a hop of the path. A host veth that is
  // no bridge's port (a routed CNI: Calico, Cilium) is routed to and from by the host.
  if (dst.bridgeLabel !== '' && dst.bridgeLabel === bridgeLabel) return true;
  pushUnique(into.trunk, dstVeth);
  pushUnique(into.trunk, dstNs);
  into.routed ??= { after: srcVeth, before: dstVeth, bridge: dst.bridge };
  return true;
}

/**
 * Extends the trunk to the uplink (`--uplink`) when a frame from a traced bridge port is
 * addressed to the host's MAC and the host's routes, as recorded when the trace began,
 * send its IPv4 destination out of the uplink: the host routes it there, so a packet that
 * stops before is lost in its routing step, not complete at the bridge.
 */
function expectUplink(topo: TopologyIndex, f: DecodedFrame, srcVeth: number, into: ExpectedPath): void {
  if (srcVeth < 0 || f.dst4 < 0 || isGroupMac(f.dstMac)) return;
  const uplink = topo.uplinkFor(f.dst4);
  if (uplink < 0) return;
  pushUnique(into.trunk, uplink);
  into.routed ??= { after: srcVeth, before: uplink, bridge: -1 };
}
