import { VethcapError } from '../errors.js';
import { LINKTYPE } from '../model/record.js';
import type { CapturePoint, HostRoute } from '../model/topology.js';
import type { ResolvedTarget } from '../resolve/types.js';
import { applyHeadersOnly } from './headers-only.js';

/** A capture point and where to run its tcpdump. */
export interface PlannedPoint extends CapturePoint {
  /** The namespace to enter for namespace ends; undefined on the host. */
  netnsPath?: string;
  /** That namespace's inode: two targets sharing a namespace (container:X) share points. */
  netnsInode?: number;
  /** This point's kernel capture buffer (KiB), where the plan wants another than the default (--headers-only's full point); -B wins. */
  bufferSizeKiB?: number;
}

export interface PlanOptions {
  /** Capture on the bridge device too (default true). */
  bridge?: boolean;
  /** Only these interfaces of the targets (by name inside the namespace). */
  interfaces?: string[];
  /** Labels to leave out. */
  skip?: string[];
  /** Extra host interfaces to capture on (`host:IFNAME` points of role uplink). */
  extraHost?: string[];
  /** The host's main routing table, kept on the extra host points (`hostRoutes`) so that the uplink is expected where the host routes to it. */
  hostRoutes?: HostRoute[];
  filter?: string;
  snaplen?: number;
  /**
   * Keep whole packets at one point only (`fullAt`, else the first point) and the first
   * HEADERS_SNAPLEN bytes at the others (`trace --headers-only`, headers-only.ts).
   */
  headersOnly?: boolean;
  /** The point that keeps whole packets under `headersOnly` (a label). */
  fullAt?: string;
}

/**
 * The capture points for resolved targets (pure): each target's namespace end and its
 * host veth end, the bridge device once per bridge, extra host interfaces; ordered so that
 * a frame from the first target crosses them in order (namespace end, host end, bridge,
 * the other targets' host ends, their namespace ends).
 */
export function planPoints(targets: readonly ResolvedTarget[], options: PlanOptions = {}): PlannedPoint[] {
  const skip = new Set(options.skip ?? []);
  for (const name of options.interfaces ?? []) {
    if (!targets.some((t) => t.interfaces.some((i) => i.name === name))) {
      const have = [...new Set(targets.flatMap((t) => t.interfaces.map((i) => `${t.name}:${i.name}`)))];
      throw new VethcapError('USAGE', `-i ${name}: no target has an interface of that name; they have ${have.length > 0 ? have.join(', ') : 'none'}.`, {
        hint: '-i takes an interface name as `ip link` shows it inside the namespace, e.g. -i eth0.',
      });
    }
  }
  const common = { filter: options.filter, snaplen: options.snaplen ?? 262144, linkType: LINKTYPE.ETHERNET };
  const nsEnds: PlannedPoint[] = [];
  const hostEnds: PlannedPoint[] = [];
  const bridges = new Map<string, PlannedPoint>();
  for (const target of targets) {
    for (const iface of target.interfaces) {
      if (options.interfaces && !options.interfaces.includes(iface.name)) continue;
      const nsLabel = `${target.name}:${iface.name}`;
      // The peer's side: the host's namespace, or a rootless Podman user's rootless one
      // (its veth ends and bridge are captured there, labelled rootless:IFNAME).
      const rootlessPath = iface.peer?.netns === 'rootless' ? iface.peer.netnsPath : undefined;
      const peer = iface.peer && (iface.peer.netns === 'host' || rootlessPath) ? iface.peer : null;
      const side = rootlessPath ? 'rootless' : 'host';
      const inSide = rootlessPath ? { netnsPath: rootlessPath } : {};
      const hostLabel = peer ? `${side}:${peer.name}` : undefined;
      const bridgeLabel = iface.bridge && peer ? `${side}:${iface.bridge.name}` : undefined;
      nsEnds.push({
        ...common,
        label: nsLabel,
        description: peer ? `${target.name} end of the veth pair ${iface.name} ⇄ ${peer.name}` : `interface ${iface.name} of ${target.name}`,
        role: 'namespace-end',
        ifname: iface.name,
        owner: target.name,
        ...(iface.mac ? { endpointMac: iface.mac } : {}),
        ...(iface.addresses.length > 0 ? { addresses: [...iface.addresses] } : {}),
        ...(hostLabel ? { peer: hostLabel } : {}),
        netnsPath: target.netns.path,
        netnsInode: target.netns.inode,
      });
      if (!peer || !hostLabel) continue;
      hostEnds.push({
        ...common,
        label: hostLabel,
        description: iface.bridge
          ? `host end of ${target.name}:${iface.name}, port of bridge ${iface.bridge.name}`
          : iface.forwardedBy === 'host-routing'
            ? `host end of ${target.name}:${iface.name}, no bridge port: the host routes it`
            : `host end of ${target.name}:${iface.name}`,
        role: 'host-veth',
        ifname: peer.name,
        owner: target.name,
        ...(iface.mac ? { endpointMac: iface.mac } : {}),
        peer: nsLabel,
        ...(bridgeLabel ? { bridge: bridgeLabel } : {}),
        ...inSide,
      });
      if (iface.bridge && bridgeLabel && !bridges.has(bridgeLabel)) {
        bridges.set(bridgeLabel, {
          ...common,
          label: bridgeLabel,
          description: `bridge device ${iface.bridge.name} (promiscuous copy of what it forwards)`,
          role: 'bridge',
          ifname: iface.bridge.name,
          ...inSide,
        });
      }
    }
  }
  const extra: PlannedPoint[] = (options.extraHost ?? []).map((ifname) => ({
    ...common,
    label: `host:${ifname}`,
    description: `host interface ${ifname}`,
    role: 'uplink',
    ifname,
    ...(options.hostRoutes ? { hostRoutes: options.hostRoutes.map((r) => ({ ...r })) } : {}),
  }));
  // Path order for a frame leaving the first target: its ends, the bridge, then the others.
  const ordered: PlannedPoint[] = [];
  const [firstNs, ...otherNs] = nsEnds;
  const [firstHost, ...otherHost] = hostEnds;
  if (firstNs) ordered.push(firstNs);
  if (firstHost) ordered.push(firstHost);
  if (options.bridge ?? true) ordered.push(...bridges.values());
  ordered.push(...otherHost, ...otherNs, ...extra);
  const unique = dedupe(ordered).filter((p) => !skip.has(p.label));
  for (const label of skip) {
    if (!ordered.some((p) => p.label === label)) {
      throw new VethcapError('USAGE', `--skip ${label}: no such capture point; the points are ${ordered.map((p) => p.label).join(', ')}.`);
    }
  }
  if (unique.length === 0) {
    throw new VethcapError('USAGE', 'no capture points left: the targets have no interfaces to capture on, or all were skipped.');
  }
  return options.headersOnly || options.fullAt !== undefined ? applyHeadersOnly(unique, options.fullAt) : unique;
}

/** One point per label; a namespace shared by two targets (container:X) is captured once. */
function dedupe(points: readonly PlannedPoint[]): PlannedPoint[] {
  const seen = new Map<string, PlannedPoint>();
  const byNetnsIf = new Set<string>();
  for (const p of points) {
    if (seen.has(p.label)) continue;
    const key = `${p.netnsInode ?? p.netnsPath ?? 'host'}|${p.ifname}`;
    if (byNetnsIf.has(key)) continue;
    byNetnsIf.add(key);
    seen.set(p.label, p);
  }
  return [...seen.values()];
}
