import type { LinkInfo } from './ip-link.js';
import type { BridgeInfo, PeerInfo, ResolvedInterface } from './types.js';

/**
 * Pairs the interfaces of a target namespace with the host's (pure).
 *
 * A veth's peer is found by its iflink, checked in both directions: inside the target
 * namespace the interface's `link_index` names the peer's ifindex in the peer's
 * namespace; on the host, the veth with that ifindex whose own `link_index` points back
 * to ours is the peer. Interface indexes are per namespace, so the "next ifindex" guess
 * is wrong, and one-way matching can pick an unrelated interface that happens to have
 * the same index.
 */
export function pairInterfaces(
  targetLinks: readonly LinkInfo[],
  hostLinks: readonly LinkInfo[],
  owners: ReadonlyMap<string, string> = new Map(),
): ResolvedInterface[] {
  const hostByIndex = new Map(hostLinks.map((l) => [l.ifindex, l]));
  const targetByIndex = new Map(targetLinks.map((l) => [l.ifindex, l]));
  return targetLinks
    .filter((link) => !isLoopback(link))
    .map((link) => {
      const resolved: ResolvedInterface = {
        name: link.name,
        ifindex: link.ifindex,
        kind: link.kind ?? 'device',
        mac: link.mac ?? null,
        addresses: link.addresses,
        mtu: link.mtu,
        state: link.operstate,
        peer: null,
        bridge: null,
        forwardedBy: null,
        note: null,
      };
      if (link.kind === 'veth') {
        pairVeth(link, resolved, hostByIndex, targetByIndex, hostLinks, owners);
      } else if (link.kind === 'macvlan' || link.kind === 'ipvlan' || link.kind === 'macvtap') {
        const parent = link.linkIndex === undefined ? undefined : hostByIndex.get(link.linkIndex);
        resolved.note = `${link.kind} interface: no veth peer; its frames leave through the host's ${parent ? parent.name : `interface ${link.linkIndex ?? '?'}`} without a bridge port to capture on.`;
      } else if (link.kind !== undefined) {
        resolved.note = `${link.kind} interface: vethcap follows veth pairs only.`;
      }
      return resolved;
    });
}

export function isLoopback(link: LinkInfo): boolean {
  return link.flags.includes('LOOPBACK') || link.name === 'lo';
}

function pairVeth(
  link: LinkInfo,
  resolved: ResolvedInterface,
  hostByIndex: ReadonlyMap<number, LinkInfo>,
  targetByIndex: ReadonlyMap<number, LinkInfo>,
  hostLinks: readonly LinkInfo[],
  owners: ReadonlyMap<string, string>,
): void {
  if (link.linkNetnsid === undefined && link.linkName !== undefined) {
    // ip names the peer instead of indexing it when both ends share the namespace.
    const peer = [...targetByIndex.values()].find((l) => l.name === link.linkName);
    if (peer && peer.linkName === link.name) {
      resolved.peer = toPeer(peer, 'same');
      resolved.note = 'both ends of this veth pair are inside the target namespace.';
    } else {
      resolved.note = `the peer ${link.linkName} is not in this namespace.`;
    }
    return;
  }
  if (link.linkIndex === undefined || link.linkIndex === 0) {
    resolved.note = 'veth without an iflink: the kernel does not say where its peer is.';
    return;
  }
  if (link.linkNetnsid === undefined) {
    // No link_netnsid: the peer lives in the same namespace as this end.
    const peer = targetByIndex.get(link.linkIndex);
    if (peer && peer.linkIndex === link.ifindex) {
      resolved.peer = toPeer(peer, 'same');
      resolved.note = 'both ends of this veth pair are inside the target namespace.';
    } else {
      resolved.note = `the peer (ifindex ${link.linkIndex}) is not in this namespace and the kernel names no other.`;
    }
    return;
  }
  const candidate = hostByIndex.get(link.linkIndex);
  if (!candidate || candidate.kind !== 'veth' || candidate.linkIndex !== link.ifindex || candidate.linkNetnsid === undefined) {
    resolved.note = `the peer (ifindex ${link.linkIndex} in namespace id ${link.linkNetnsid}) is not in the host's network namespace: the target sits behind another namespace (a pod sandbox, a nested runtime).`;
    return;
  }
  resolved.peer = toPeer(candidate, 'host');
  if (candidate.master === undefined) {
    resolved.forwardedBy = 'host-routing';
    resolved.note = 'the host end is no bridge port (a routed CNI such as Calico or Cilium wires it so): the host routes its traffic, so vethcap captures the host end, and the route\'s way out with --uplink.';
    return;
  }
  if (candidate.slaveKind !== undefined && candidate.slaveKind !== 'bridge') {
    resolved.note = `the host end is enslaved to ${candidate.master} (${candidate.slaveKind}), not to a bridge.`;
    return;
  }
  const bridge = hostLinks.find((l) => l.name === candidate.master);
  if (!bridge) {
    resolved.note = `the host end names master ${candidate.master}, which the host does not list.`;
    return;
  }
  resolved.bridge = bridgeInfo(bridge, candidate, hostLinks, owners);
  resolved.forwardedBy = 'bridge';
}

function toPeer(link: LinkInfo, netns: string): PeerInfo {
  return { name: link.name, ifindex: link.ifindex, netns, mac: link.mac ?? null, state: link.operstate };
}

function bridgeInfo(
  bridge: LinkInfo,
  port: LinkInfo,
  hostLinks: readonly LinkInfo[],
  owners: ReadonlyMap<string, string>,
): BridgeInfo {
  return {
    name: bridge.name,
    ifindex: bridge.ifindex,
    portState: port.portState ?? null,
    ports: hostLinks
      .filter((l) => l.master === bridge.name)
      .map((l) => ({ name: l.name, ifindex: l.ifindex, state: l.portState ?? null, owner: owners.get(l.name) ?? null })),
  };
}

/**
 * For another namespace (a container or named netns called `display`), the host veth
 * names whose namespace end vethcap now knows: host ifname → "display:ifname".
 */
export function ownersOf(display: string, nsLinks: readonly LinkInfo[], hostLinks: readonly LinkInfo[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const iface of pairInterfaces(nsLinks, hostLinks)) {
    if (iface.peer && iface.peer.netns === 'host') owners.set(iface.peer.name, `${display}:${iface.name}`);
  }
  return owners;
}
