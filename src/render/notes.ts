import { hopBefore, isLastOnBranch } from '../correlate/branches.js';
import type { PacketPath } from '../correlate/path.js';
import type { TopologyIndex } from '../correlate/topology-index.js';
import { DIRECTION } from '../model/record.js';
import { formatDuration } from './format.js';

/** The bridge's name as people say it (`docker0` for `host:docker0`). */
function bridgeName(topo: TopologyIndex, label: string): string {
  const p = topo.points.find((q) => q.label === label);
  return p !== undefined ? p.point.ifname : label.replace(/^host:/, '');
}

/**
 * What one copy's line says after the direction: bridge port, bridge device copy
 * (with "same kernel timestamp" when it carries the ingress port's timestamp),
 * "same kernel timestamp" for a hop that took 0 ns, "delivered" at the end (of each
 * branch, on a tree).
 */
export function copyNote(path: PacketPath, i: number, topo: TopologyIndex): string {
  const c = path.copies[i]!;
  const notes: string[] = [];
  if (c.role === 'bridge') {
    const prev = hopBefore(path, i);
    if (c.observedAfterNs === null || prev === null) notes.push('bridge device copy');
    else if (c.observedAfterNs === 0) notes.push('bridge device copy (same kernel timestamp)');
    else notes.push(`bridge device copy (+${formatDuration(c.observedAfterNs)} after ${prev.label})`);
    return notes.join(', ');
  }
  const p = topo.point(c.point);
  if (c.deltaNs === 0) notes.push('same kernel timestamp');
  if (p.role === 'host-veth' && p.bridgeLabel !== '') notes.push(`bridge port of ${bridgeName(topo, p.bridgeLabel)}`);
  if (p.role === 'uplink') notes.push('uplink');
  const last = isLastOnBranch(path, i);
  if (p.role === 'namespace-end' && c.direction === DIRECTION.INBOUND && last) notes.push('delivered');
  return notes.join(', ');
}
