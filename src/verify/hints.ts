import type { HintFinding } from './hint-findings.js';
import type { CounterRule, HintContext, HostSnapshot } from './host-state.js';
import { acceptsBridge } from './parse-iptables.js';
import type { LossReport, VerdictFacts } from './verdict.js';

/**
 * Hints for `vethcap verify`: what the host's own state says about why packets vanished,
 * from snapshots taken before and after the run (host-snapshot.ts reads them). Pure, and
 * decided on codes and fields only: the findings come out as data (hint-findings.ts) and
 * hint-text.ts words them.
 */

function grown(before: Record<string, CounterRule>, after: Record<string, CounterRule>): Array<CounterRule & { delta: number }> {
  const out: Array<CounterRule & { delta: number }> = [];
  for (const [key, rule] of Object.entries(after)) {
    const delta = rule.packets - (before[key]?.packets ?? 0);
    if (delta > 0 && rule.drops) out.push({ ...rule, delta });
  }
  return out;
}

/** Identical findings (a qdisc's identical children, say) are one hint. */
function unique(findings: HintFinding[]): HintFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = JSON.stringify(f);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * What the host's state says about the losses in `verdict`, most specific first, in the
 * order of HINT_CODES. Nothing for a pass.
 */
export function explain(before: HostSnapshot, after: HostSnapshot, ctx: HintContext, verdict: VerdictFacts): HintFinding[] {
  if (verdict.ok) return [];
  const out: HintFinding[] = [];
  const atBridge = verdict.lost.some((l) => l.cause.code === 'BRIDGE_DID_NOT_FORWARD');
  const onPath = (i: HintContext['interfaces'][number]) => ({ point: i.label, interface: i.ifname, inNamespace: i.netns !== undefined });

  for (const iface of ctx.interfaces) {
    const l = after.links[iface.label];
    if (!l) continue;
    if (!l.up) out.push({ code: 'LINK_DOWN', ...onPath(iface) });
    else if (l.noCarrier || l.operstate === 'LOWERLAYERDOWN' || l.operstate === 'DOWN') out.push({ code: 'NO_CARRIER', ...onPath(iface), operstate: l.operstate });
  }
  for (const iface of ctx.interfaces) {
    if (iface.netns || !ctx.bridge) continue;
    const state = after.ports[iface.ifname];
    if (state && state !== 'forwarding') out.push({ code: 'PORT_STATE', bridge: ctx.bridge, port: iface.ifname, state });
  }
  const mtus = ctx.interfaces.flatMap((i) => {
    const mtu = after.links[i.label]?.mtu;
    return mtu === undefined ? [] : [{ iface: i, mtu }];
  });
  if (ctx.probeBytes !== null) {
    for (const m of mtus) if (m.mtu < ctx.probeBytes) out.push({ code: 'MTU', ...onPath(m.iface), mtu: m.mtu, packetBytes: ctx.probeBytes });
  }
  if (new Set(mtus.map((m) => m.mtu)).size > 1) out.push({ code: 'MTU_MISMATCH', mtus: mtus.map((m) => ({ point: m.iface.label, interface: m.iface.ifname, mtu: m.mtu })) });
  for (const iface of ctx.interfaces) {
    const b = before.qdiscs[iface.label] ?? [];
    (after.qdiscs[iface.label] ?? []).forEach((q, i) => {
      // tc lists an interface's qdiscs in a stable order: the same position and kind is the same qdisc.
      const delta = q.drops - (b[i]?.kind === q.kind ? b[i]!.drops : 0);
      if (delta > 0 || (q.lossPercent ?? 0) > 0) out.push({ code: 'QDISC_DROPS', ...onPath(iface), qdisc: q.kind, delta, lossPercent: q.lossPercent });
    });
  }
  const routed = ctx.routed;
  if (routed) {
    // The interface a packet comes in on decides whether the host forwards it: the global
    // switch, else the source's bridge (requests) or the destination's (answers).
    const off =
      after.ipForward === '0'
        ? 'net.ipv4.ip_forward'
        : [routed.fromBridge, routed.toBridge].filter((b) => after.forwarding[b] === '0').map((b) => `net.ipv4.conf.${b}.forwarding`)[0];
    if (off) out.push({ code: 'IP_FORWARD_OFF', sysctl: off, value: '0', fromBridge: routed.fromBridge, toBridge: routed.toBridge });
    out.push(...routingStep(before, after, routed, off !== undefined));
  }
  const dropped = grown(before.iptables, after.iptables);
  // On a routed path, Docker's isolation chains' drops are Docker's network isolation, said as such.
  const isolation = (r: CounterRule) => routed !== undefined && /^DOCKER-ISOLATION-STAGE-[12]$/.test(r.chain);
  for (const r of dropped.filter(isolation)) {
    out.push({ code: 'DOCKER_ISOLATION', table: r.table, chain: r.chain, rule: r.rule, delta: r.delta, fromBridge: routed!.fromBridge, toBridge: routed!.toBridge, sourceIp: routed!.srcIp, destinationIp: routed!.dstIp });
  }
  const fwd = after.policies.FORWARD;
  const fwdDelta = fwd ? fwd.packets - (before.policies.FORWARD?.packets ?? 0) : 0;
  const atRouting = verdict.lost.some((l) => l.cause.code === 'HOST_DID_NOT_PASS');
  if (routed && atRouting && fwd?.policy === 'DROP' && fwdDelta > 0 && !dropped.some(isolation)) {
    out.push({ code: 'FORWARD_POLICY_DROP', chain: 'FORWARD', policy: fwd.policy, delta: fwdDelta, fromBridge: routed.fromBridge, toBridge: routed.toBridge });
  }
  for (const r of grown(before.nft, after.nft)) out.push({ code: 'NFT_DROP', family: r.family ?? '', table: r.table, chain: r.chain, handle: r.handle, rule: r.rule, delta: r.delta });
  for (const r of dropped.filter((x) => !isolation(x))) out.push({ code: 'IPTABLES_DROP', table: r.table, chain: r.chain, rule: r.rule, delta: r.delta });
  const brNetfilter = bridgeNetfilter(before, after, ctx, atBridge);
  if (brNetfilter) out.push(brNetfilter);
  if (ctx.dstMac && ctx.bridge) {
    const mac = ctx.dstMac.toLowerCase();
    const ports = after.fdb[mac] ?? [];
    if (ports.length === 0) {
      if (atBridge) out.push({ code: 'FDB_MISSING', bridge: ctx.bridge, mac: ctx.dstMac });
    } else if (ctx.dstPort && !ports.includes(ctx.dstPort)) {
      out.push({ code: 'FDB_STALE', bridge: ctx.bridge, mac: ctx.dstMac, ports, expectedPort: ctx.dstPort });
    }
  }
  if (verdict.probes.arpRequests > 0 && verdict.probes.arpReplies === 0) {
    out.push({ code: 'ARP_UNANSWERED', requests: verdict.probes.arpRequests, lostOnPath: verdict.lost.some((l) => l.kind === 'arp') });
  }
  if (ctx.interfaces.length > 0 && after.unavailable.length > 0) out.push({ code: 'NOT_CHECKED', readers: [...after.unavailable] });
  return unique(out);
}

const grew = (before: number | null, after: number | null): number | null => (before === null || after === null ? null : after - before);

/** rp_filter in force on `iface`: the higher of `all` and the interface's own (the kernel's rule), with the sysctl that sets it. */
function rpFilterMode(snap: HostSnapshot, iface: string): { sysctl: string; value: string } | null {
  const all = snap.rpFilter.all ?? '0';
  const own = snap.rpFilter[iface] ?? '0';
  const [sysctl, value] = Number(own) >= Number(all) ? [`net.ipv4.conf.${iface}.rp_filter`, own] : ['net.ipv4.conf.all.rp_filter', all];
  return Number(value) > 0 ? { sysctl, value } : null;
}

/**
 * What the kernel said about the routing step (routes asked with `ip route get … iif`,
 * rp_filter, neighbours, its drop counters): the first direction it refuses or misroutes,
 * then a failed neighbour entry of either end. `forwardingOff` is already said (IP_FORWARD_OFF)
 * and explains an EHOSTUNREACH.
 */
function routingStep(before: HostSnapshot, after: HostSnapshot, routed: NonNullable<HintContext['routed']>, forwardingOff: boolean): HintFinding[] {
  const out: HintFinding[] = [];
  const noRoutes = grew(before.counters.inNoRoutes, after.counters.inNoRoutes);
  const rpDrops = grew(before.counters.rpFilterDrops, after.counters.rpFilterDrops);
  for (const [i, r] of after.routes.entries()) {
    const expected = i === 0 ? routed.toBridge : routed.fromBridge;
    const question = { fromBridge: r.from, sourceIp: r.src, destinationIp: r.dst };
    const rp = rpFilterMode(after, r.from);
    if (r.error === null) {
      if (r.dev !== null && r.dev !== expected) out.push({ code: 'ROUTE_ELSEWHERE', ...question, interface: r.dev, expectedInterface: expected });
    } else if (r.error === 'invalid' && rp) {
      out.push({ code: 'RP_FILTER', ...question, sysctl: rp.sysctl, value: rp.value, delta: rpDrops });
    } else if (!(r.error === 'host-unreachable' && forwardingOff)) {
      out.push({ code: 'NO_ROUTE', ...question, answer: r.error, delta: noRoutes });
    }
    if (out.length > 0) break; // the answers to requests that never arrived say nothing
  }
  for (const [ip, bridge] of [[routed.dstIp, routed.toBridge], [routed.srcIp, routed.fromBridge]] as const) {
    const states = (after.neighbours[ip] ?? []).filter((s) => s === 'FAILED' || s === 'INCOMPLETE');
    if (states.length > 0) out.push({ code: 'NEIGH_FAILED', bridge, ip, states });
  }
  return out;
}

/**
 * br_netfilter on and iptables FORWARD dropping by policy, when the bridge lost the packets:
 * the policy counted packets during the run, or no FORWARD/DOCKER-USER rule accepts the
 * bridge's traffic.
 */
function bridgeNetfilter(before: HostSnapshot, after: HostSnapshot, ctx: HintContext, atBridge: boolean): HintFinding | null {
  const fwd = after.policies.FORWARD;
  if (!atBridge || !ctx.bridge || after.brNfCallIptables !== '1' || !fwd || fwd.policy !== 'DROP') return null;
  const bridge = ctx.bridge;
  const delta = fwd.packets - (before.policies.FORWARD?.packets ?? 0);
  const acceptRule = Object.values(after.iptables).some((r) => (r.chain === 'FORWARD' || r.chain === 'DOCKER-USER') && acceptsBridge(r, bridge));
  if (delta <= 0 && acceptRule) return null;
  return { code: 'BR_NETFILTER', sysctl: 'net.bridge.bridge-nf-call-iptables', value: after.brNfCallIptables, bridge, chain: 'FORWARD', policy: fwd.policy, delta, acceptRule };
}

/**
 * Where the host's counters say who dropped the packets, say it in the loss itself: a
 * link that is down, or a qdisc that dropped on the egress of the interface the packets
 * never reached (its capture tap comes after the qdisc).
 */
export function refineCauses(verdict: VerdictFacts, before: HostSnapshot, after: HostSnapshot, ctx: HintContext): VerdictFacts {
  if (verdict.ok) return verdict;
  let changed = false;
  const lost = verdict.lost.map((l): LossReport => {
    const iface = ctx.interfaces.find((i) => i.label === l.before);
    if (!iface) return l;
    const link = after.links[iface.label];
    if (link && !link.up) {
      changed = true;
      return { ...l, cause: { code: 'LINK_DOWN', point: l.before } };
    }
    const q = (after.qdiscs[iface.label] ?? []).find((x, i) => x.drops - ((before.qdiscs[iface.label] ?? [])[i]?.drops ?? 0) > 0);
    if (q) {
      changed = true;
      return { ...l, cause: { code: 'QDISC_DROPS', point: l.before, qdisc: q.kind } };
    }
    return l;
  });
  return changed ? { ...verdict, lost } : verdict;
}
