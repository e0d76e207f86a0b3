import type { CaptureStats } from '../capture/tcpdump-output.js';
import type { HintFinding } from './hint-findings.js';
import type { Endpoint, Verdict, VerifyExpectation } from './verdict.js';

/**
 * The object `vethcap verify --json` prints (docs/json.md, "verify --json"). Pure, so that
 * the contract test builds it from the same inputs as the CLI. Its keys only grow: the
 * words (`line`, `lost[].reason`, `problems`, `hints`) stay beside the data they come from
 * (`lost[].cause`, `problemFindings`, `findings`, parallel to `hints`).
 */
export interface VerifyJsonInput {
  verdict: Verdict;
  expectation: VerifyExpectation;
  hints: readonly string[];
  findings: readonly HintFinding[];
  notes: readonly string[];
  /** The capture points, in plan order, and tcpdump's counts for each (null where it printed none). */
  points: ReadonlyArray<{ label: string }>;
  stats: ReadonlyArray<Pick<CaptureStats, 'captured' | 'droppedByKernel'> | null | undefined>;
}

export interface VerifyJson extends Verdict {
  source: Endpoint;
  destination: Endpoint;
  /** The expected hops, source first. */
  path: readonly string[];
  hints: readonly string[];
  /** hints[i] as data: findings[i]. */
  findings: readonly HintFinding[];
  notes: readonly string[];
  capture: Array<{ point: string; captured: number | null; droppedByKernel: number | null }>;
}

export function verifyJson(r: VerifyJsonInput): VerifyJson {
  return {
    ...r.verdict,
    source: r.expectation.src,
    destination: r.expectation.dst,
    path: r.expectation.forward,
    hints: r.hints,
    findings: r.findings,
    notes: r.notes,
    capture: r.points.map((p, i) => ({ point: p.label, captured: r.stats[i]?.captured ?? null, droppedByKernel: r.stats[i]?.droppedByKernel ?? null })),
  };
}
