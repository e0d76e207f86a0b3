import type { PacketPath, PathCopy } from '../correlate/path.js';
import { formatDirection, formatDuration } from './format.js';

/**
 * A one-line annotation of copy `i` of a path, for a pcapng packet comment:
 * `vethcap #12 hop 2/4 host:veth854b6a5 in +4.3 µs`; a bridge device copy says so
 * instead of a hop number; the last copy of a path that stopped says where.
 *
 * Runs once per packet written, so the parts that repeat from packet to packet (the
 * `hop 2/4 LABEL in` middle, the formatted latency) are cached; the text is the same.
 */
export function packetComment(path: PacketPath, i: number): string {
  const c = path.copies[i];
  if (c === undefined) throw new RangeError(`path #${path.id} has no copy ${i}`);
  let text: string;
  if (c.hop === 0) {
    const same = c.observedAfterNs === 0 ? ' (same kernel timestamp)' : c.observedAfterNs === null ? '' : ` (+${duration(c.observedAfterNs)})`;
    text = `vethcap #${path.id} ${c.label} bridge device copy${same}`;
  } else {
    text = `vethcap #${path.id} ${hopPart(c, path.hopCount)}`;
    if (c.deltaNs === 0) text += ' +0 ns (same kernel timestamp)';
    else if (c.deltaNs !== null) text += ` +${duration(c.deltaNs)}`;
  }
  if (i === path.copies.length - 1 && path.lost !== null) text += `; lost between ${path.lost.after} and ${path.lost.before}`;
  return text;
}


/**
 * formatDuration(ns), without toFixed for the usual case: a whole number of nanoseconds
 * from 1 µs up to 1 ms that is not halfway between two tenths (toFixed rounds those by
 * the binary value of ns / 1000, so they go through formatDuration itself).
 */
function duration(ns: number): string {
  if (ns >= 1_000 && ns < 1_000_000 && Number.isInteger(ns) && ns % 100 !== 50) {
    const tenths = Math.round(ns / 100);
    const whole = Math.floor(tenths / 10);
    return `${whole}.${tenths - whole * 10} µs`;
  }
  return formatDuration(ns);
}

interface HopText {
  label: string;
  text: string;
}

/** `hop H/N LABEL DIR` by (point, hop, hop count, direction); the label is checked on use. */
const MAX_HOP_TEXTS = 65_536;
const hopTexts = new Map<number, HopText>();

function hopPart(c: PathCopy, hopCount: number): string {
  if (c.hop >= 1024 || hopCount >= 1024 || c.point >= 1 << 20) return hopText(c, hopCount);
  const key = ((c.point * 1024 + c.hop) * 1024 + hopCount) * 4 + c.direction;
  const hit = hopTexts.get(key);
  if (hit !== undefined && hit.label === c.label) return hit.text;
  const text = hopText(c, hopCount);
  if (hopTexts.size >= MAX_HOP_TEXTS) hopTexts.clear();
  hopTexts.set(key, { label: c.label, text });
  return text;
}

function hopText(c: PathCopy, hopCount: number): string {
  return `hop ${c.hop}/${hopCount} ${c.label} ${formatDirection(c.direction)}`;
}
