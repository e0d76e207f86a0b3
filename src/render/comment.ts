import type { PacketPath } from '../correlate/path.js';
import { formatDirection, formatDuration } from './format.js';

/**
 * A one-line annotation of copy `i` of a path, for a pcapng packet comment:
 * `vethcap #12 hop 2/4 host:veth854b6a5 in +4.3 µs`; a bridge device copy says so
 * instead of a hop number; the last copy of a path that stopped says where.
 */
export function packetComment(path: PacketPath, i: number): string {
  const c = path.copies[i];
  if (c === undefined) throw new RangeError(`path #${path.id} has no copy ${i}`);
  let text: string;
  if (c.hop === 0) {
    const same = c.observedAfterNs === 0 ? ' (same kernel timestamp)' : c.observedAfterNs === null ? '' : ` (+${formatDuration(c.observedAfterNs)})`;
    text = `vethcap #${path.id} ${c.label} bridge device copy${same}`;
  } else {
    text = `vethcap #${path.id} hop ${c.hop}/${path.hopCount} ${c.label} ${formatDirection(c.direction)}`;
    if (c.deltaNs === 0) text += ' +0 ns (same kernel timestamp)';
    else if (c.deltaNs !== null) text += ` +${formatDuration(c.deltaNs)}`;
  }
  if (i === path.copies.length - 1 && path.lost !== null) text += `; lost between ${path.lost.after} and ${path.lost.before}`;
  return text;
}
