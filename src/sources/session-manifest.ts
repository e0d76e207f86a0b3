import { VethcapError } from '../errors.js';
import {
  SESSION_STOP_REASONS,
  type CutReason,
  type SavedCoverage,
  type SavedDropInterval,
  type SavedStats,
  type SessionManifest,
  type SessionManifestV1,
  type SessionManifestV2,
  type SessionPoint,
  type SessionStopReason,
  type SessionWindow,
} from '../model/manifest.js';
import type { CapturePoint, HostRoute, PointRole } from '../model/topology.js';

const ROLES: readonly PointRole[] = ['namespace-end', 'host-veth', 'bridge', 'uplink', 'file'];
const OPTIONAL_TEXT = ['owner', 'endpointMac', 'bridge', 'peer', 'filter'] as const;
const CUT_REASONS: readonly CutReason[] = ['point-ended', 'not-read'];
/** The newest manifest version this vethcap reads. */
const NEWEST = 2;

/**
 * Checks a session folder's manifest.json (user input: it may be hand-edited, cut short
 * or from another program) and returns it typed, version 1 or 2. Each flaw is a
 * BAD_CAPTURE sentence naming the point and the key, so a bad manifest is never
 * reported as a bug. Keys this vethcap does not know are left out of the result.
 */
export function parseSessionManifest(text: string, where: string): SessionManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw bad(where, `not valid JSON (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (isObject(data) && isCount(data.vethcap, NEWEST + 1)) {
    throw bad(where, `written by a newer vethcap (manifest version ${data.vethcap}; this one reads versions 1 to ${NEWEST}): update vethcap to read it`);
  }
  if (!isObject(data) || (data.vethcap !== 1 && data.vethcap !== 2) || !Array.isArray(data.points)) throw bad(where, `not a vethcap session manifest (version 1 or ${NEWEST})`);
  return data.vethcap === 1 ? parseV1(data, data.points, where) : parseV2(data, data.points, where);
}

function parseV1(data: Record<string, unknown>, raw: unknown[], where: string): SessionManifestV1 {
  const points = parsePoints(raw, where, (p, label) => {
    const stats = p.stats === undefined ? undefined : parseStats(p.stats, label, where);
    // Version 1 kept every key of a point, known or not.
    return { ...p, ...parsePointKeys(p), file: p.file as string, ...(stats === undefined ? {} : { stats }) };
  });
  return { ...data, vethcap: 1, points } as SessionManifestV1;
}

function parseV2(data: Record<string, unknown>, raw: unknown[], where: string): SessionManifestV2 {
  if (data.description !== undefined && typeof data.description !== 'string') throw bad(where, '"description" is not text');
  if (typeof data.created !== 'string' || Number.isNaN(Date.parse(data.created))) throw bad(where, '"created" is not a date and time (ISO 8601 text)');
  if (typeof data.vethcapVersion !== 'string' || data.vethcapVersion === '') throw bad(where, 'no "vethcapVersion" (text)');
  if (data.argv !== undefined && (!Array.isArray(data.argv) || !data.argv.every((a) => typeof a === 'string'))) throw bad(where, '"argv" is not a list of text');
  if (data.windowNs !== undefined && !isCount(data.windowNs, 1)) throw bad(where, '"windowNs" is not a whole number above 0');
  if (data.count !== undefined && !isCount(data.count, 1)) throw bad(where, '"count" is not a whole number above 0');
  const window = parseWindow(data.window, where);
  const points = parsePoints(raw, where, (p, label): SessionPoint => {
    if (p.stats === undefined) throw bad(where, `${label}: no "stats" (give null when tcpdump printed none)`);
    return { ...parsePointKeys(p), file: p.file as string, stats: parseStats(p.stats, label, where), coverage: parseCoverage(p.coverage, label, where) };
  });
  return {
    vethcap: 2,
    ...(typeof data.description === 'string' ? { description: data.description } : {}),
    created: data.created,
    vethcapVersion: data.vethcapVersion,
    ...(Array.isArray(data.argv) ? { argv: data.argv as string[] } : {}),
    window,
    ...(data.windowNs !== undefined ? { windowNs: data.windowNs } : {}),
    ...(data.count !== undefined ? { count: data.count } : {}),
    points,
  };
}

/** The checks every version makes of its points; `finish` checks and builds one point. */
function parsePoints<P>(raw: unknown[], where: string, finish: (p: Record<string, unknown>, label: string) => P): P[] {
  if (raw.length === 0) throw bad(where, 'no capture points listed');
  const labels = new Set<string>();
  const points = raw.map((p: unknown, i) => {
    const name = `point ${i + 1}`;
    if (!isObject(p)) throw bad(where, `${name} is not an object`);
    for (const key of ['label', 'file', 'ifname'] as const) {
      if (typeof p[key] !== 'string' || p[key] === '') throw bad(where, `${name} has no "${key}" (text)`);
    }
    const label = p.label as string;
    if (labels.has(label)) throw bad(where, `the label ${label} is given to two points`);
    labels.add(label);
    if (p.description !== undefined && typeof p.description !== 'string') throw bad(where, `${label}: "description" is not text`);
    if (!ROLES.includes(p.role as PointRole)) throw bad(where, `${label}: "role" is not one of ${ROLES.join(', ')}`);
    for (const key of OPTIONAL_TEXT) {
      if (p[key] !== undefined && typeof p[key] !== 'string') throw bad(where, `${label}: "${key}" is not text`);
    }
    if (p.addresses !== undefined && (!Array.isArray(p.addresses) || !p.addresses.every((a) => typeof a === 'string'))) throw bad(where, `${label}: "addresses" is not a list of text`);
    if (p.hostRoutes !== undefined && (!Array.isArray(p.hostRoutes) || !p.hostRoutes.every(isHostRoute))) throw bad(where, `${label}: "hostRoutes" is not a list of {"dst", "dev"} (text)`);
    if (p.snaplen !== undefined && !isCount(p.snaplen, 1)) throw bad(where, `${label}: "snaplen" is not a whole number above 0`);
    if (p.linkType !== undefined && !isCount(p.linkType, 0)) throw bad(where, `${label}: "linkType" is not a whole number`);
    return finish(p, label);
  });
  for (const p of raw as Array<Record<string, unknown>>) {
    for (const key of ['peer', 'bridge'] as const) {
      const other = p[key];
      if (typeof other === 'string' && !labels.has(other)) throw bad(where, `${String(p.label)}: "${key}" names ${other}, which is not a point of the session`);
    }
  }
  return points;
}

function isHostRoute(r: unknown): r is HostRoute {
  if (typeof r !== 'object' || r === null) return false;
  const { dst, dev } = r as Record<string, unknown>;
  return typeof dst === 'string' && typeof dev === 'string';
}

/** A checked point's CapturePoint keys (parsePoints checked their types). */
function parsePointKeys(p: Record<string, unknown>): CapturePoint {
  const point: CapturePoint = {
    label: p.label as string,
    description: typeof p.description === 'string' ? p.description : '',
    role: p.role as PointRole,
    ifname: p.ifname as string,
  };
  for (const key of OPTIONAL_TEXT) if (typeof p[key] === 'string') point[key] = p[key];
  if (Array.isArray(p.addresses)) point.addresses = p.addresses as string[];
  if (Array.isArray(p.hostRoutes)) point.hostRoutes = (p.hostRoutes as HostRoute[]).map((r) => ({ dst: r.dst, dev: r.dev }));
  if (typeof p.snaplen === 'number') point.snaplen = p.snaplen;
  if (typeof p.linkType === 'number') point.linkType = p.linkType;
  return point;
}

function parseStats(v: unknown, label: string, where: string): SavedStats | null {
  if (v === null) return null;
  if (!isObject(v) || !isCount(v.captured, 0) || !isCount(v.droppedByKernel, 0)) {
    throw bad(where, `${label}: "stats" needs "captured" and "droppedByKernel" as whole numbers`);
  }
  return { captured: v.captured, droppedByKernel: v.droppedByKernel };
}

function parseWindow(v: unknown, where: string): SessionWindow {
  if (!isObject(v)) throw bad(where, 'no "window" (an object with "armedAtMs", "stopAtMs" and "stopReason")');
  if (!isTime(v.armedAtMs)) throw bad(where, '"window"."armedAtMs" is not a time (ms since the epoch)');
  if (v.stopAtMs !== null && !isTime(v.stopAtMs)) throw bad(where, '"window"."stopAtMs" is neither a time (ms since the epoch) nor null');
  if (!SESSION_STOP_REASONS.includes(v.stopReason as SessionStopReason)) throw bad(where, `"window"."stopReason" is not one of ${SESSION_STOP_REASONS.join(', ')}`);
  return { armedAtMs: v.armedAtMs, stopAtMs: v.stopAtMs, stopReason: v.stopReason as SessionStopReason };
}

/**
 * A point's coverage. The intervals are kept in the order given: the trace judged with
 * them in that order, and a replay must answer as it did, even where a clock step put
 * them out of order.
 */
function parseCoverage(v: unknown, label: string, where: string): SavedCoverage {
  if (!isObject(v)) throw bad(where, `${label}: no "coverage" (an object with "drops" and "cut")`);
  if (!Array.isArray(v.drops)) throw bad(where, `${label}: "coverage"."drops" is not a list`);
  const drops = v.drops.map((iv: unknown, i): SavedDropInterval => {
    const ok = Array.isArray(iv) && iv.length === 3 && (iv[0] === null || isTime(iv[0])) && (iv[1] === null || isTime(iv[1])) && (iv[2] === null || isCount(iv[2], 0));
    if (!ok) throw bad(where, `${label}: "coverage"."drops" item ${i + 1} is not [fromMs or null, toMs or null, drops (a whole number) or null]`);
    return [iv[0] as number | null, iv[1] as number | null, iv[2] as number | null];
  });
  let cut: SavedCoverage['cut'] = null;
  if (v.cut !== null) {
    if (!isObject(v.cut) || (v.cut.atMs !== null && !isTime(v.cut.atMs)) || !CUT_REASONS.includes(v.cut.reason as CutReason)) {
      throw bad(where, `${label}: "coverage"."cut" is neither null nor {"atMs": a time or null, "reason": ${CUT_REASONS.map((r) => `"${r}"`).join(' or ')}}`);
    }
    cut = { atMs: v.cut.atMs, reason: v.cut.reason as CutReason };
  }
  return { drops, cut };
}

function bad(where: string, what: string, cause?: unknown): VethcapError {
  return new VethcapError('BAD_CAPTURE', `${where}: ${what}.`, cause === undefined ? {} : { cause });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isCount(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

/** A moment in ms since the epoch (any finite number: JSON holds no other). */
function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}
