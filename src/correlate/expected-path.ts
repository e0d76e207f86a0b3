import type { DecodedFrame } from '../decode/frame.js';
import { isGroupMac } from '../decode/format.js';
import type { TopologyIndex } from './topology-index.js';

/**
 * The points a frame should cross, from the topology and its MACs: a trunk (source
 * namespace end → its host veth → the destination's host veth → its namespace end)
 * and, for a broadcast/multicast frame, one branch per other port of the bridge (the
 * port, then its namespace end). Bridge devices are observation points and are left out.
 */
export interface ExpectedPath {
  trunk: number[];
  branches: number[][];
  /** Labels of trunk then branch points, filled in by whoever first needs them. */
  labels?: readonly string[];
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
  if (dstVeth < 0 && dstNs < 0) return; // to the host or a router we do not capture
  const fromOutside = srcNs < 0 && srcVeth < 0;
  const sameBridge = dstVeth >= 0 && bridgeLabel !== '' && topo.point(dstVeth).bridgeLabel === bridgeLabel;
  if (fromOutside || sameBridge) {
    pushUnique(into.trunk, dstVeth);
    pushUnique(into.trunk, dstNs);
  }
}
