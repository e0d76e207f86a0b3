import { isIPv4 } from 'node:net';
import { VethcapError } from '../errors.js';
import { run } from '../exec/run.js';
import { spawnTool } from '../exec/spawn.js';
import { requireTools } from '../exec/tools.js';
import { resolveTargets, readLinks } from '../resolve/resolve.js';
import type { ResolveResult, ResolvedInterface, ResolvedTarget } from '../resolve/types.js';
import { planPoints, type PlannedPoint } from '../plan/plan.js';
import { trace, type TraceResult } from '../trace/trace.js';
import { connectDocker, runningContainers, type DockerApi } from '../targets/docker.js';
import { listNamedNetns, namedNetns } from '../targets/namespace.js';
import { VerdictBuilder, type ProbeKind, type Verdict, type VerifyExpectation } from './verdict.js';
import { describeVerdict } from './verdict-text.js';
import { explain, refineCauses } from './hints.js';
import type { HintFinding } from './hint-findings.js';
import { hintText } from './hint-text.js';
import type { HintContext } from './host-state.js';
import { readHostSnapshot } from './host-snapshot.js';
import { probeCommand, probeDeadlineMs, probeIpBytes, type ProbeSpec } from './probe.js';

export interface VerifyOptions {
  /** The source target (container, pid:N, netns:NAME). */
  source: string;
  /** The destination: a target, or an IPv4 address. */
  to: string;
  /** Check the traffic that flows anyway instead of sending probes. */
  passive?: boolean;
  /** Passive mode: how long to watch (s). */
  durationS?: number;
  /** Passive mode: only packets matching this pcap filter too. */
  filter?: string;
  probe?: ProbeKind;
  count?: number;
  size?: number;
  timeoutS?: number;
  intervalS?: number;
  port?: number;
  /** Kernel capture buffer per point (KiB); the trace's default otherwise. */
  bufferSizeKiB?: number;
  /** The Docker API, as resolve takes it; connected lazily from DOCKER_HOST otherwise. */
  docker?: DockerApi;
  signal?: AbortSignal;
  /** Called once every point is armed. */
  onArmed?: (points: readonly PlannedPoint[]) => void;
  /** Gather the HTML report's data (`--html`): `trace.report` then holds it. */
  report?: boolean;
}

export interface VerifyResult {
  verdict: Verdict;
  /** What the host shows, as data (hint-findings.ts): decide on these. */
  findings: HintFinding[];
  /** The same, one sentence each (hints[i] says findings[i]): for people. */
  hints: string[];
  expectation: VerifyExpectation;
  points: PlannedPoint[];
  /** What the probe command printed (stdout and stderr), for the curious. */
  probeOutput: string;
  probeExitCode: number | null;
  trace: TraceResult;
  /** Notes about the check itself (e.g. the destination is only an address). */
  notes: string[];
  /** The bridge's port states after the run, by port name. */
  portStates: Record<string, string>;
}

function ipv4Of(iface: ResolvedInterface): string | null {
  for (const a of iface.addresses) {
    const ip = a.split('/')[0]!;
    if (isIPv4(ip)) return ip;
  }
  return null;
}

/** Why verify cannot check `target`: none of its interfaces with an IPv4 address is behind a bridge port. */
function noBridgedInterface(target: ResolvedTarget): VethcapError {
  const routed = target.interfaces.find((i) => i.forwardedBy === 'host-routing' && ipv4Of(i));
  if (routed) {
    return new VethcapError('TARGET_UNSUPPORTED', `${target.name}:${routed.name}'s host end ${routed.peer!.name} is no bridge port: the host routes its traffic (a routed CNI such as Calico or Cilium), and verify checks a bridge's forwarding.`, {
      hint: `trace it instead: vethcap trace ${target.target} OTHER --filter icmp -- ping … shows where each packet stops, the host's routing step included.`,
    });
  }
  return new VethcapError('TARGET_UNSUPPORTED', `${target.name} has no interface with an IPv4 address on a bridge: verify checks the path through a bridge (its interfaces: ${target.interfaces.map((i) => i.name).join(', ') || 'none'}).`);
}

/** The target's bridged interface with an IPv4 address (on `bridge` when given). */
function pickInterface(target: ResolvedTarget, bridge?: string): ResolvedInterface | undefined {
  const usable = target.interfaces.filter((i) => i.bridge && i.peer?.netns === 'host' && ipv4Of(i));
  return (bridge ? usable.find((i) => i.bridge?.name === bridge) : undefined) ?? usable[0];
}

/**
 * Which targets hold `ip`: running containers Docker reports it for, and named
 * namespaces with it on an interface. Returns target specs.
 */
async function addressOwners(ip: string, docker: DockerApi): Promise<string[]> {
  // No Docker: look at named namespaces only.
  const containers = await runningContainers(docker).catch(() => []);
  const out = containers.filter((c) => Object.values(c.networks).some((n) => n.ip === ip)).map((c) => `docker:${c.name}`);
  for (const name of await listNamedNetns()) {
    const ref = await namedNetns(name).catch(() => undefined);
    if (!ref) continue;
    const links = await readLinks(ref.path).catch(() => []);
    if (links.some((l) => l.addresses.some((a) => a.split('/')[0] === ip))) out.push(`netns:${name}`);
  }
  return out;
}

/**
 * The owner of `ip` whose interface with it is a port of `bridge`; else one whose interface
 * with it is a port of another bridge of this host (the host routes to it); else null.
 */
async function findAddressOwner(ip: string, bridge: string | undefined, docker: DockerApi): Promise<string | null> {
  if (!bridge) return null;
  let routed: string | null = null;
  for (const spec of await addressOwners(ip, docker)) {
    const r = await resolveTargets([spec], { docker, discoverOwners: false }).catch(() => undefined);
    const holding = r?.targets[0]?.interfaces.find((i) => i.bridge && i.addresses.some((a) => a.split('/')[0] === ip));
    if (holding?.bridge?.name === bridge) return spec;
    if (holding && routed === null) routed = spec;
  }
  return routed;
}

/**
 * `vethcap verify`: resolve source and destination, plan the points of the expected
 * path, snapshot what the hints read, capture while the probes run (or for the passive
 * duration), then compute the verdict and explain losses. Reads the host's state; never
 * changes it (the ARP probe flushes the source's own neighbour entry for the destination).
 */
export async function verify(options: VerifyOptions): Promise<VerifyResult> {
  const passive = options.passive ?? false;
  const kind: ProbeKind = options.probe ?? 'icmp';
  await requireTools(['ip', 'nsenter', 'tcpdump', ...(passive ? [] : kind === 'icmp' || kind === 'arp' ? ['ping'] : [])]);
  const notes: string[] = [];
  // One Docker connection for every look-up below (resolve's seam; nothing is asked before a look-up needs it).
  const resolveOptions = { docker: options.docker ?? connectDocker(), discoverOwners: false };
  const toIsIp = isIPv4(options.to);
  let dstSpec: string | null = options.to;
  if (toIsIp) {
    const alone = await resolveTargets([options.source], resolveOptions);
    dstSpec = await findAddressOwner(options.to, pickInterface(alone.targets[0]!)?.bridge?.name, resolveOptions.docker);
  }
  if (toIsIp && !dstSpec) notes.push(`${options.to} is not an address of a container or named namespace vethcap can see: the path is checked as far as the source's host end.`);
  let resolved = await resolveTargets(dstSpec ? [options.source, dstSpec] : [options.source], resolveOptions);
  const [src, dst] = resolved.targets as [ResolvedTarget, ResolvedTarget | undefined];
  if (dst && dst.netns.inode === src.netns.inode) throw new VethcapError('USAGE', `${options.source} and ${options.to} share one network namespace: there is no path between them to verify.`);
  const dstIfGuess = dst ? pickInterface(dst) : undefined;
  const srcIf = pickInterface(src, dstIfGuess?.bridge?.name);
  if (!srcIf) throw noBridgedInterface(src);
  // On another bridge than the source's, the host routes between the two bridges: the
  // expected path is the routed one trace expects (both bridges' points, planned below).
  let dstIf = dst ? pickInterface(dst, srcIf.bridge!.name) : undefined;
  if (dst && toIsIp && dstIf && ipv4Of(dstIf) !== options.to) {
    dstIf = dst.interfaces.find((i) => i.addresses.some((a) => a.split('/')[0] === options.to)) ?? dstIf;
  }
  if (dst && !dstIf) throw noBridgedInterface(dst);
  const srcIp = ipv4Of(srcIf)!;
  const dstIp = toIsIp ? options.to : ipv4Of(dstIf!)!;
  resolved = {
    targets: [{ ...src, interfaces: [srcIf] }, ...(dst && dstIf ? [{ ...dst, interfaces: [dstIf] }] : [])],
  } satisfies ResolveResult;
  // Routed between two bridges, the host may rewrite the source address on the destination's
  // side (Docker masquerades what leaves a network): there only the destination's address is sure.
  const routedTo = dstIf?.bridge && dstIf.bridge.name !== srcIf.bridge!.name ? dstIf.bridge.name : null;
  const hosts = routedTo ? `host ${dstIp}` : `host ${srcIp} and host ${dstIp}`;
  const filter = `${options.filter ? `(${options.filter}) and ` : ''}${hosts}`;
  const planOptions = { filter };
  const points = planPoints(resolved.targets, planOptions);
  const forward = points.filter((p) => p.role !== 'bridge').map((p) => p.label);
  const expectation: VerifyExpectation = {
    mode: passive ? 'passive' : 'active',
    probe: passive ? null : kind,
    sent: passive ? 0 : (options.count ?? 5),
    src: { name: src.name, ip: srcIp },
    dst: { name: dst?.name ?? dstIp, ip: dstIp },
    forward,
    points,
    reachesDestination: Boolean(dst),
  };
  const spec: ProbeSpec = {
    kind,
    dst: dstIp,
    count: options.count ?? 5,
    ...(options.size !== undefined ? { size: options.size } : {}),
    timeoutS: options.timeoutS ?? 2,
    intervalS: options.intervalS ?? 0.2,
    port: options.port ?? (kind === 'tcp' ? 80 : 33434),
    ifname: srcIf.name,
  };
  const hintContext: HintContext = {
    bridge: srcIf.bridge!.name,
    ...(routedTo ? { routed: { fromBridge: srcIf.bridge!.name, toBridge: routedTo, srcIp, dstIp } } : {}),
    interfaces: points.filter((p) => p.role !== 'bridge').map((p) => ({ label: p.label, ifname: p.ifname, ...(p.netnsPath ? { netns: p.netnsPath } : {}) })),
    // Routed: the source's frames carry its bridge's (the router's) MAC, not the destination's.
    dstMac: routedTo ? null : (dstIf?.mac ?? null),
    dstPort: routedTo ? null : (dstIf?.peer?.name ?? null),
    probeBytes: passive ? null : probeIpBytes(spec),
  };

  if (!passive) await clearFailedNeighbour(src.netns.path, srcIf.name, dstIp, src.name, notes);
  const builder = new VerdictBuilder(expectation);
  const before = await readHostSnapshot(hintContext);
  // tcpdump cannot open an interface that is down; nothing crosses it either, so such a
  // point stays in the expected path (seen 0) but is not captured.
  const down = hintContext.interfaces.filter((i) => before.links[i.label] && !before.links[i.label]!.up).map((i) => i.label);
  for (const label of down) notes.push(`${label} is down: not captured there (nothing crosses a link that is down).`);
  const stop = new AbortController();
  const onOuterAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  let probeOutput = '';
  let probeExitCode: number | null = null;
  let probeError: unknown;
  let probeDone: Promise<void> = Promise.resolve();
  let result: TraceResult;
  try {
    result = await trace({
      targets: [],
      resolved,
      ...planOptions,
      ...(down.length > 0 ? { skip: down } : {}),
      output: { format: 'none', ...(options.report ? { report: true } : {}) },
      windowNs: 200_000_000,
      ...(options.bufferSizeKiB !== undefined ? { bufferSizeKiB: options.bufferSizeKiB } : {}),
      ...(passive ? { durationS: options.durationS ?? 10 } : {}),
      signal: stop.signal,
      onPath: (path) => builder.add(path),
      onArmed: (armed) => {
        options.onArmed?.(armed);
        if (passive) return;
        probeDone = runProbe(src.netns.path, spec).then(
          (r) => {
            probeOutput = r.output;
            probeExitCode = r.exitCode;
          },
          (error: unknown) => {
            probeError = error;
          },
        ).finally(() => setTimeout(() => stop.abort(), 500));
      },
    });
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
  await probeDone;
  if (probeError) throw probeError;
  if (options.signal?.aborted) throw new VethcapError('INTERRUPTED', 'verify was interrupted before it could give a verdict.');
  const after = await readHostSnapshot(hintContext);
  const drops = new Map(result.points.map((p, i) => [p.label, result.stats[i]?.droppedByKernel ?? null] as const));
  // ping's own word for which replies reached the source ("64 bytes from …: icmp_seq=3").
  const received = kind === 'icmp' ? new Set([...probeOutput.matchAll(/ icmp_seq=(\d+) /g)].map((m) => Number(m[1]))) : new Set<number>();
  const facts = refineCauses(builder.result(drops, received), before, after, hintContext);
  const findings = explain(before, after, hintContext, facts);
  const verdict = describeVerdict(facts, expectation);
  return { verdict, findings, hints: findings.map(hintText), expectation, points: result.points, probeOutput, probeExitCode, trace: result, notes, portStates: after.ports };
}

async function runProbe(netns: string, spec: ProbeSpec): Promise<{ output: string; exitCode: number | null }> {
  const [file, ...args] = probeCommand(spec) as [string, ...string[]];
  const probe = spawnTool(file, args, { netns, timeoutMs: probeDeadlineMs(spec) });
  // Its stdout and stderr as one text, in the order they came (ping's replies and errors).
  let output = '';
  probe.child.stdout?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  probe.child.stderr?.on('data', (d: Buffer) => (output += d.toString('utf8')));
  const end = await probe.ended;
  const cannotRun = probe.toolError(end, output);
  if (cannotRun) throw cannotRun;
  return { output, exitCode: end.exitCode };
}

/**
 * A FAILED neighbour entry (an earlier ARP that got no answer) makes the kernel refuse to
 * send to that address for a while, with "Destination Host Unreachable", even after the
 * cause is repaired: the probes would test the cache, not the bridge. Such an entry is a
 * cached negative answer, not configuration; it is removed (as its expiry would) and said.
 */
async function clearFailedNeighbour(netns: string, ifname: string, ip: string, name: string, notes: string[]): Promise<void> {
  const entries = await run('ip', ['-j', 'neigh', 'show', 'to', ip, 'dev', ifname], { netns })
    .then((out) => (out.trim() ? (JSON.parse(out) as Array<{ dst: string; state?: string[] }>) : []))
    .catch(() => []);
  const failed = entries.find((e) => e.dst === ip && (e.state ?? []).some((st) => st === 'FAILED' || st === 'INCOMPLETE'));
  if (!failed) return;
  await run('ip', ['neigh', 'del', ip, 'dev', ifname], { netns }).catch(() => undefined);
  notes.push(`${name} had a ${failed.state!.join('/')} neighbour entry for ${ip} (an earlier ARP went unanswered); vethcap removed it so that the probes are sent and ARP is tried again.`);
}
