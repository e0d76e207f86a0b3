import { hopBefore } from '../correlate/branches.js';
import type { PacketPath } from '../correlate/path.js';
import { percentile } from '../model/stats.js';
import type { CapturePoint } from '../model/topology.js';
import type { LossCause, VerdictProblem } from './verdict-findings.js';

/**
 * The verdict of `vethcap verify`, computed from packet paths and the path the packets
 * should take (pure: no processes, no clock, no words). The logic gives `VerdictFacts`;
 * verdict-text.ts adds the words (`line`, each loss's `reason`, the problems as sentences)
 * to make `Verdict`, which with the hints is the JSON of `verify --json` (docs/json.md).
 */

export type ProbeKind = 'icmp' | 'udp' | 'tcp' | 'arp';

export interface Endpoint {
  /** Display name: the target's name, or the address when there is none. */
  name: string;
  /** IPv4 address as text. */
  ip: string;
}

export interface VerifyExpectation {
  mode: 'active' | 'passive';
  /** The probe sent (active mode); null in passive mode. */
  probe: ProbeKind | null;
  /** How many probes were sent (active mode); 0 in passive mode. */
  sent: number;
  src: Endpoint;
  dst: Endpoint;
  /** Labels of the hops from src towards dst, bridge devices left out. */
  forward: readonly string[];
  /** The planned points (roles, bridges, owners) for naming what lost a packet. */
  points: readonly CapturePoint[];
  /**
   * True when `forward` ends at the destination's namespace end; false when the
   * destination is not a target vethcap resolved and the path ends on the host side.
   */
  reachesDestination: boolean;
}

export type PacketKind = 'ip' | 'arp';

/** One row of the table: packets of one kind and direction at one hop. */
export interface HopRow {
  /** "box → web" or "web → box". */
  direction: string;
  kind: PacketKind;
  /** The hop's capture point label. */
  point: string;
  /** Packets that should have reached this hop: seen at the previous hop (or probes sent, first hop). */
  sent: number;
  seen: number;
  /** Packets missing here that the network did not lose (or may not have): the point's capture missed them (kernel drops). */
  notCaptured: number;
  lost: number;
  /** Latency from the previous hop (ns), over the packets seen at both; null for the first hop or none. */
  p50Ns: number | null;
  p99Ns: number | null;
}

/** Packets seen at `after` and never at `before`, the next hop they should have crossed. */
export interface LossReport {
  after: string;
  before: string;
  count: number;
  direction: string;
  kind: PacketKind;
  /** What did not do its job: the bridge, a veth pair, … (verdict-text.ts says it as `reason`). */
  cause: LossCause;
  /** Points between `after` and `before` with no copy either, whose captures dropped packets then. */
  notCapturedAt: string[];
}

/** A loss with its reason in words, as `verify --json` prints it. */
export interface DescribedLoss extends LossReport {
  /** `cause` for people: "the bridge br0 did not forward them". */
  reason: string;
}

/** Packets whose trip the captures cannot settle, and the points whose capture dropped. */
export interface Undetermined {
  /** Packets checked whose delivery no capture proves, because points dropped copies in the kernel. */
  count: number;
  /** The points whose capture missed copies, with tcpdump's kernel drop count for the run where known. */
  points: Array<{ point: string; droppedByKernel: number | null }>;
}

/** The verdict as the logic gives it: counts, losses and their causes, problems; no words. */
export interface VerdictFacts {
  /** True for a pass: every packet crossed every hop. */
  ok: boolean;
  /** pass, fail (a loss or a problem: exit 1), or undetermined (no loss seen, but capture drops leave packets unchecked: exit 8). */
  verdict: 'pass' | 'fail' | 'undetermined';
  undetermined: Undetermined;
  mode: 'active' | 'passive';
  probes: {
    kind: ProbeKind | null;
    /** Probes sent (active mode). */
    sent: number;
    /** IP packets from source to destination seen at the first hop. */
    seen: number;
    /** Of those, seen at the last expected hop. */
    delivered: number;
    /** IP packets from destination to source seen at their first hop (the answers). */
    answered: number;
    /** ARP requests from the source for the destination's address, and ARP replies to it. */
    arpRequests: number;
    arpReplies: number;
  };
  /** Packets checked against the expected path (both directions, ARP included). */
  checked: number;
  hops: HopRow[];
  lost: LossReport[];
  /** Other reasons the verdict is not a pass (unanswered probes, ARP never resolved). */
  problems: VerdictProblem[];
}

/** The verdict with its words (verdict-text.ts `describeVerdict`): what `verify --json` prints, hints aside. */
export interface Verdict extends Omit<VerdictFacts, 'lost' | 'problems'> {
  lost: DescribedLoss[];
  /** `problemFindings` for people, one sentence each. */
  problems: string[];
  problemFindings: VerdictProblem[];
  /** The verdict in one line: PASS: ... or FAIL: ... */
  line: string;
}

function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return -1;
  return ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
}

interface Tally {
  direction: string;
  kind: PacketKind;
  hops: readonly string[];
  packets: number;
  seen: number[];
  /** Per hop: copies missing there that a capture missed (the path's notCaptured). */
  missed: number[];
  samples: number[][];
  losses: Map<string, LossReport>;
}

function newTally(direction: string, kind: PacketKind, hops: readonly string[]): Tally {
  return { direction, kind, hops, packets: 0, seen: hops.map(() => 0), missed: hops.map(() => 0), samples: hops.map(() => []), losses: new Map() };
}

/** What lost packets seen at `after` that never reached `before`, from the two points' roles. */
export function lossCause(after: string, before: string, points: readonly CapturePoint[]): LossCause {
  const a = points.find((p) => p.label === after);
  const b = points.find((p) => p.label === before);
  if (!a) return { code: 'NEVER_APPEARED', point: before };
  if (!b) return { code: 'NOT_SEEN_AGAIN', point: after };
  if (a.role === 'host-veth' && b.role === 'host-veth' && a.bridge && a.bridge === b.bridge) {
    return { code: 'BRIDGE_DID_NOT_FORWARD', bridge: a.bridge.replace(/^host:/, '') };
  }
  if (a.role === 'host-veth' && b.role === 'host-veth') return { code: 'HOST_DID_NOT_PASS', fromInterface: a.ifname, toInterface: b.ifname };
  if ((a.peer === b.label || b.peer === a.label) && a.role !== b.role) {
    const ns = a.role === 'namespace-end' ? a : b;
    const host = a.role === 'namespace-end' ? b : a;
    return { code: 'VETH_DID_NOT_CARRY', namespaceEnd: ns.label, hostInterface: host.ifname };
  }
  return { code: 'LOST_BETWEEN', after, before };
}

/**
 * Checks every path against the expected path in its direction (source → destination
 * or back; ARP too), counts per hop, locates each loss as the last expected hop that saw
 * the packet and the next one, and says pass or where the packets vanished.
 */
export function computeVerdict(paths: readonly PacketPath[], exp: VerifyExpectation): VerdictFacts {
  const builder = new VerdictBuilder(exp);
  for (const path of paths) builder.add(path);
  return builder.result();
}

/**
 * The verdict built path by path, so that a long passive run keeps counters and latency
 * samples, not paths.
 */
export class VerdictBuilder {
  private readonly srcIp: number;
  private readonly dstIp: number;
  private readonly fwdName: string;
  private readonly revName: string;
  private readonly tallies: { fwdIp: Tally; revIp: Tally; fwdArp: Tally; revArp: Tally };
  private arpRequests = 0;
  private arpReplies = 0;
  /** Packets whose delivery no capture proves (their last hops' captures missed them). */
  private unsure = 0;
  private readonly unsurePoints = new Set<string>();
  /** Of those, echo requests (by sequence number): an echo reply to one proves it arrived. */
  private readonly unsureRequests: number[] = [];
  /** Echo replies whose arrival no capture proves, by sequence number: ping saying it got one proves it. */
  private readonly unsureReplies: number[] = [];
  /** Sequence numbers of the echo replies seen at any point. */
  private readonly repliesSeen = new Set<number>();

  constructor(private readonly exp: VerifyExpectation) {
    this.srcIp = ipToInt(exp.src.ip);
    this.dstIp = ipToInt(exp.dst.ip);
    this.fwdName = `${exp.src.name} → ${exp.dst.name}`;
    this.revName = `${exp.dst.name} → ${exp.src.name}`;
    const reverse = [...exp.forward].reverse();
    this.tallies = {
      fwdIp: newTally(this.fwdName, 'ip', exp.forward),
      revIp: newTally(this.revName, 'ip', reverse),
      fwdArp: newTally(this.fwdName, 'arp', exp.forward),
      revArp: newTally(this.revName, 'arp', reverse),
    };
  }

  add(path: PacketPath): void {
    const { tallies, srcIp, dstIp, exp } = this;
    // Began after the trace was asked to stop: no verdict to count.
    if (path.verdict === 'after-stop') return;
    if (!path.copies[0]) return;
    // Which direction, from the first copy that carries the two addresses: a host that routes
    // between two bridges may rewrite them on the way (Docker masquerades what leaves a network),
    // so a reply's first copies can carry the NAT'd address and only the source's side the real one.
    let tally: Tally | undefined;
    let f = path.copies[0].frame;
    for (const c of path.copies) {
      const g = c.frame;
      if (g.network === 'arp') {
        if (g.arpSenderIp === srcIp && g.arpTargetIp === dstIp) tally = tallies.fwdArp;
        else if (g.arpSenderIp === dstIp && g.arpTargetIp === srcIp) tally = tallies.revArp;
      } else if (g.network === 'ipv4') {
        if (g.src4 === srcIp && g.dst4 === dstIp) tally = tallies.fwdIp;
        else if (g.src4 === dstIp && g.dst4 === srcIp) tally = tallies.revIp;
      }
      if (tally) {
        f = g;
        break;
      }
    }
    if (!tally) return;
    if (f.network === 'arp' && f.arpOp === 1 && tally === tallies.fwdArp) this.arpRequests++;
    if (f.network === 'arp' && f.arpOp === 2 && tally === tallies.revArp) this.arpReplies++;
    tally.packets++;
    const echo = f.network === 'ipv4' && f.ipProto === 1 ? f.icmpType : -1;
    if (echo === 0 && tally === tallies.revIp) this.repliesSeen.add(f.icmpSeq);
    const seenAt = new Set<string>();
    let prevHop: string | null = null;
    // A flooded frame's copies on the other branches interleave with the expected line's:
    // there a hop's latency runs from the hop before it on its own branch.
    const tree = path.branches.length > 0;
    for (let k = 0; k < path.copies.length; k++) {
      const c = path.copies[k]!;
      if (c.hop === 0) continue; // bridge device copy: an observation, not a hop
      const i = tally.hops.indexOf(c.label);
      if (i >= 0 && !seenAt.has(c.label)) {
        seenAt.add(c.label);
        tally.seen[i]!++;
        const from = tree ? (hopBefore(path, k)?.label ?? null) : prevHop;
        if (i > 0 && from === tally.hops[i - 1] && c.deltaNs !== null) tally.samples[i]!.push(c.deltaNs);
      }
      prevHop = c.label;
    }
    const missed = new Set<string>();
    // Copies a capture missed (or that a later sighting shows were passed): never a loss there.
    for (const g of path.notCaptured) missed.add(g.point);
    tally.hops.forEach((h, i) => {
      if (!seenAt.has(h) && missed.has(h)) tally.missed[i]!++;
    });
    let last = -1;
    for (let i = 0; i < tally.hops.length; i++) if (seenAt.has(tally.hops[i]!)) last = i;
    // The judged loss (verdict.ts) knows what the captures missed and what the bridge device
    // saw (the frame came in through its port): its `after` may be a hop passed but not seen.
    const judged = path.verdict === 'lost' && path.lost !== null ? [tally.hops.indexOf(path.lost.after), tally.hops.indexOf(path.lost.before)] : null;
    if (judged !== null && judged[0]! > last && judged[1]! > judged[0]!) last = judged[0]!;
    if (last >= 0 && last < tally.hops.length - 1) {
      // The first hop after the last sighting whose capture was whole then: the network lost
      // the packet before it. None: the captures missed it, and whether it arrived is unknown.
      let next = last + 1;
      while (next < tally.hops.length && missed.has(tally.hops[next]!)) next++;
      // The judged location may span a point whose capture dropped, which `missed` does not list.
      if (judged !== null && judged[0]! === last && judged[1]! > last) next = judged[1]!;
      if (next === tally.hops.length) {
        // Active mode answers for its probes: other traffic between the two whose copies
        // a capture dropped leaves nothing about the probes unknown.
        if (!this.isProbeTraffic(f)) return;
        this.unsure++;
        if (echo === 8 && tally === tallies.fwdIp) this.unsureRequests.push(f.icmpSeq);
        else if (echo === 0 && tally === tallies.revIp) this.unsureReplies.push(f.icmpSeq);
        for (let i = last + 1; i < tally.hops.length; i++) this.unsurePoints.add(tally.hops[i]!);
        return;
      }
      // Hops between the last sighting and the first whole capture after it have no copy either,
      // and their captures dropped then: the packet was lost somewhere between the two.
      const after = tally.hops[last]!;
      const before = tally.hops[next]!;
      const key = `${after}\u0000${before}`;
      const loss = tally.losses.get(key);
      if (loss) loss.count++;
      else {
        const notCapturedAt = tally.hops.slice(last + 1, next);
        tally.losses.set(key, { after, before, count: 1, direction: tally.direction, kind: tally.kind, cause: lossCause(after, before, exp.points), notCapturedAt });
      }
    }
  }

  /** Passive mode: every packet. Active mode: the probes' kind (and ICMP, which carries answers) and ARP. */
  private isProbeTraffic(f: PacketPath['copies'][number]['frame']): boolean {
    const { exp } = this;
    if (exp.mode === 'passive' || f.network === 'arp') return true;
    switch (exp.probe) {
      case 'icmp':
        return f.ipProto === 1;
      case 'udp':
        return f.ipProto === 17 || f.ipProto === 1;
      case 'tcp':
        return f.ipProto === 6 || f.ipProto === 1;
      default:
        return false;
    }
  }

  /**
   * The verdict. `droppedByKernel`: tcpdump's kernel drops per point label over the run, to
   * tell probes that never appeared from probes the first point's capture dropped.
   * `repliesReceived`: the sequence numbers of the echo replies ping says it received.
   * An echo request whose last copies a capture missed arrived if a reply to it was seen; a
   * reply did if ping received it: neither leaves the verdict undetermined.
   */
  result(droppedByKernel: ReadonlyMap<string, number | null> = new Map(), repliesReceived: ReadonlySet<number> = new Set()): VerdictFacts {
    const { tallies, exp, fwdName, arpRequests, arpReplies } = this;
    let unsure = this.unsure;
    for (const seq of this.unsureRequests) if (this.repliesSeen.has(seq) || repliesReceived.has(seq)) unsure--;
    for (const seq of this.unsureReplies) if (repliesReceived.has(seq)) unsure--;
    const unsurePoints = new Set(this.unsurePoints);
    const probeKind: PacketKind = exp.probe === 'arp' ? 'arp' : 'ip';
    const hops: HopRow[] = [];
    const lost: LossReport[] = [];
    const problems: VerdictProblem[] = [];
    const order = exp.probe === 'arp' ? [tallies.fwdArp, tallies.revArp, tallies.fwdIp, tallies.revIp] : [tallies.fwdIp, tallies.revIp, tallies.fwdArp, tallies.revArp];
    for (const t of order) {
      const isProbe = exp.mode === 'active' && t.kind === probeKind && t.direction === fwdName;
      if (t.packets === 0 && !isProbe) continue;
      t.hops.forEach((point, i) => {
        const sent = i === 0 ? (isProbe ? Math.max(exp.sent, t.seen[0]!) : t.seen[0]!) : t.seen[i - 1]!;
        const seen = t.seen[i]!;
        const sorted = [...t.samples[i]!].sort((a, b) => a - b);
        const notCaptured = t.missed[i]!;
        hops.push({ direction: t.direction, kind: t.kind, point, sent, seen, notCaptured, lost: Math.max(0, sent - seen - notCaptured), p50Ns: percentile(sorted, 50) ?? null, p99Ns: percentile(sorted, 99) ?? null });
      });
      lost.push(...t.losses.values());
    }

    const fwd = tallies.fwdIp;
    const seen = fwd.seen[0] ?? 0;
    const delivered = fwd.seen[fwd.seen.length - 1] ?? 0;
    const answered = tallies.revIp.seen[0] ?? 0;

    if (exp.mode === 'active') {
      const probeTally = exp.probe === 'arp' ? tallies.fwdArp : fwd;
      const firstHop = probeTally.hops[0];
      const missing = exp.sent - (probeTally.seen[0] ?? 0) - (probeTally.missed[0] ?? 0);
      const firstDropped = firstHop === undefined ? 0 : droppedByKernel.get(firstHop);
      if (missing > 0 && firstHop !== undefined && typeof firstDropped === 'number' && firstDropped > 0) {
        // The first point's capture dropped packets: probes it has no copy of may have left.
        unsure += missing;
        unsurePoints.add(firstHop);
      } else if (missing > 0) {
        const arpLost = tallies.fwdArp.losses.size + tallies.revArp.losses.size > 0;
        if (exp.probe !== 'arp' && arpRequests > 0 && (arpLost || arpReplies === 0)) {
          problems.push({ code: 'ARP_UNRESOLVED', source: exp.src.name, ip: exp.dst.ip, missing, sent: exp.sent, arpLost });
        } else {
          const first = probeTally.hops[0]!;
          lost.unshift({
            after: `${exp.src.name} (sender)`,
            before: first,
            count: missing,
            direction: fwdName,
            kind: probeTally.kind,
            cause: lossCause(`${exp.src.name} (sender)`, first, exp.points),
            notCapturedAt: [],
          });
        }
      }
      if (exp.probe === 'arp') {
        if (arpRequests > 0 && arpReplies === 0 && tallies.fwdArp.losses.size === 0 && exp.reachesDestination) {
          problems.push({ code: 'NO_ARP_ANSWER', destination: exp.dst.name, ip: exp.dst.ip, reached: exp.forward[exp.forward.length - 1]! });
        }
      } else if (delivered > 0 && answered === 0 && exp.reachesDestination) {
        problems.push({ code: 'NO_ANSWER', destination: exp.dst.name, delivered, reached: exp.forward[exp.forward.length - 1]! });
      }
    }
    const checked = Object.values(tallies).reduce((n, t) => n + t.packets, 0);
    const failed = lost.length > 0 || problems.length > 0;
    const undetermined: Undetermined = {
      count: unsure,
      points: unsure === 0 ? [] : [...unsurePoints].map((point) => ({ point, droppedByKernel: droppedByKernel.get(point) ?? null })),
    };
    const verdict = failed ? 'fail' : undetermined.count > 0 ? 'undetermined' : 'pass';
    lost.sort((a, b) => b.count - a.count);
    return {
      ok: verdict === 'pass',
      verdict,
      undetermined,
      mode: exp.mode,
      probes: { kind: exp.probe, sent: exp.sent, seen, delivered, answered, arpRequests, arpReplies },
      checked,
      hops,
      lost,
      problems,
    };
  }
}
