import { formatDuration } from '../render/format.js';
import type { LossCause, VerdictProblem } from './verdict-findings.js';
import type { DescribedLoss, LossReport, Undetermined, Verdict, VerdictFacts, VerifyExpectation } from './verdict.js';

/**
 * The words of `vethcap verify`'s verdict: each loss's reason, the problems, the one line
 * and the table. Pure. The logic (verdict.ts, hints.ts) decides on codes and fields; only
 * this module and hint-text.ts say them in sentences, so the wording can change without
 * touching a decision. `verify --json` keeps these words (`line`, `lost[].reason`,
 * `problems`) beside the data they come from.
 */

/** Why the packets were lost, for people: "the bridge br0 did not forward them". */
export function lossCauseText(cause: LossCause): string {
  switch (cause.code) {
    case 'NEVER_APPEARED':
      return `they never appeared on ${cause.point}: the sender did not put them on the wire, or its interface's queue discipline dropped them`;
    case 'NOT_SEEN_AGAIN':
      return `they left ${cause.point} and no capture point saw them again`;
    case 'BRIDGE_DID_NOT_FORWARD':
      return `the bridge ${cause.bridge} did not forward them`;
    case 'HOST_DID_NOT_PASS':
      return `the host did not pass them from ${cause.fromInterface} to ${cause.toInterface}`;
    case 'VETH_DID_NOT_CARRY':
      return `the veth pair ${cause.namespaceEnd} ⇄ ${cause.hostInterface} did not carry them`;
    case 'LOST_BETWEEN':
      return `they were lost between ${cause.after} and ${cause.before}`;
    case 'LINK_DOWN':
      return `${cause.point} is down`;
    case 'QDISC_DROPS':
      return `the ${cause.qdisc} qdisc on ${cause.point}'s egress dropped them`;
  }
}

/**
 * A loss's `reason`. Where the location is all that is known, it says which points between
 * had no copy either because their captures dropped; where the host's counters name who
 * dropped them (a link down, a qdisc), that is the reason and the captures are beside it.
 */
export function lossReasonText(loss: LossReport): string {
  const byHost = loss.cause.code === 'LINK_DOWN' || loss.cause.code === 'QDISC_DROPS';
  const between = byHost || loss.notCapturedAt.length === 0 ? '' : ` (no copy at ${loss.notCapturedAt.join(', ')} either, whose capture dropped packets then)`;
  return lossCauseText(loss.cause) + between;
}

export function problemText(p: VerdictProblem): string {
  switch (p.code) {
    case 'ARP_UNRESOLVED':
      return `${p.missing} of ${p.sent} probes never left ${p.source}: ${p.arpLost ? `its ARP requests for ${p.ip}, or the replies, were lost` : `nobody answered its ARP requests for ${p.ip}`}, so it had no MAC address to send them to`;
    case 'NO_ARP_ANSWER':
      return `${p.destination} did not answer ARP for ${p.ip}: the requests reached ${p.reached} and no reply left`;
    case 'NO_ANSWER':
      return `${p.destination} did not answer: ${p.delivered} probes reached ${p.reached} and no answer left it`;
  }
}

/** The verdict with its words beside the facts, keys in the order `verify --json` has always printed them. */
export function describeVerdict(v: VerdictFacts, exp: VerifyExpectation): Verdict {
  const lost: DescribedLoss[] = v.lost.map((l) => ({ after: l.after, before: l.before, count: l.count, direction: l.direction, kind: l.kind, reason: lossReasonText(l), cause: l.cause, notCapturedAt: l.notCapturedAt }));
  return {
    ok: v.ok,
    verdict: v.verdict,
    undetermined: v.undetermined,
    mode: v.mode,
    probes: v.probes,
    checked: v.checked,
    hops: v.hops,
    lost,
    problems: v.problems.map(problemText),
    problemFindings: v.problems,
    line: verdictLine(v, exp),
  };
}

/** The one line: PASS: …, FAIL: … or UNDETERMINED: … */
export function verdictLine(v: VerdictFacts, exp: VerifyExpectation): string {
  if (v.verdict === 'fail') return failLine(v.lost, v.problems);
  if (v.verdict === 'undetermined') return undeterminedLine(v.undetermined);
  return passLine(v, exp);
}

function failLine(lost: readonly LossReport[], problems: readonly VerdictProblem[]): string {
  const parts = lost.map((l) => `${l.count} ${l.kind === 'arp' ? 'ARP' : 'IP'} packets ${l.direction} lost after ${l.after}, before ${l.before}: ${lossReasonText(l)}`);
  return `FAIL: ${[...parts, ...problems.map(problemText)].join('; ')}`;
}

function undeterminedLine(u: Undetermined): string {
  const where = u.points.map((p) => `${p.point}${p.droppedByKernel === null ? '' : ` (${p.droppedByKernel} dropped by its kernel)`}`).join(', ');
  return `UNDETERMINED: no loss seen, but ${u.count} packets could not be checked: the capture at ${where} dropped packets, so whether they arrived is unknown; raise -B or send fewer probes at once`;
}

function passLine(v: VerdictFacts, exp: VerifyExpectation): string {
  const through = exp.forward.join(', ');
  const end = exp.reachesDestination ? '' : ` (${exp.dst.ip} is not a target vethcap resolved: checked as far as ${exp.forward[exp.forward.length - 1]})`;
  if (exp.mode === 'passive') {
    if (v.checked === 0) return `PASS (nothing to check): no packets between ${exp.src.name} and ${exp.dst.name} were seen during the run${end}`;
    return `PASS: all ${v.checked} packets between ${exp.src.name} and ${exp.dst.name} crossed every hop (${through})${end}`;
  }
  if (exp.probe === 'arp') return `PASS: ${exp.sent} ARP requests ${exp.src.name} → ${exp.dst.name} and their replies crossed every hop (${through})${end}`;
  return `PASS: ${exp.sent}/${exp.sent} ${exp.probe} probes ${exp.src.name} → ${exp.dst.name} and ${v.probes.answered} answers crossed every hop (${through})${end}`;
}

/** The verdict as a table per direction and hop, then the one line, then the hints. */
export function renderVerdictText(v: Verdict, hints: readonly string[] = []): string {
  const rows = v.hops.map((h) => [
    `${h.direction} ${h.kind === 'arp' ? 'arp' : v.probes.kind && v.probes.kind !== 'arp' ? v.probes.kind : 'ip'}`,
    h.point,
    String(h.sent),
    String(h.seen),
    String(h.lost),
    h.p50Ns === null ? '' : formatDuration(h.p50Ns),
    h.p99Ns === null ? '' : formatDuration(h.p99Ns),
    ...(v.hops.some((x) => x.notCaptured > 0) ? [String(h.notCaptured)] : []),
  ]);
  // "not captured" only when a point's capture missed copies: the usual table stays as it was.
  const head = ['direction', 'hop', 'sent', 'seen', 'lost', 'p50', 'p99', ...(v.hops.some((x) => x.notCaptured > 0) ? ['not captured'] : [])];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const numeric = new Set([2, 3, 4, 7]);
  const fmt = (r: string[]) =>
    r
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  let prevDir = '';
  const body = rows.map((r) => {
    const dir = r[0]!;
    const shown = dir === prevDir ? [''.padEnd(dir.length), ...r.slice(1)] : r;
    prevDir = dir;
    return fmt(shown);
  });
  const lines = [fmt(head), ...body, '', v.line];
  for (const h of hints) lines.push(`hint: ${h}`);
  return lines.join('\n') + '\n';
}
