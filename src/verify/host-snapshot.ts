import { readFile } from 'node:fs/promises';
import { run } from '../exec/run.js';
import { spawnTool } from '../exec/spawn.js';
import { isVethcapError } from '../errors.js';
import { emptySnapshot, type HintContext, type HostSnapshot, type RouteAnswer } from './host-state.js';
import { parseKernelCounters, parseNeighbourStates, parseRouteGet, routeError } from './parse-routing.js';
import { parseBridgeFdb, parseBridgePorts, parseIpLink, parseTcQdiscs } from './parse-iproute.js';
import { parseIptablesSave } from './parse-iptables.js';
import { managedTables, parseNftRuleset } from './parse-nft.js';

/**
 * Reads what verify's hints look at: ip, bridge, tc, nft, iptables-save and one sysctl.
 * Everything here only reads; vethcap never changes the host's configuration. verify reads
 * before and after the run, so that counters that grew during it can be named. This module
 * runs the commands; the parse-*.ts modules read their output.
 */

const BR_NF_CALL_IPTABLES = '/proc/sys/net/bridge/bridge-nf-call-iptables';
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

async function tryRead<T>(what: string, unavailable: string[], read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch {
    unavailable.push(what);
    return fallback;
  }
}

/**
 * `nft -a list ruleset` and its warnings, which name the tables iptables-nft manages: on
 * stderr of a run that succeeds, so not run(), which keeps only stdout.
 */
async function readNftRuleset(): Promise<{ text: string; warnings: string }> {
  const nft = spawnTool('nft', ['-a', 'list', 'ruleset'], { timeoutMs: 15_000 });
  let text = '';
  let warnings = '';
  nft.child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  nft.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (warnings += chunk));
  const end = await nft.ended;
  if (end.exitCode !== 0 || end.timedOut) throw nft.toolError(end, warnings) ?? new Error(`${nft.command} failed: ${warnings}`);
  return { text, warnings };
}

/**
 * The STP state of every port of these bridges, by port name, for the HTML report's
 * topology; empty when `bridge` cannot be run.
 */
export async function readPortStates(bridges: readonly string[]): Promise<Record<string, string>> {
  if (bridges.length === 0) return {};
  const json = await run('bridge', ['-j', 'link', 'show']).catch(() => '[]');
  return Object.assign({}, ...bridges.map((b) => parseBridgePorts(json, b))) as Record<string, string>;
}

/** Reads everything the hints look at. Never throws: a reader that fails is listed in `unavailable`. */
export async function readHostSnapshot(ctx: HintContext): Promise<HostSnapshot> {
  const snap = emptySnapshot();
  const { unavailable } = snap;
  await Promise.all(
    ctx.interfaces.map(async (iface) => {
      const opts = iface.netns ? { netns: iface.netns } : {};
      const link = await tryRead(`ip link ${iface.label}`, unavailable, async () => parseIpLink(await run('ip', ['-j', '-d', 'link', 'show', 'dev', iface.ifname], opts)), null);
      if (link) snap.links[iface.label] = link;
      snap.qdiscs[iface.label] = await tryRead(`tc ${iface.label}`, unavailable, async () => parseTcQdiscs(await run('tc', ['-s', '-j', 'qdisc', 'show', 'dev', iface.ifname], opts)), []);
    }),
  );
  if (ctx.bridge) {
    const bridge = ctx.bridge;
    snap.ports = await tryRead('bridge link', unavailable, async () => parseBridgePorts(await run('bridge', ['-j', 'link', 'show']), bridge), {});
    snap.fdb = await tryRead('bridge fdb', unavailable, async () => parseBridgeFdb(await run('bridge', ['-j', 'fdb', 'show', 'br', bridge])), {});
  }
  const nft = await tryRead('nft', unavailable, readNftRuleset, { text: '', warnings: '' });
  snap.nft = parseNftRuleset(nft.text, managedTables(nft.warnings));
  const ipt = parseIptablesSave(await tryRead('iptables-save', unavailable, () => run('iptables-save', ['-c', '-t', 'filter']), ''));
  snap.iptables = ipt.rules;
  snap.policies = ipt.policies;
  // Absent when br_netfilter is not loaded: null, not a failure.
  snap.brNfCallIptables = (await readFile(BR_NF_CALL_IPTABLES, 'utf8').catch(() => null))?.trim() ?? null;
  snap.ipForward = (await readFile(IP_FORWARD, 'utf8').catch(() => null))?.trim() ?? null;
  for (const bridge of ctx.routed ? [ctx.routed.fromBridge, ctx.routed.toBridge] : []) {
    const value = (await readFile(`/proc/sys/net/ipv4/conf/${bridge}/forwarding`, 'utf8').catch(() => null))?.trim();
    if (value !== undefined) snap.forwarding[bridge] = value;
  }
  if (ctx.routed) await readRoutingStep(ctx.routed, snap);
  return snap;
}

const sysctl = async (name: string): Promise<string | undefined> => (await readFile(`/proc/sys/${name.replace(/\./g, '/')}`, 'utf8').catch(() => null))?.trim();

/** Asks the kernel how it routes `src → dst` coming in on `from`: `ip route get … iif …`. */
async function routeGet(from: string, src: string, dst: string): Promise<RouteAnswer> {
  try {
    return { from, src, dst, dev: parseRouteGet(await run('ip', ['-j', 'route', 'get', dst, 'from', src, 'iif', from])), error: null };
  } catch (error) {
    // ip's refusal is the answer (RTNETLINK answers: Network is unreachable); anything else is not.
    if (isVethcapError(error) && error.code === 'COMMAND_FAILED' && error.stderr && /RTNETLINK answers/.test(error.stderr)) {
      return { from, src, dst, dev: null, error: routeError(error.stderr) };
    }
    throw error;
  }
}

/**
 * The routing step between two bridges, as the kernel sees it (this process's namespace,
 * the host's): its route for each direction, rp_filter, the neighbour entries of both
 * ends and the counters of what it dropped.
 */
async function readRoutingStep(routed: NonNullable<HintContext['routed']>, snap: HostSnapshot): Promise<void> {
  const { unavailable } = snap;
  const { fromBridge, toBridge, srcIp, dstIp } = routed;
  snap.routes = await tryRead('ip route get', unavailable, () => Promise.all([routeGet(fromBridge, srcIp, dstIp), routeGet(toBridge, dstIp, srcIp)]), []);
  for (const key of ['all', fromBridge, toBridge]) {
    const value = await sysctl(`net.ipv4.conf.${key}.rp_filter`);
    if (value !== undefined) snap.rpFilter[key] = value;
  }
  for (const [ip, dev] of [[dstIp, toBridge], [srcIp, fromBridge]] as const) {
    snap.neighbours[ip] = await tryRead('ip neigh', unavailable, async () => parseNeighbourStates(await run('ip', ['-j', 'neigh', 'show', 'to', ip, 'dev', dev])), []);
  }
  const snmp = await readFile('/proc/net/snmp', 'utf8').catch(() => '');
  const netstat = await readFile('/proc/net/netstat', 'utf8').catch(() => '');
  snap.counters = parseKernelCounters(snmp, netstat);
}
