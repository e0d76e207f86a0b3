import { describe, expect, it } from 'vitest';
import { HINT_CODES } from '../../../src/verify/hint-findings.js';
import { hintText } from '../../../src/verify/hint-text.js';
import type { VerdictFacts } from '../../../src/verify/verdict.js';
import { LOSS_CAUSE_CODES, PROBLEM_CODES } from '../../../src/verify/verdict-findings.js';
import { describeVerdict, lossCauseText, lossReasonText, problemText, renderVerdictText, verdictLine } from '../../../src/verify/verdict-text.js';
import { IP, fivePoints } from '../../helpers/topology.js';
import { CAUSES, HINTS, PROBLEMS } from './samples.js';

/**
 * The renderers: every code has words, the words carry the finding's fields, and the
 * verdict's words sit beside its facts. The exact sentences are held by the contract test
 * (json-contract.test.ts), against what verify printed before the codes.
 */

/**
 * Every string and number a finding holds, at any depth, but the ones the words leave to
 * the point label or the rule: the interface name (its point is said), an nft rule's
 * handle, the iptables table (always filter), a route's answer (said in words).
 */
function values(x: unknown, code = ''): string[] {
  if (Array.isArray(x)) return x.flatMap((v) => values(v, code));
  if (x !== null && typeof x === 'object') {
    const c = (x as { code?: string }).code ?? code;
    const unsaid = ['code', 'interface', 'handle', 'answer', ...(c === 'IPTABLES_DROP' ? ['table'] : [])];
    return Object.entries(x).flatMap(([k, v]) => (unsaid.includes(k) ? [] : values(v, c)));
  }
  return typeof x === 'string' || typeof x === 'number' ? [String(x)] : [];
}

describe('hint words', () => {
  it.each(HINT_CODES.map((c) => [c, HINTS[c]] as const))('%s: one line that carries its fields', (_code, f) => {
    const text = hintText(f);
    expect(text).not.toMatch(/\n|undefined|null|\[object/);
    for (const v of values(f)) expect(text).toContain(v);
  });

  it('names the interface for the command it suggests, and the namespace it is in', () => {
    expect(hintText(HINTS.LINK_DOWN)).toContain('ip link set vB up)');
    expect(hintText({ ...HINTS.LINK_DOWN, inNamespace: true })).toContain('ip link set vB up inside its namespace)');
    expect(hintText(HINTS.QDISC_DROPS)).toContain('tc -s qdisc show dev vB)');
  });

  it('says whether a rule accepts the bridge, as acceptRule says', () => {
    expect(hintText(HINTS.BR_NETFILTER)).toContain('no rule there accepts');
    expect(hintText({ ...HINTS.BR_NETFILTER, acceptRule: true })).not.toContain('no rule there accepts');
  });
});

const facts: VerdictFacts = {
  ok: false,
  verdict: 'fail',
  undetermined: { count: 0, points: [] },
  mode: 'active',
  probes: { kind: 'icmp', sent: 3, seen: 3, delivered: 0, answered: 0, arpRequests: 0, arpReplies: 0 },
  checked: 3,
  hops: [
    { direction: 'box → web', kind: 'ip', point: 'box:eth0', sent: 3, seen: 3, notCaptured: 0, lost: 0, p50Ns: null, p99Ns: null },
    { direction: 'box → web', kind: 'ip', point: 'host:vA', sent: 3, seen: 3, notCaptured: 0, lost: 0, p50Ns: 4_000, p99Ns: 4_000 },
    { direction: 'box → web', kind: 'ip', point: 'host:vB', sent: 3, seen: 0, notCaptured: 0, lost: 3, p50Ns: null, p99Ns: null },
  ],
  lost: [{ after: 'host:vA', before: 'web:eth0', count: 3, direction: 'box → web', kind: 'ip', cause: CAUSES.LOST_BETWEEN, notCapturedAt: ['host:vB'] }],
  problems: [PROBLEMS.NO_ANSWER],
};
const exp = { mode: 'active', probe: 'icmp', sent: 3, src: { name: 'box', ip: IP.box }, dst: { name: 'web', ip: IP.web }, forward: ['box:eth0', 'host:vA', 'host:vB', 'web:eth0'], points: fivePoints().points, reachesDestination: true } as const;

describe('verdict words', () => {
  it.each(LOSS_CAUSE_CODES.map((c) => [c, CAUSES[c]] as const))('loss cause %s carries its fields', (_code, cause) => {
    for (const v of values(cause)) expect(lossCauseText(cause)).toContain(v);
  });

  it.each(PROBLEM_CODES.map((c) => [c, PROBLEMS[c]] as const))('problem %s carries its fields', (_code, p) => {
    for (const v of values(p)) expect(problemText(p)).toContain(v);
  });

  it('adds the points without a copy to a location, not to what the host says dropped them', () => {
    const loss = facts.lost[0]!;
    expect(lossReasonText(loss)).toContain('host:vB');
    expect(lossReasonText({ ...loss, cause: CAUSES.QDISC_DROPS })).toBe(lossCauseText(CAUSES.QDISC_DROPS));
  });

  it('keeps the facts and puts the words beside them', () => {
    const v = describeVerdict(facts, exp);
    const { lost, problems, ...rest } = facts;
    expect(v).toMatchObject(rest);
    expect(v.lost).toEqual(lost.map((l) => ({ ...l, reason: lossReasonText(l) })));
    expect(v.problemFindings).toEqual(problems);
    expect(v.problems).toEqual(problems.map(problemText));
    expect(v.line).toBe(verdictLine(facts, exp));
  });

  it('starts the line with the verdict and says every loss and problem in it', () => {
    const fail = verdictLine(facts, exp);
    expect(fail.startsWith('FAIL: ')).toBe(true);
    expect(fail).toContain(lossReasonText(facts.lost[0]!));
    expect(fail).toContain(problemText(PROBLEMS.NO_ANSWER));
    expect(verdictLine({ ...facts, ok: true, verdict: 'pass', lost: [], problems: [] }, exp)).toMatch(/^PASS: /);
    expect(verdictLine({ ...facts, ok: false, verdict: 'undetermined', lost: [], problems: [], undetermined: { count: 1, points: [{ point: 'web:eth0', droppedByKernel: 4 }] } }, exp)).toMatch(/^UNDETERMINED: .*web:eth0/);
  });

  it('draws the table, the line, then one hint per line', () => {
    const text = renderVerdictText(describeVerdict(facts, exp), ['one', 'two']).split('\n');
    expect(text[0]!.split(/\s{2,}/)).toEqual(['direction', 'hop', 'sent', 'seen', 'lost', 'p50', 'p99']);
    expect(text[1]!.startsWith('box → web icmp  box:eth0')).toBe(true);
    expect(text.slice(-4)).toEqual([verdictLine(facts, exp), 'hint: one', 'hint: two', '']);
    const dropped = { ...facts, hops: facts.hops.map((h, i) => (i === 2 ? { ...h, notCaptured: 1 } : h)) };
    expect(renderVerdictText(describeVerdict(dropped, exp)).split('\n')[0]).toMatch(/not captured$/);
  });
});
