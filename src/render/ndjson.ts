import { pathFindings } from '../correlate/findings.js';
import type { Loss, MacRewrite, NatRewrite, NotCaptured, PacketPath, PathBranch, PathVerdict, TtlChange } from '../correlate/path.js';
import type { PathFinding } from '../model/findings.js';
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
  /** The branch (its egress port) on a flooded frame's tree; null on the trunk and on any other path. */
  branch: string | null;
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
  verdict: PathVerdict | null;
  notCaptured: readonly NotCaptured[];
  ambiguousAt: readonly string[];
  /** A flooded frame's branches; empty for any other path. */
  branches: readonly BranchJson[];
  /**
   * What the keys above say, as `{"code", …fields}` (model/findings.ts, `pathFindings`):
   * one list to read instead of many keys, and the codes the timeline's words come from.
   */
  findings: readonly PathFinding[];
}

/** One branch of a flooded frame in the NDJSON output (`PathBranch`). */
export interface BranchJson {
  port: string;
  points: readonly string[];
  lost: Loss | null;
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
      branch: c.branch,
    })),
    lost: p.lost,
    losses: p.losses,
    notSeen: p.notSeen,
    flooded: p.flooded,
    nat: p.nat,
    ttl: p.ttl,
    macRewrites: p.macRewrites,
    verdict: p.verdict,
    notCaptured: p.notCaptured,
    ambiguousAt: p.ambiguousAt,
    branches: p.branches.map((b) => ({ port: b.port, points: b.points, lost: b.lost })),
    findings: pathFindings(p),
  };
}

const quoted = new Map<string, string>();

/** A JSON string literal, cached for the few strings (labels, roles) every path repeats. */
function q(s: string): string {
  let v = quoted.get(s);
  if (v === undefined) {
    v = JSON.stringify(s);
    if (quoted.size < 10_000) quoted.set(s, v);
  }
  return v;
}

function list(v: readonly unknown[]): string {
  return v.length === 0 ? '[]' : JSON.stringify(v);
}

/**
 * One NDJSON line (without the newline): the same object as `pathToJson`, written out
 * by hand because JSON.stringify of a fresh object tree per packet is the slowest part
 * of a JSON run.
 */
export function renderPathJson(p: PacketPath): string {
  let hops = '';
  for (let i = 0; i < p.copies.length; i++) {
    const c = p.copies[i]!;
    const ts = c.ts;
    hops +=
      `${i === 0 ? '' : ','}{"point":${q(c.label)},"role":${q(c.role)},"direction":"${formatDirection(c.direction)}",` +
      `"ts":"${ts.tsSec}.${String(ts.tsNsec).padStart(9, '0')}","hop":${c.hop},"deltaNs":${c.deltaNs === null ? 'null' : c.deltaNs},` +
      `"observer":${c.hop === 0},"observedAfterNs":${c.observedAfterNs === null ? 'null' : c.observedAfterNs},"branch":${c.branch === null ? 'null' : q(c.branch)}}`;
  }
  const lost = lossJson(p.lost);
  return (
    `{"id":${p.id},"summary":${JSON.stringify(p.summary)},"protocol":${q(p.protocol)},"length":${p.length},` +
    `"complete":${p.complete === null ? 'null' : p.complete},"hops":[${hops}],"lost":${lost},"losses":${list(p.losses)},` +
    `"notSeen":${list(p.notSeen)},"flooded":${list(p.flooded)},"nat":${list(p.nat)},"ttl":${list(p.ttl)},"macRewrites":${list(p.macRewrites)},` +
    `"verdict":${p.verdict === null ? 'null' : q(p.verdict)},"notCaptured":${list(p.notCaptured)},"ambiguousAt":${list(p.ambiguousAt)},` +
    `"branches":${p.branches.length === 0 ? '[]' : branchesJson(p.branches)},"findings":${list(pathFindings(p))}}`
  );
}

function lossJson(l: Loss | null): string {
  return l === null ? 'null' : `{"after":${q(l.after)},"before":${q(l.before)}${l.where === undefined ? '' : `,"where":${q(l.where)}`}}`;
}

function branchesJson(branches: readonly PathBranch[]): string {
  let out = '';
  for (const b of branches) {
    out += `${out === '' ? '' : ','}{"port":${q(b.port)},"points":[${b.points.map(q).join(',')}],"lost":${lossJson(b.lost)}}`;
  }
  return `[${out}]`;
}
