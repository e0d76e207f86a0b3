import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { run } from '../exec/run.js';
import { failLine, type Verdict } from './verdict.js';

/**
 * Hints for `vethcap verify`: what the host's own state says about why packets vanished.
 * Everything here only reads (ip, bridge, tc, nft, iptables-save, /proc/sys); vethcap never
 * changes the host's configuration. A snapshot is taken before and after the run so
 * that counters which grew during it (nftables/iptables rules, qdisc drops) can be named.
 */

/** One interface on the expected path. */
export interface PathInterface {
  /** Capture point label: box:eth0, host:veth854b6a5. */
  label: string;
  ifname: string;
  /** The namespace to read it in; undefined on the host. */
  netns?: string;
}

export interface HintContext {
  /** The bridge between source and destination, if any. */
  bridge: string | null;
  /** Interfaces along the expected path, in order (source first). */
  interfaces: PathInterface[];
  /** The destination's MAC and host veth (its bridge port), when vethcap knows them. */
  dstMac: string | null;
  dstPort: string | null;
  /** Size of each probe as an IP packet (bytes), for MTU questions; null when not probing. */
  probeBytes: number | null;
}

export interface LinkState {
  mtu: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  operstate: string;
  noCarrier: boolean;
}

export interface CounterRule {
  /** Where it lives: "bridge filter forward" (nft) or "FORWARD" (iptables). */
  where: string;
  text: string;
  packets: number;
  drops: boolean;
}

export interface QdiscState {
  kind: string;
  drops: number;
  /** netem's loss in percent, when it has one. */
  lossPercent: number | null;
}

export interface HostSnapshot {
  links: Record<string, LinkState>;
  /** Bridge port state by host interface name. */
  ports: Record<string, string>;
  /** FDB entries of the bridge: MAC → port names (lower-case MAC). */
  fdb: Record<string, string[]>;
  /** nftables rules with a counter, by a stable key. */
  nft: Record<string, CounterRule>;
  /** iptables rules (filter table) by a stable key. */
  iptables: Record<string, CounterRule>;
  /** iptables filter chain policies with their counters. */
  policies: Record<string, { policy: string; packets: number }>;
  /** /proc/sys/net/bridge/bridge-nf-call-iptables: '1', '0', or null when br_netfilter is not loaded. */
  brNfCallIptables: string | null;
  qdiscs: Record<string, QdiscState[]>;
  /** Readers that failed (a tool missing): their hints are not available. */
  unavailable: string[];
}

async function tryRun<T>(what: string, unavailable: string[], fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch {
    unavailable.push(what);
    return fallback;
  }
}

interface IpLink {
  ifname: string;
  mtu: number;
  flags?: string[];
  operstate?: string;
}

interface TcQdisc {
  kind: string;
  drops?: number;
  options?: Record<string, unknown>;
}

/** Reads everything the hints look at. Never throws: a reader that fails is listed in `unavailable`. */
export async function snapshot(ctx: HintContext): Promise<HostSnapshot> {
  const unavailable: string[] = [];
  const snap: HostSnapshot = { links: {}, ports: {}, fdb: {}, nft: {}, iptables: {}, policies: {}, brNfCallIptables: null, qdiscs: {}, unavailable };
  await Promise.all(
    ctx.interfaces.map(async (iface) => {
      const opts = iface.netns ? { netns: iface.netns } : {};
      const links = await tryRun(`ip link ${iface.label}`, unavailable, async () => JSON.parse(await run('ip', ['-j', '-d', 'link', 'show', 'dev', iface.ifname], opts)) as IpLink[], []);
      const l = links[0];
      if (l) {
        const flags = l.flags ?? [];
        snap.links[iface.label] = { mtu: l.mtu, up: flags.includes('UP'), operstate: l.operstate ?? 'UNKNOWN', noCarrier: flags.includes('NO-CARRIER') };
      }
      const qdiscs = await tryRun(`tc ${iface.label}`, unavailable, async () => JSON.parse(await run('tc', ['-s', '-j', 'qdisc', 'show', 'dev', iface.ifname], opts)) as TcQdisc[], []);
      snap.qdiscs[iface.label] = qdiscs.map((q) => ({ kind: q.kind, drops: q.drops ?? 0, lossPercent: netemLoss(q) }));
    }),
  );
  if (ctx.bridge) {
    const ports = await tryRun('bridge link', unavailable, async () => JSON.parse(await run('bridge', ['-j', 'link', 'show'])) as Array<{ ifname: string; master?: string; state?: string }>, []);
    for (const p of ports) if (p.master === ctx.bridge && p.state) snap.ports[p.ifname] = p.state;
    const fdb = await tryRun('bridge fdb', unavailable, async () => JSON.parse(await run('bridge', ['-j', 'fdb', 'show', 'br', ctx.bridge!])) as Array<{ mac: string; ifname: string; flags?: string[] }>, []);
    for (const e of fdb) {
      if ((e.flags ?? []).includes('self')) continue; // the bridge's own entries
      (snap.fdb[e.mac.toLowerCase()] ??= []).push(e.ifname);
    }
  }
  const nft = await tryRun('nft', unavailable, async () => {
    const r = await execa('nft', ['-a', 'list', 'ruleset'], { reject: false, stdin: 'ignore', env: { LC_ALL: 'C' } });
    if (r.exitCode !== 0) throw new Error(r.stderr);
    return { text: r.stdout, warnings: r.stderr };
  }, { text: '', warnings: '' });
  snap.nft = parseNftRuleset(nft.text, managedTables(nft.warnings));
  const ipt = await tryRun('iptables-save', unavailable, () => run('iptables-save', ['-c', '-t', 'filter']), '');
  const parsed = parseIptablesSave(ipt);
  snap.iptables = parsed.rules;
  snap.policies = parsed.policies;
  snap.brNfCallIptables = (await readFile('/proc/sys/net/bridge/bridge-nf-call-iptables', 'utf8').catch(() => null))?.trim() ?? null;
  return snap;
}

function netemLoss(q: TcQdisc): number | null {
  if (q.kind !== 'netem' || !q.options) return null;
  const loss = (q.options['loss-random'] as { loss?: number } | undefined)?.loss ?? (q.options.loss as number | undefined);
  return typeof loss === 'number' ? Math.round(loss * 1000) / 10 : null;
}

/** Tables nft says iptables-nft manages: their rules are read through iptables-save instead. */
export function managedTables(warnings: string): Set<string> {
  const out = new Set<string>();
  for (const m of warnings.matchAll(/table (\S+) (\S+) is managed by iptables-nft/g)) out.add(`${m[1]} ${m[2]}`);
  return out;
}

/** Rules with a counter from `nft -a list ruleset`, keyed by family, table, chain and handle. */
export function parseNftRuleset(text: string, skipTables: ReadonlySet<string> = new Set()): Record<string, CounterRule> {
  const out: Record<string, CounterRule> = {};
  let table = '';
  let chain = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) {
      table = `${t[1]} ${t[2]}`;
      chain = '';
      continue;
    }
    const c = /^chain (\S+) \{/.exec(line);
    if (c) {
      chain = c[1]!;
      continue;
    }
    if (!table || !chain || skipTables.has(table)) continue;
    const counter = /counter packets (\d+) bytes \d+/.exec(line);
    if (!counter) continue;
    const handle = /# handle (\d+)$/.exec(line)?.[1] ?? line;
    const text = line.replace(/\s*# handle \d+$/, '').replace(/counter packets \d+ bytes \d+ ?/, 'counter ').trim();
    out[`${table} ${chain} ${handle}`] = { where: `${table} chain ${chain}`, text, packets: Number(counter[1]), drops: /\b(drop|reject)\b/.test(text) };
  }
  return out;
}

/** Rules and policies with counters from `iptables-save -c -t filter`. */
export function parseIptablesSave(text: string): { rules: Record<string, CounterRule>; policies: Record<string, { policy: string; packets: number }> } {
  const rules: Record<string, CounterRule> = {};
  const policies: Record<string, { policy: string; packets: number }> = {};
  const seen = new Map<string, number>();
  for (const line of text.split('\n')) {
    const p = /^:(\S+) (\S+) \[(\d+):\d+\]/.exec(line);
    if (p) {
      if (p[2] !== '-') policies[p[1]!] = { policy: p[2]!, packets: Number(p[3]) };
      continue;
    }
    const r = /^\[(\d+):\d+\] (-A (\S+) .*)$/.exec(line);
    if (!r) continue;
    const ruleText = r[2]!;
    const n = (seen.get(ruleText) ?? 0) + 1;
    seen.set(ruleText, n);
    rules[`${ruleText}#${n}`] = { where: r[3]!, text: `iptables ${ruleText}`, packets: Number(r[1]), drops: /-j (DROP|REJECT)\b/.test(ruleText) };
  }
  return { rules, policies };
}

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
  for (const r of grown(before.nft, after.nft)) hints.push(`nftables rule in ${r.where} matched ${r.delta} packets during the run: ${r.text}`);
  for (const r of grown(before.iptables, after.iptables)) hints.push(`iptables rule matched ${r.delta} packets during the run: ${r.text}`);
  const fwd = after.policies.FORWARD;
  if (atBridge && ctx.bridge && after.brNfCallIptables === '1' && fwd && fwd.policy === 'DROP') {
    const delta = fwd.packets - (before.policies.FORWARD?.packets ?? 0);
    const accepts = Object.values(after.iptables).some((r) => r.where === 'FORWARD' || r.where === 'DOCKER-USER' ? new RegExp(`-[io] ${ctx.bridge}\\b[^!]*-j ACCEPT`).test(r.text) : false);
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
