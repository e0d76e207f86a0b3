import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { explain, refineCauses } from '../../../src/verify/hints.js';
import { HINT_CODES, type HintCode } from '../../../src/verify/hint-findings.js';
import { hintText } from '../../../src/verify/hint-text.js';
import { emptySnapshot, type HostSnapshot } from '../../../src/verify/host-state.js';
import { parseIptablesSave } from '../../../src/verify/parse-iptables.js';
import { managedTables, parseNftRuleset } from '../../../src/verify/parse-nft.js';
import { VerdictBuilder } from '../../../src/verify/verdict.js';
import { LOSS_CAUSE_CODES, PROBLEM_CODES } from '../../../src/verify/verdict-findings.js';
import { describeVerdict } from '../../../src/verify/verdict-text.js';
import { verifyJson, type VerifyJson } from '../../../src/verify/verify-json.js';
import { parseKernelCounters, parseNeighbourStates, parseRouteGet, routeError } from '../../../src/verify/parse-routing.js';
import { LATER_SCENARIOS, SCENARIOS, captureOf, type RawHost, type Scenario } from './scenarios.js';

/**
 * `verify --json` only grows. fixtures/json-before.json is what the scenarios (scenarios.ts)
 * gave at commit 745955b, before hints and losses had codes: the same inputs through
 * VerdictBuilder, refineReasons and explain, assembled as verify-command.ts then did.
 * Today's output must hold every key of it with the same value, at every depth.
 */

const BEFORE = JSON.parse(readFileSync(new URL('fixtures/json-before.json', import.meta.url), 'utf8')) as Array<{ name: string; json: Record<string, unknown> }>;

function snapshot(raw: RawHost): HostSnapshot {
  const ipt = parseIptablesSave(raw.iptables ?? '');
  return {
    ...emptySnapshot(),
    links: raw.links ?? {},
    ports: raw.ports ?? {},
    fdb: raw.fdb ?? {},
    nft: parseNftRuleset(raw.nft ?? '', managedTables(raw.nftWarnings ?? '')),
    iptables: ipt.rules,
    policies: ipt.policies,
    brNfCallIptables: raw.brNfCallIptables ?? null,
    ipForward: raw.ipForward ?? null,
    qdiscs: raw.qdiscs ?? {},
    unavailable: raw.unavailable ?? [],
    routes: (raw.routes ?? []).map((r) => ({ from: r.from, src: r.src, dst: r.dst, dev: r.stdout !== undefined ? parseRouteGet(r.stdout) : null, error: r.stderr !== undefined ? routeError(r.stderr) : null })),
    rpFilter: raw.rpFilter ?? {},
    neighbours: Object.fromEntries(Object.entries(raw.neighbours ?? {}).map(([ip, json]) => [ip, parseNeighbourStates(json)])),
    counters: raw.procNet ? parseKernelCounters(raw.procNet.snmp, raw.procNet.netstat) : emptySnapshot().counters,
  };
}

/** verify's stages after the run, as verify.ts chains them, and the CLI's JSON. */
function run(s: Scenario): VerifyJson {
  const b = new VerdictBuilder(s.expectation);
  for (const p of s.paths()) b.add(p);
  const before = snapshot(s.before);
  const after = snapshot(s.after);
  const facts = refineCauses(b.result(new Map(s.droppedByKernel), new Set(s.received)), before, after, s.ctx);
  const findings = explain(before, after, s.ctx, facts);
  const capture = captureOf(s);
  return JSON.parse(
    JSON.stringify(
      verifyJson({
        verdict: describeVerdict(facts, s.expectation),
        expectation: s.expectation,
        hints: findings.map(hintText),
        findings,
        notes: s.notes,
        points: capture.map((c) => ({ label: c.point })),
        stats: capture.map((c) => ({ captured: c.captured, droppedByKernel: c.droppedByKernel })),
      }),
    ),
  ) as VerifyJson;
}

/** Paths (a.b[2].c) where `now` lacks a key of `then` or holds another value; arrays keep their length. */
function missing(then: unknown, now: unknown, at = ''): string[] {
  if (Array.isArray(then)) {
    if (!Array.isArray(now) || now.length !== then.length) return [`${at}: ${JSON.stringify(then)} became ${JSON.stringify(now)}`];
    return then.flatMap((v, i) => missing(v, now[i], `${at}[${i}]`));
  }
  if (then !== null && typeof then === 'object') {
    if (now === null || typeof now !== 'object' || Array.isArray(now)) return [`${at}: an object became ${JSON.stringify(now)}`];
    return Object.entries(then).flatMap(([k, v]) => (k in now ? missing(v, (now as Record<string, unknown>)[k], `${at}.${k}`) : [`${at}.${k}: gone`]));
  }
  return Object.is(then, now) ? [] : [`${at}: ${JSON.stringify(then)} became ${JSON.stringify(now)}`];
}

describe('verify --json keeps what it printed before hints had codes', () => {
  it('has the same scenarios as the saved output', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual(BEFORE.map((b) => b.name));
  });

  it.each(SCENARIOS.map((s, i) => [s.name, s, BEFORE[i]!.json] as const))('%s: every key and value', (_name, s, before) => {
    expect(missing(before, run(s))).toEqual([]);
  });

  it('the scenarios reach every hint code, loss cause and problem, and each hint is its finding in words', () => {
    const outs = [...SCENARIOS, ...LATER_SCENARIOS].map(run);
    const hintCodes = new Set(outs.flatMap((o) => o.findings.map((f) => f.code)));
    // BR_NETFILTER with a rule accepting the bridge is worded anew: not in the saved output (hints.test.ts has it).
    expect([...hintCodes].sort()).toEqual([...HINT_CODES].sort());
    expect([...new Set(outs.flatMap((o) => o.lost.map((l) => l.cause.code)))].sort()).toEqual([...LOSS_CAUSE_CODES].sort());
    expect([...new Set(outs.flatMap((o) => o.problemFindings.map((p) => p.code)))].sort()).toEqual([...PROBLEM_CODES].sort());
    for (const o of outs) {
      expect(o.findings).toHaveLength(o.hints.length);
      o.findings.forEach((f, i) => expect(hintText(f)).toBe(o.hints[i]));
      expect(o.problemFindings).toHaveLength(o.problems.length);
    }
  });

  it('gives each scenario the codes it is about', () => {
    const codes = (name: string): { lost: string[]; problems: string[]; hints: HintCode[] } => {
      const o = run([...SCENARIOS, ...LATER_SCENARIOS].find((s) => s.name.startsWith(name))!);
      return { lost: o.lost.map((l) => l.cause.code), problems: o.problemFindings.map((p) => p.code), hints: o.findings.map((f) => f.code) };
    };
    expect(codes('pass')).toEqual({ lost: [], problems: [], hints: [] });
    expect(codes('the bridge did not forward')).toEqual({
      lost: ['BRIDGE_DID_NOT_FORWARD'],
      problems: [],
      hints: ['NO_CARRIER', 'PORT_STATE', 'MTU', 'MTU_MISMATCH', 'NFT_DROP', 'IPTABLES_DROP', 'BR_NETFILTER', 'FDB_STALE', 'NOT_CHECKED'],
    });
    expect(codes('ARP lost')).toEqual({ lost: ['BRIDGE_DID_NOT_FORWARD'], problems: ['ARP_UNRESOLVED'], hints: ['FDB_MISSING', 'ARP_UNANSWERED'] });
    expect(codes('a netem qdisc')).toEqual({ lost: ['QDISC_DROPS'], problems: [], hints: ['QDISC_DROPS', 'QDISC_DROPS'] });
    expect(codes('routed between two bridges: Docker')).toEqual({ lost: ['HOST_DID_NOT_PASS'], problems: [], hints: ['IP_FORWARD_OFF', 'DOCKER_ISOLATION'] });
    expect(codes('routed between two bridges: no rule')).toEqual({ lost: ['HOST_DID_NOT_PASS'], problems: [], hints: ['FORWARD_POLICY_DROP'] });
    expect(codes('routed between two bridges: no route')).toEqual({ lost: ['HOST_DID_NOT_PASS'], problems: [], hints: ['NO_ROUTE', 'NEIGH_FAILED'] });
    expect(codes('routed between two bridges: rp_filter')).toEqual({ lost: ['HOST_DID_NOT_PASS'], problems: [], hints: ['RP_FILTER'] });
    expect(codes('routed between two bridges: the kernel routes')).toEqual({ lost: ['HOST_DID_NOT_PASS'], problems: [], hints: ['ROUTE_ELSEWHERE'] });
    expect(codes('the destination port is down')).toEqual({ lost: ['LINK_DOWN'], problems: [], hints: ['LINK_DOWN', 'NO_CARRIER', 'PORT_STATE'] });
  });
});
