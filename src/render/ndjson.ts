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

const UTF8 = new TextEncoder();
/** JSON string literals as UTF-8, for the strings every path repeats (labels, roles, protocols). */
const quotedBytes = new Map<string, Uint8Array>();

function qb(s: string): Uint8Array {
  let v = quotedBytes.get(s);
  if (v === undefined) {
    v = UTF8.encode(JSON.stringify(s));
    if (quotedBytes.size < 10_000) quotedBytes.set(s, v);
  }
  return v;
}

const B = (s: string): Uint8Array => UTF8.encode(s);
const J_ID = B('{"id":');
const J_SUMMARY = B(',"summary":"');
const J_PROTOCOL = B('","protocol":');
const J_LENGTH = B(',"length":');
const J_COMPLETE = B(',"complete":');
const J_HOPS = B(',"hops":[');
const J_POINT = B('{"point":');
const J_ROLE = B(',"role":');
const J_DIRECTION = B(',"direction":');
const J_TS = B(',"ts":"');
const J_HOP = B('","hop":');
const J_DELTA = B(',"deltaNs":');
const J_OBSERVER = B(',"observer":');
const J_AFTER = B(',"observedAfterNs":');
const J_BRANCH_NULL = B(',"branch":null}');
const J_LOST_TO_VERDICT = B('],"lost":null,"losses":[],"notSeen":[],"flooded":[],"nat":[],"ttl":[],"macRewrites":[],"verdict":');
const J_TAIL = B(',"notCaptured":[],"ambiguousAt":[],"branches":[],"findings":[]}\n');
const J_NULL = B('null');
const J_TRUE = B('true');
const J_FALSE = B('false');
const J_DIRS = [B('"?"'), B('"in"'), B('"out"')];

/** Room renderPathJson's fast twin needs besides the summary and the copies' labels and roles. */
const FIXED_ROOM = 512;
const PER_COPY_ROOM = 200;

/**
 * renderPathJson(p) + "\n" as UTF-8, written into `out` from `at`; returns the byte count,
 * or -1 when the path is not the plain kind it writes (any loss, rewrite, finding, tree,
 * a summary needing escapes) or the line may not fit in `room`: then render it as text.
 * An NDJSON line per packet as strings cost more than the rest of a merge (their
 * building, flattening, encoding and collection); the usual line is made here from cached
 * bytes and digits instead.
 */
export function encodePathJsonLine(p: PacketPath, out: Uint8Array, at: number, room: number): number {
  if (
    p.lost !== null || p.losses.length !== 0 || p.notSeen.length !== 0 || p.flooded.length !== 0 || p.nat.length !== 0 ||
    p.ttl.length !== 0 || p.macRewrites.length !== 0 || p.notCaptured.length !== 0 || p.ambiguousAt.length !== 0 ||
    p.branches.length !== 0 || p.verdict === 'after-stop' || p.verdict === 'undetermined' ||
    !isCount(p.id) || !isCount(p.length)
  ) {
    return -1;
  }
  const summary = p.summary;
  const copies = p.copies;
  let need = FIXED_ROOM + summary.length * 3;
  for (let i = 0; i < copies.length; i++) {
    const c = copies[i]!;
    if (c.branch !== null || !isCount(c.hop) || !isIntOrNull(c.deltaNs) || !isIntOrNull(c.observedAfterNs)) return -1;
    const ts = c.ts;
    if (!isCount(ts.tsSec) || !isCount(ts.tsNsec) || ts.tsNsec > 999_999_999) return -1;
    need += PER_COPY_ROOM + c.label.length * 3 + c.role.length * 3;
  }
  if (need > room) return -1;
  let o = put(out, at, J_ID);
  o = digits(out, o, p.id);
  o = put(out, o, J_SUMMARY);
  o = jsonChars(out, o, summary);
  if (o < 0) return -1;
  o = put(out, o, J_PROTOCOL);
  o = put(out, o, qb(p.protocol));
  o = put(out, o, J_LENGTH);
  o = digits(out, o, p.length);
  o = put(out, o, J_COMPLETE);
  o = put(out, o, p.complete === null ? J_NULL : p.complete ? J_TRUE : J_FALSE);
  o = put(out, o, J_HOPS);
  for (let i = 0; i < copies.length; i++) {
    const c = copies[i]!;
    if (i > 0) out[o++] = 0x2c; // ','
    o = put(out, o, J_POINT);
    o = put(out, o, qb(c.label));
    o = put(out, o, J_ROLE);
    o = put(out, o, qb(c.role));
    o = put(out, o, J_DIRECTION);
    o = put(out, o, J_DIRS[c.direction]!);
    o = put(out, o, J_TS);
    const ts = c.ts;
    o = digits(out, o, ts.tsSec);
    out[o++] = 0x2e; // '.'
    o = nineDigits(out, o, ts.tsNsec);
    o = put(out, o, J_HOP);
    o = digits(out, o, c.hop);
    o = put(out, o, J_DELTA);
    o = c.deltaNs === null ? put(out, o, J_NULL) : digits(out, o, c.deltaNs);
    o = put(out, o, J_OBSERVER);
    o = put(out, o, c.hop === 0 ? J_TRUE : J_FALSE);
    o = put(out, o, J_AFTER);
    o = c.observedAfterNs === null ? put(out, o, J_NULL) : digits(out, o, c.observedAfterNs);
    o = put(out, o, J_BRANCH_NULL);
  }
  o = put(out, o, J_LOST_TO_VERDICT);
  o = put(out, o, p.verdict === null ? J_NULL : qb(p.verdict));
  o = put(out, o, J_TAIL);
  return o - at;
}

function isCount(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

function isIntOrNull(v: number | null): boolean {
  return v === null || Number.isSafeInteger(v);
}

function put(out: Uint8Array, o: number, src: Uint8Array): number {
  const n = src.length;
  if (n > 16) out.set(src, o);
  else for (let i = 0; i < n; i++) out[o + i] = src[i]!;
  return o + n;
}

/** A safe integer as JSON writes it. */
function digits(out: Uint8Array, o: number, v: number): number {
  if (v < 0) {
    out[o++] = 0x2d; // '-'
    v = -v;
  }
  let n = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
  let x = v;
  for (let k = o + n - 1; k >= o; k--) {
    const q = Math.floor(x / 10);
    out[k] = 0x30 + (x - q * 10);
    x = q;
  }
  return o + n;
}

/** 0 ≤ v < 10^9 as nine digits, zero-padded. */
function nineDigits(out: Uint8Array, o: number, v: number): number {
  let x = v;
  for (let k = o + 8; k >= o; k--) {
    const q = Math.floor(x / 10);
    out[k] = 0x30 + (x - q * 10);
    x = q;
  }
  return o + 9;
}

/** The characters of a JSON string that needs no escapes, as UTF-8; -1 when one would need escaping (or is a surrogate). */
function jsonChars(out: Uint8Array, o: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c < 0x20 || c === 0x22 || c === 0x5c) return -1;
      out[o++] = c;
    } else if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6);
      out[o++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdfff) return -1;
      out[o++] = 0xe0 | (c >> 12);
      out[o++] = 0x80 | ((c >> 6) & 0x3f);
      out[o++] = 0x80 | (c & 0x3f);
    }
  }
  return o;
}
