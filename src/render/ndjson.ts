import type { Loss, MacRewrite, NatRewrite, PacketPath, TtlChange } from '../correlate/path.js';
import type { PointRole } from '../model/topology.js';
import { formatEpoch } from '../model/time.js';
import { formatDirection } from './format.js';

/** One copy of a packet in the NDJSON output. Documented in docs/json.md. */
export interface HopJson {
  point: string;
  role: PointRole;
  direction: 'in' | 'out' | '?';
  ts: string;
  hop: number;
  deltaNs: number | null;
  observer: boolean;
  observedAfterNs: number | null;
}

/** One packet path in the NDJSON output. Documented in docs/json.md; keys are stable. */
export interface PathJson {
  id: number;
  summary: string;
  protocol: string;
  length: number;
  complete: boolean | null;
  hops: HopJson[];
  lost: Loss | null;
  losses: readonly Loss[];
  notSeen: readonly string[];
  flooded: readonly string[];
  nat: readonly NatRewrite[];
  ttl: readonly TtlChange[];
  macRewrites: readonly MacRewrite[];
}

export function pathToJson(p: PacketPath): PathJson {
  return {
    id: p.id,
    summary: p.summary,
    protocol: p.protocol,
    length: p.length,
    complete: p.complete,
    hops: p.copies.map((c) => ({
      point: c.label,
      role: c.role,
      direction: formatDirection(c.direction),
      ts: formatEpoch(c.ts),
      hop: c.hop,
      deltaNs: c.deltaNs,
      observer: c.hop === 0,
      observedAfterNs: c.observedAfterNs,
    })),
    lost: p.lost,
    losses: p.losses,
    notSeen: p.notSeen,
    flooded: p.flooded,
    nat: p.nat,
    ttl: p.ttl,
    macRewrites: p.macRewrites,
  };
}

/** One NDJSON line (without the newline). */
export function renderPathJson(p: PacketPath): string {
  return JSON.stringify(pathToJson(p));
}
