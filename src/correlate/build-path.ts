import { decodeFrame } from '../decode/decode-frame.js';
import type { DecodedFrame } from '../decode/frame.js';
import { protocolName, summarizeFrame } from '../decode/summary.js';
import { DIRECTION, type CaptureRecord, type Direction } from '../model/record.js';
import { diffNs } from '../model/time.js';
import { directionAt, tieRank } from './direction.js';
import { expectSegment, locateLoss, type ExpectedPath } from './expected-path.js';
import type { PacketPath, PathCopy } from './path.js';
import { macsBetween, natBetween, ttlBetween } from './rewrites.js';
import type { TopologyIndex } from './topology-index.js';

interface Ranked {
  record: CaptureRecord;
  frame: DecodedFrame;
  direction: Direction;
  rank: number;
}

function before(a: Ranked, b: Ranked): boolean {
  const ra = a.record;
  const rb = b.record;
  if (ra.tsSec !== rb.tsSec) return ra.tsSec < rb.tsSec;
  if (ra.tsNsec !== rb.tsNsec) return ra.tsNsec < rb.tsNsec;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return ra.point < rb.point;
}

/**
 * Turn the copies of one packet into its path: copies in path order (time, then
 * topology for ties, then point order), directions, hop latencies (bridge device
 * copies are observations, not hops), where it stopped, and what was rewritten.
 * `frames[i]` may hold an already decoded frame for `records[i]`.
 */
export function buildPath(id: number, records: readonly CaptureRecord[], topo: TopologyIndex, frames: readonly (DecodedFrame | undefined)[] = []): PacketPath {
  const ranked: Ranked[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const frame = frames[i] ?? decodeFrame(record.data, record.linkType);
    const p = topo.point(record.point);
    const direction = directionAt(p, record, frame);
    // Insertion sort: a path has a handful of copies.
    const item = { record, frame, direction, rank: tieRank(p, direction) };
    let j = ranked.length;
    ranked.push(item);
    while (j > 0 && before(item, ranked[j - 1]!)) {
      ranked[j] = ranked[j - 1]!;
      j--;
    }
    ranked[j] = item;
  }

  const copies: PathCopy[] = [];
  let hop = 0;
  let prevHop: CaptureRecord | null = null;
  for (const { record, frame, direction } of ranked) {
    const p = topo.point(record.point);
    const observer = p.role === 'bridge';
    if (!observer) hop++;
    copies.push({
      point: record.point,
      label: p.label,
      role: p.role,
      ts: { tsSec: record.tsSec, tsNsec: record.tsNsec },
      direction,
      directionInferred: record.direction === DIRECTION.UNKNOWN,
      hop: observer ? 0 : hop,
      deltaNs: observer || prevHop === null ? null : diffNs(prevHop, record),
      observedAfterNs: observer && prevHop !== null ? diffNs(prevHop, record) : null,
      record,
      frame,
    });
    if (!observer) prevHop = record;
  }

  const first = copies[0]!;
  const path: PacketPath = {
    id,
    summary: summarizeFrame(first.frame),
    protocol: protocolName(first.frame),
    length: first.record.origLen,
    copies,
    hopCount: hop,
    expected: null,
    complete: null,
    lost: null,
    losses: [],
    notSeen: [],
    flooded: [],
    nat: [],
    ttl: [],
    macRewrites: [],
  };
  annotateRewrites(path);
  if (topo.hasTopology) annotateExpectation(path, topo);
  return path;
}

function annotateRewrites(path: PacketPath): void {
  const { copies } = path;
  for (let i = 1; i < copies.length; i++) {
    const a = copies[i - 1]!;
    const b = copies[i]!;
    natBetween(a.label, b.label, a.frame, b.frame, path.nat);
    ttlBetween(a.label, b.label, a.frame, b.frame, path.ttl);
    macsBetween(a.label, b.label, a.frame, b.frame, path.macRewrites);
  }
}

function annotateExpectation(path: PacketPath, topo: TopologyIndex): void {
  const expected: ExpectedPath = { trunk: [], branches: [] };
  let lastSrc = -2;
  let lastDst = -2;
  const egressByBridge = new Map<string, string[]>();
  for (const c of path.copies) {
    const f = c.frame;
    if (f.srcMac !== lastSrc || f.dstMac !== lastDst) {
      expectSegment(topo, f, expected);
      lastSrc = f.srcMac;
      lastDst = f.dstMac;
    }
    const p = topo.point(c.point);
    if (p.role === 'host-veth' && p.bridgeLabel !== '' && c.direction === DIRECTION.OUTBOUND) {
      const ports = egressByBridge.get(p.bridgeLabel) ?? [];
      ports.push(c.label);
      egressByBridge.set(p.bridgeLabel, ports);
    }
  }
  for (const ports of egressByBridge.values()) if (ports.length > 1) path.flooded.push(...ports);

  const all = [...expected.trunk, ...expected.branches.flat()];
  if (all.length === 0) return;
  const seenPoints = new Set(path.copies.map((c) => c.point));
  const { losses, notSeen } = locateLoss(expected, (p) => seenPoints.has(p));
  const label = (i: number): string => topo.point(i).label;
  path.expected = all.map(label);
  path.notSeen = notSeen.map(label);
  path.losses = losses.map((l) => ({ after: label(l.after), before: label(l.before) }));
  path.lost = path.losses[0] ?? null;
  path.complete = notSeen.length === 0;
}
