import { VethcapError } from '../errors.js';
import type { SessionManifest } from '../model/manifest.js';
import type { PointRole } from '../model/topology.js';

const ROLES: readonly PointRole[] = ['namespace-end', 'host-veth', 'bridge', 'uplink', 'file'];
const OPTIONAL_TEXT = ['owner', 'endpointMac', 'bridge', 'peer', 'filter'] as const;

/**
 * Checks a session folder's manifest.json (user input: it may be hand-edited, cut short
 * or from another program) and returns it typed. Each flaw is a BAD_CAPTURE sentence
 * naming the point and the key, so a bad manifest is never reported as a bug.
 */
export function parseSessionManifest(text: string, where: string): SessionManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw bad(where, `not valid JSON (${error instanceof Error ? error.message : String(error)})`, error);
  }
  if (!isObject(data) || data.vethcap !== 1 || !Array.isArray(data.points)) throw bad(where, 'not a vethcap session manifest (version 1)');
  if (data.points.length === 0) throw bad(where, 'no capture points listed');
  const labels = new Set<string>();
  data.points.forEach((p: unknown, i) => {
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
    if (p.snaplen !== undefined && !isCount(p.snaplen, 1)) throw bad(where, `${label}: "snaplen" is not a whole number above 0`);
    if (p.linkType !== undefined && !isCount(p.linkType, 0)) throw bad(where, `${label}: "linkType" is not a whole number`);
    if (p.stats !== undefined && p.stats !== null) {
      if (!isObject(p.stats) || !isCount(p.stats.captured, 0) || !isCount(p.stats.droppedByKernel, 0)) {
        throw bad(where, `${label}: "stats" needs "captured" and "droppedByKernel" as whole numbers`);
      }
    }
  });
  for (const p of data.points as Array<Record<string, unknown>>) {
    for (const key of ['peer', 'bridge'] as const) {
      const other = p[key];
      if (typeof other === 'string' && !labels.has(other)) throw bad(where, `${String(p.label)}: "${key}" names ${other}, which is not a point of the session`);
    }
  }
  const points = (data.points as Array<Record<string, unknown>>).map((p) => ({ ...p, description: typeof p.description === 'string' ? p.description : '' }));
  return { ...(data as object), vethcap: 1, points } as SessionManifest;
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
