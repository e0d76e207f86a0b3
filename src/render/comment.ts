import { hopBefore } from '../correlate/branches.js';
import { pathFindings } from '../correlate/findings.js';
import type { PacketPath, PathCopy } from '../correlate/path.js';
import type { PathFindingCode } from '../model/findings.js';
import { findingText } from './findings.js';
import { formatDirection, formatDuration } from './format.js';

/**
 * A one-line annotation of copy `i` of a path, for a pcapng packet comment:
 * `vethcap #12 hop 2/4 host:veth854b6a5 in +4.3 µs`; a bridge device copy says so
 * instead of a hop number; the last copy of a path that stopped says where.
 *
 * On a tree (a flooded frame), a branch's copy names the hop its latency runs from and
 * its branch, `vethcap #12 hop 3/6 host:vethC out +15.5 µs from host:vethA, branch host:vethC`,
 * and each loss is told once: at the last copy of its branch, or of the trunk for a
 * loss on the trunk or on a branch that saw nothing.
 *
 * Findings (render/findings.ts) follow after `; `: losses where told, and at the last
 * copy what the verdict leaves to say (not captured, undetermined, after the stop).
 * Floods and rewrites stay in the timeline and NDJSON: each copy already shows its own
 * addresses in Wireshark.
 */
export function packetComment(path: PacketPath, i: number): string {
  const c = path.copies[i];
  if (c === undefined) throw new RangeError(`path #${path.id} has no copy ${i}`);
  let text: string;
  if (c.hop === 0) {
    const same = c.observedAfterNs === 0 ? ' (same kernel timestamp)' : c.observedAfterNs === null ? '' : ` (+${formatDuration(c.observedAfterNs)})`;
    text = `vethcap #${path.id} ${c.label} bridge device copy${same}`;
  } else {
    text = `vethcap #${path.id} ${hopText(c, path.hopCount)}`;
    if (c.deltaNs === 0) text += ' +0 ns (same kernel timestamp)';
    else if (c.deltaNs !== null) text += ` +${formatDuration(c.deltaNs)}`;
    if (c.branch !== null) {
      const from = c.deltaNs === null ? null : hopBefore(path, i);
      text += `${from === null ? '' : ` from ${from.label}`}, branch ${c.branch}`;
    }
  }
  const last = i === path.copies.length - 1;
  if (!last && path.branches.length === 0) return text;
  for (const f of pathFindings(path)) {
    if (f.code === 'PATH_LOST' ? lossCopy(path, f.branch) === i : last && IN_COMMENT[f.code]) text += `; ${findingText(f)}`;
  }
  return text;
}

/** Which findings a packet comment tells: a loss at the copy `lossCopy` picks, the others at the path's last copy. */
const IN_COMMENT: Record<PathFindingCode, boolean> = {
  PATH_LOST: true,
  NOT_CAPTURED: true,
  UNDETERMINED: true,
  AFTER_STOP: true,
  FLOODED: false,
  NAT_REWRITE: false,
  TTL_CHANGE: false,
  MAC_REWRITE: false,
};

/**
 * The copy that tells a loss: the last copy of its branch (`branch`, a flood branch's
 * port), else, for a loss on the trunk or on a branch with no copy at all, the trunk's
 * last copy (bridge device copies count: they are on the trunk). On a path that is not
 * a tree, the last copy.
 */
function lossCopy(path: PacketPath, branch: string | null): number {
  const copies = path.copies;
  const lastOf = (b: string | null): number => {
    for (let k = copies.length - 1; k >= 0; k--) if (copies[k]!.branch === b) return k;
    return -1;
  };
  if (path.branches.length === 0) return copies.length - 1;
  const at = branch === null ? -1 : lastOf(branch);
  if (at >= 0) return at;
  const trunkLast = lastOf(null);
  return trunkLast >= 0 ? trunkLast : copies.length - 1;
}

function hopText(c: PathCopy, hopCount: number): string {
  return `hop ${c.hop}/${hopCount} ${c.label} ${formatDirection(c.direction)}`;
}

const ENCODER = new TextEncoder();

/**
 * packetComment(path, i) as UTF-8 into `out` from `at`, in at most `room` bytes (default:
 * the rest of `out`); returns the byte count, or -1 when it does not fit. The pcapng
 * sink writes one per packet straight into its output, so the usual comment (a hop with
 * a whole-nanosecond latency under 1 ms, no loss) is put together from cached bytes and
 * digits without making a string; anything else (a flooded frame's tree among it)
 * encodes packetComment().
 */
export function encodePacketComment(path: PacketPath, i: number, out: Uint8Array, at = 0, room = out.length - at): number {
  const c = path.copies[i];
  const d = c === undefined ? null : c.deltaNs;
  if (
    c === undefined || c.hop === 0 || (i === path.copies.length - 1 && path.verdict !== 'complete' && path.verdict !== null) || path.branches.length !== 0 ||
    !Number.isSafeInteger(path.id) || path.id < 0 ||
    (d !== null && !(Number.isInteger(d) && d >= 0 && d < 1_000_000 && (d < 1_000 || d % 100 !== 50)))
  ) {
    return encodeString(packetComment(path, i), out, at, room);
  }
  const hop = hopBytes(c, path.hopCount);
  if (room < HEAD.length + 16 + hop.length + SAME.length) return encodeString(packetComment(path, i), out, at, room);
  let o = copy(out, at, HEAD);
  o = writeDigits(out, o, path.id);
  o = copy(out, o, hop);
  if (d === null) return o - at;
  if (d === 0) return copy(out, o, SAME) - at;
  out[o++] = 0x20; // ' +'
  out[o++] = 0x2b;
  if (d < 1_000) {
    o = writeDigits(out, o, d);
    return copy(out, o, NS) - at;
  }
  // As (d / 1000).toFixed(1): not halfway (checked above), so rounding to tenths is exact.
  const tenths = Math.round(d / 100);
  const whole = Math.floor(tenths / 10);
  o = writeDigits(out, o, whole);
  out[o++] = 0x2e; // '.'
  out[o++] = 0x30 + (tenths - whole * 10);
  return copy(out, o, US) - at;
}

/** src into out at o, returns the end (a loop below ~20 bytes, where TypedArray.set costs more). */
function copy(out: Uint8Array, o: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 16) out.set(src, o);
  else for (let i = 0; i < n; i++) out[o + i] = src[i]!;
  return o + n;
}

function encodeString(s: string, out: Uint8Array, at: number, room: number): number {
  const r = ENCODER.encodeInto(s, at === 0 && room === out.length ? out : out.subarray(at, at + room));
  return r.read === s.length ? r.written : -1;
}

const HEAD = ENCODER.encode('vethcap #');
const SAME = ENCODER.encode(' +0 ns (same kernel timestamp)');
const NS = ENCODER.encode(' ns');
const US = ENCODER.encode(' µs');

function writeDigits(out: Uint8Array, o: number, v: number): number {
  if (v >= 2 ** 31) return writeBigDigits(out, o, v);
  let digits = 1;
  for (let x = v; x >= 10; x = (x / 10) | 0) digits++;
  let x = v | 0;
  for (let k = o + digits - 1; k >= o; k--) {
    const q = (x / 10) | 0;
    out[k] = 0x30 + (x - q * 10);
    x = q;
  }
  return o + digits;
}

function writeBigDigits(out: Uint8Array, o: number, v: number): number {
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  let x = v;
  for (let k = o + digits - 1; k >= o; k--) {
    const q = Math.floor(x / 10);
    out[k] = 0x30 + (x - q * 10);
    x = q;
  }
  return o + digits;
}

interface HopBytes {
  label: string;
  /** ` hop H/N LABEL DIR` as UTF-8. */
  bytes: Uint8Array;
}

const MAX_HOP_ENTRIES = 4096;
/** By (point, hop, hop count, direction); the label is checked on use. */
const hopEntries = new Map<number, HopBytes>();

function hopBytes(c: PathCopy, hopCount: number): Uint8Array {
  const cacheable = c.hop < 1024 && hopCount < 1024 && c.point < 1 << 20;
  const key = ((c.point * 1024 + c.hop) * 1024 + hopCount) * 4 + c.direction;
  const hit = cacheable ? hopEntries.get(key) : undefined;
  if (hit !== undefined && hit.label === c.label) return hit.bytes;
  const bytes = ENCODER.encode(` ${hopText(c, hopCount)}`);
  if (cacheable) {
    if (hopEntries.size >= MAX_HOP_ENTRIES) hopEntries.clear();
    hopEntries.set(key, { label: c.label, bytes });
  }
  return bytes;
}
