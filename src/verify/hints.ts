import type { CounterRule, HintContext, HostSnapshot } from './host-state.js';
import { acceptsBridge } from './parse-iptables.js';
import { failLine, type Verdict } from './verdict.js';

/**
 * Hints for `vethcap verify`: what the host's own state says about why packets vanished,
 * from snapshots taken before and after the run (host-snapshot.ts reads them; the
 * parse-*.ts modules read the tools' output). Pure.
 */

function grown(before: Record<string, CounterRule>, after: Record<string, CounterRule>): Array<CounterRule & { delta: number }> {
  const out: Array<CounterRule & { delta: number }> = [];
  for (const [key, rule] of Object.entries(after)) {
    const delta = rule.packets - (before[key]?.packets ?? 0);
    if (delta > 0 && rule.drops) out.push({ ...rule, delta });
  }
  return out;
}

/**
 * What the host's state says about the losses in `verdict`, most specific first. Pure:
 * from the snapshots before and after the run.
 */
export function explain(before: HostSnapshot, after: HostSnapshot, ctx: HintContext, verdict: Verdict): string[] {
  if (verdict.ok) return [];
  const hints: string[] = [];
  const atBridge = verdict.lost.some((l) => / the bridge /.test(` ${l.reason}`));
  const byLabel = new Map(ctx.interfaces.map((i) => [i.label, i]));

  for (const iface of ctx.interfaces) {
    const l = after.links[iface.label];
    if (!l) continue;
    if (!l.up) hints.push(`link ${iface.label} is down (administratively): nothing crosses it until it is up again (ip link set ${iface.ifname} up${iface.netns ? ' inside its namespace' : ''}).`);
    else if (l.noCarrier || l.operstate === 'LOWERLAYERDOWN' || l.operstate === 'DOWN') hints.push(`link ${iface.label} has no carrier (operstate ${l.operstate}): the other end of its veth pair is down.`);
  }
  for (const iface of ctx.interfaces) {
    if (iface.netns) continue;
    const state = after.ports[iface.ifname];
    if (state && state !== 'forwarding') {
      hints.push(`bridge port ${iface.ifname} of ${ctx.bridge} is in state ${state}, not forwarding: the bridge sends nothing through it (see bridge link show dev ${iface.ifname}; a port disabled by hand comes back with bridge link set dev ${iface.ifname} state 3).`);
    }
  }
  const mtus = ctx.interfaces.map((i) => ({ label: i.label, mtu: after.links[i.label]?.mtu })).filter((m): m is { label: string; mtu: number } => m.mtu !== undefined);
  if (ctx.probeBytes !== null) {
    for (const m of mtus) {
      if (m.mtu < ctx.probeBytes) hints.push(`${m.label} has MTU ${m.mtu}, smaller than the ${ctx.probeBytes}-byte probes: a frame larger than the receiving interface's MTU is dropped (veth and bridge do not fragment).`);
    }
  }
  if (new Set(mtus.map((m) => m.mtu)).size > 1) hints.push(`MTU mismatch along the path: ${mtus.map((m) => `${m.label} ${m.mtu}`).join(', ')}.`);
  for (const iface of ctx.interfaces) {
    const a = after.qdiscs[iface.label] ?? [];
    const b = before.qdiscs[iface.label] ?? [];
    a.forEach((q, i) => {
      const delta = q.drops - (b[i]?.kind === q.kind ? b[i]!.drops : 0);
      if (delta > 0 || (q.lossPercent ?? 0) > 0) {
        hints.push(`the ${q.kind} qdisc on ${iface.label}${q.lossPercent !== null ? ` (loss ${q.lossPercent}%)` : ''} dropped ${delta} packets during the run, on that interface's egress (tc -s qdisc show dev ${iface.ifname}${iface.netns ? ' inside its namespace' : ''}).`);
      }
    });
  }
  for (const r of grown(before.nft, after.nft)) hints.push(`nftables rule in ${r.family} ${r.table} chain ${r.chain} matched ${r.delta} packets during the run: ${r.rule}`);
  for (const r of grown(before.iptables, after.iptables)) hints.push(`iptables rule matched ${r.delta} packets during the run: iptables ${r.rule}`);
  const fwd = after.policies.FORWARD;
  if (atBridge && ctx.bridge && after.brNfCallIptables === '1' && fwd && fwd.policy === 'DROP') {
    const delta = fwd.packets - (before.policies.FORWARD?.packets ?? 0);
    const bridge = ctx.bridge;
    const accepts = Object.values(after.iptables).some((r) => (r.chain === 'FORWARD' || r.chain === 'DOCKER-USER') && acceptsBridge(r, bridge));
    if (delta > 0 || !accepts) {
      hints.push(
        `net.bridge.bridge-nf-call-iptables = 1 (br_netfilter, which Docker loads): frames the bridge ${ctx.bridge} forwards pass iptables FORWARD, whose policy is DROP${delta > 0 ? ` (it counted ${delta} packets during the run)` : ''}, and no rule there accepts ${ctx.bridge}'s traffic. A bridge Docker does not manage stops forwarding once Docker runs; an explicit rule lets it through, e.g. iptables -I DOCKER-USER -i ${ctx.bridge} -o ${ctx.bridge} -j ACCEPT.`,
      );
    }
  }
  if (ctx.dstMac && ctx.bridge) {
    const ports = after.fdb[ctx.dstMac.toLowerCase()] ?? [];
    if (ports.length === 0) {
      if (atBridge) hints.push(`the bridge ${ctx.bridge} has no FDB entry for ${ctx.dstMac}: frames to it are flooded to every port (unknown unicast); if they still do not arrive, the port or a filter drops them.`);
    } else if (ctx.dstPort && !ports.includes(ctx.dstPort)) {
      hints.push(`stale FDB entry: the bridge ${ctx.bridge} sends ${ctx.dstMac} to ${ports.join(', ')}, not to ${ctx.dstPort} where it lives now (bridge fdb show br ${ctx.bridge}).`);
    }
  }
  if (verdict.probes.arpRequests > 0 && verdict.probes.arpReplies === 0) {
    hints.push(`unanswered ARP: ${verdict.probes.arpRequests} ARP requests for the destination got no reply${verdict.lost.some((l) => l.kind === 'arp') ? ' (they were lost on the way, above)' : ''}.`);
  }
  if (byLabel.size > 0 && after.unavailable.length > 0) hints.push(`not checked (tool missing or failed): ${after.unavailable.join(', ')}.`);
  return [...new Set(hints)];
}

/**
 * Where the host's counters say who dropped the packets, say it in the loss itself: a
 * qdisc that dropped on the egress of the interface the packets never reached (its
 * capture tap comes after the qdisc), or a link that is down.
 */
export function refineReasons(verdict: Verdict, before: HostSnapshot, after: HostSnapshot, ctx: HintContext): Verdict {
  if (verdict.ok) return verdict;
  let changed = false;
  const lost = verdict.lost.map((l) => {
    const iface = ctx.interfaces.find((i) => i.label === l.before);
    if (!iface) return l;
    const link = after.links[iface.label];
    if (link && !link.up) {
      changed = true;
      return { ...l, reason: `${l.before} is down` };
    }
    const q = (after.qdiscs[iface.label] ?? []).find((x, i) => x.drops - ((before.qdiscs[iface.label] ?? [])[i]?.drops ?? 0) > 0);
    if (q) {
      changed = true;
      return { ...l, reason: `the ${q.kind} qdisc on ${l.before}'s egress dropped them` };
    }
    return l;
  });
  return changed ? { ...verdict, lost, line: failLine(lost, verdict.problems) } : verdict;
}
