import { describe, expect, expectTypeOf, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { explain, refineCauses } from '../../../src/verify/hints.js';
import { HINT_CODES, type HintCode, type HintFinding } from '../../../src/verify/hint-findings.js';
import { emptySnapshot, type HintContext, type HostSnapshot, type LinkState, type RouteAnswer } from '../../../src/verify/host-state.js';
import { parseIptablesSave } from '../../../src/verify/parse-iptables.js';
import { parseNftRuleset } from '../../../src/verify/parse-nft.js';
import type { VerdictFacts } from '../../../src/verify/verdict.js';
import { LOSS_CAUSE_CODES, PROBLEM_CODES, type LossCause, type VerdictProblem } from '../../../src/verify/verdict-findings.js';
import { IPTABLES, NFT } from './scenarios.js';

const ctx: HintContext = {
  bridge: 'br0',
  interfaces: [
    { label: 'box:eth0', ifname: 'eth0', netns: '/run/netns/box' },
    { label: 'host:vA', ifname: 'vA' },
    { label: 'host:vB', ifname: 'vB' },
    { label: 'web:eth0', ifname: 'eth0', netns: '/run/netns/web' },
  ],
  dstMac: '02:00:00:00:00:03',
  dstPort: 'vB',
  probeBytes: 1428,
};

const atBridge: VerdictFacts = {
  ok: false,
  verdict: 'fail',
  undetermined: { count: 0, points: [] },
  mode: 'active',
  probes: { kind: 'icmp', sent: 3, seen: 3, delivered: 0, answered: 0, arpRequests: 0, arpReplies: 0 },
  checked: 3,
  hops: [],
  lost: [{ after: 'host:vA', before: 'host:vB', count: 3, direction: 'box → web', kind: 'ip', cause: { code: 'BRIDGE_DID_NOT_FORWARD', bridge: 'br0' }, notCapturedAt: [] }],
  problems: [],
};
/** The same loss, located on the veth pair into the destination: not the bridge's. */
const onVeth: VerdictFacts = { ...atBridge, lost: [{ ...atBridge.lost[0]!, after: 'host:vB', before: 'web:eth0', cause: { code: 'VETH_DID_NOT_CARRY', namespaceEnd: 'web:eth0', hostInterface: 'vB' } }] };

const up = (mtu = 1500): LinkState => ({ mtu, up: true, operstate: 'UP', noCarrier: false });
const codes = (fs: HintFinding[]): HintCode[] => fs.map((f) => f.code);
/** A snapshot whose FDB knows the destination where it is (so that no FDB finding joins in), with `over`. */
const snap = (over: Partial<HostSnapshot>): HostSnapshot => ({ ...emptySnapshot(), fdb: { '02:00:00:00:00:03': ['vB'] }, ...over });

describe('the codes', () => {
  it('list every finding, loss cause and problem type once', () => {
    expectTypeOf<HintFinding['code']>().toEqualTypeOf<HintCode>();
    expectTypeOf<LossCause['code']>().toEqualTypeOf<(typeof LOSS_CAUSE_CODES)[number]>();
    expectTypeOf<VerdictProblem['code']>().toEqualTypeOf<(typeof PROBLEM_CODES)[number]>();
    for (const list of [HINT_CODES, LOSS_CAUSE_CODES, PROBLEM_CODES]) expect(new Set(list).size).toBe(list.length);
  });
});

describe('explain', () => {
  it('says nothing for a pass', () => {
    const after = snap({ ports: { vB: 'disabled' } });
    expect(explain(emptySnapshot(), after, ctx, { ...atBridge, ok: true, verdict: 'pass', lost: [] })).toEqual([]);
  });

  it('names a link down, one without carrier, and a port not forwarding (never a namespace end as a port)', () => {
    const after = snap({
      links: { 'box:eth0': up(), 'host:vA': { mtu: 1500, up: false, operstate: 'DOWN', noCarrier: false }, 'host:vB': up(), 'web:eth0': { mtu: 1500, up: true, operstate: 'LOWERLAYERDOWN', noCarrier: true } },
      ports: { vA: 'forwarding', vB: 'blocking', eth0: 'disabled' },
    });
    expect(explain(emptySnapshot(), after, ctx, atBridge)).toEqual([
      { code: 'LINK_DOWN', point: 'host:vA', interface: 'vA', inNamespace: false },
      { code: 'NO_CARRIER', point: 'web:eth0', interface: 'eth0', inNamespace: true, operstate: 'LOWERLAYERDOWN' },
      { code: 'PORT_STATE', bridge: 'br0', port: 'vB', state: 'blocking' },
    ]);
  });

  it('names an MTU below the probes and a mismatch along the path; no MTU finding without probes', () => {
    const after = snap({ links: { 'box:eth0': up(1500), 'host:vA': up(1500), 'web:eth0': up(1000) } });
    expect(explain(emptySnapshot(), after, ctx, onVeth)).toEqual([
      { code: 'MTU', point: 'web:eth0', interface: 'eth0', inNamespace: true, mtu: 1000, packetBytes: 1428 },
      {
        code: 'MTU_MISMATCH',
        mtus: [
          { point: 'box:eth0', interface: 'eth0', mtu: 1500 },
          { point: 'host:vA', interface: 'vA', mtu: 1500 },
          { point: 'web:eth0', interface: 'eth0', mtu: 1000 },
        ],
      },
    ]);
    expect(codes(explain(emptySnapshot(), after, { ...ctx, probeBytes: null }, onVeth))).toEqual(['MTU_MISMATCH']);
  });

  it('names qdisc drops during the run, netem with a loss rate even without drops, and counts from the same qdisc only', () => {
    const before = snap({ qdiscs: { 'host:vB': [{ kind: 'pfifo', drops: 5, lossPercent: null }], 'web:eth0': [{ kind: 'noqueue', drops: 0, lossPercent: null }] } });
    const after = snap({
      qdiscs: {
        'host:vB': [{ kind: 'pfifo', drops: 5, lossPercent: null }],
        'web:eth0': [{ kind: 'netem', drops: 0, lossPercent: 30 }],
        'box:eth0': [{ kind: 'fq_codel', drops: 2, lossPercent: null }],
      },
    });
    expect(explain(before, after, ctx, onVeth)).toEqual([
      { code: 'QDISC_DROPS', point: 'box:eth0', interface: 'eth0', inNamespace: true, qdisc: 'fq_codel', delta: 2, lossPercent: null },
      { code: 'QDISC_DROPS', point: 'web:eth0', interface: 'eth0', inNamespace: true, qdisc: 'netem', delta: 0, lossPercent: 30 },
    ]);
  });

  it('names drop rules whose counters grew: nft with family, table, chain and handle; iptables with table and chain', () => {
    const before = snap({ nft: parseNftRuleset(NFT(0)), iptables: parseIptablesSave(IPTABLES(0, 1)).rules });
    const after = snap({ nft: parseNftRuleset(NFT(3)), iptables: parseIptablesSave(IPTABLES(0, 4)).rules });
    expect(explain(before, after, ctx, onVeth)).toEqual([
      { code: 'NFT_DROP', family: 'bridge', table: 'vf1', chain: 'f', handle: 2, rule: 'ether daddr 02:42:c6:12:00:03 counter drop', delta: 3 },
      { code: 'IPTABLES_DROP', table: 'filter', chain: 'DOCKER-USER', rule: '-A DOCKER-USER -s 198.18.0.2/32 -d 198.18.0.3/32 -j DROP', delta: 3 },
    ]);
  });

  describe('br_netfilter with FORWARD policy DROP', () => {
    const policies = (n: number) => parseIptablesSave(IPTABLES(n, 0)).policies;
    const accepting = parseIptablesSave(`*filter\n:FORWARD DROP [9:0]\n[2:168] -A DOCKER-USER -i br0 -o br0 -j ACCEPT\nCOMMIT`).rules;

    it('is named when the bridge lost the packets and no rule accepts the bridge', () => {
      const after = snap({ brNfCallIptables: '1', policies: policies(0) });
      expect(explain(snap({ policies: policies(0) }), after, ctx, atBridge)).toEqual([
        { code: 'BR_NETFILTER', sysctl: 'net.bridge.bridge-nf-call-iptables', value: '1', bridge: 'br0', chain: 'FORWARD', policy: 'DROP', delta: 0, acceptRule: false },
      ]);
    });

    it('is named with a rule accepting the bridge only when the policy counted packets during the run', () => {
      const after = snap({ brNfCallIptables: '1', policies: policies(7), iptables: accepting });
      expect(explain(snap({ policies: policies(7) }), after, ctx, atBridge)).toEqual([]);
      expect(explain(snap({ policies: policies(4) }), after, ctx, atBridge)).toMatchObject([{ code: 'BR_NETFILTER', delta: 3, acceptRule: true }]);
    });

    it('is not named when the loss is elsewhere, or when br_netfilter is off or not loaded', () => {
      const after = snap({ brNfCallIptables: '1', policies: policies(3) });
      expect(explain(snap({ policies: policies(0) }), after, ctx, onVeth)).toEqual([]);
      for (const value of ['0', null]) expect(explain(snap({ policies: policies(0) }), { ...after, brNfCallIptables: value }, ctx, atBridge)).toEqual([]);
    });
  });

  it('names a missing FDB entry only when the bridge lost the packets, and a stale one always', () => {
    expect(explain(emptySnapshot(), emptySnapshot(), ctx, atBridge)).toEqual([{ code: 'FDB_MISSING', bridge: 'br0', mac: '02:00:00:00:00:03' }]);
    expect(explain(emptySnapshot(), emptySnapshot(), ctx, onVeth)).toEqual([]);
    const stale = snap({ fdb: { '02:00:00:00:00:03': ['vA'] } });
    expect(explain(emptySnapshot(), stale, ctx, onVeth)).toEqual([{ code: 'FDB_STALE', bridge: 'br0', mac: '02:00:00:00:00:03', ports: ['vA'], expectedPort: 'vB' }]);
    expect(explain(emptySnapshot(), snap({ fdb: { '02:00:00:00:00:03': ['vB'] } }), ctx, atBridge)).toEqual([]);
  });

  it('names unanswered ARP, and whether ARP was lost on the way', () => {
    const arp: VerdictFacts = { ...onVeth, probes: { ...onVeth.probes, arpRequests: 2, arpReplies: 0 } };
    expect(explain(emptySnapshot(), emptySnapshot(), ctx, arp)).toEqual([{ code: 'ARP_UNANSWERED', requests: 2, lostOnPath: false }]);
    const arpLost: VerdictFacts = { ...arp, lost: [{ ...arp.lost[0]!, kind: 'arp' }] };
    expect(explain(emptySnapshot(), emptySnapshot(), ctx, arpLost)).toEqual([{ code: 'ARP_UNANSWERED', requests: 2, lostOnPath: true }]);
  });

  it('lists the readers that failed, last', () => {
    const after = snap({ unavailable: ['nft', 'tc web:eth0'], ports: { vB: 'disabled' } });
    expect(explain(emptySnapshot(), after, ctx, onVeth)).toEqual([
      { code: 'PORT_STATE', bridge: 'br0', port: 'vB', state: 'disabled' },
      { code: 'NOT_CHECKED', readers: ['nft', 'tc web:eth0'] },
    ]);
  });

  it('gives identical findings once', () => {
    const q = { kind: 'pfifo_fast', drops: 4, lossPercent: null };
    expect(explain(emptySnapshot(), snap({ qdiscs: { 'host:vB': [q, q, q] } }), ctx, onVeth)).toHaveLength(1);
  });
});

describe('refineCauses', () => {
  it('puts a qdisc that dropped on the missing hop into the loss itself', () => {
    const before = snap({ qdiscs: { 'host:vB': [{ kind: 'pfifo', drops: 1, lossPercent: null }] } });
    const after = snap({ qdiscs: { 'host:vB': [{ kind: 'pfifo', drops: 7, lossPercent: null }] } });
    const v = refineCauses(atBridge, before, after, ctx);
    expect(v.lost[0]!.cause).toEqual({ code: 'QDISC_DROPS', point: 'host:vB', qdisc: 'pfifo' });
    expect(explain(before, after, ctx, v)).toContainEqual({ code: 'QDISC_DROPS', point: 'host:vB', interface: 'vB', inNamespace: false, qdisc: 'pfifo', delta: 6, lossPercent: null });
  });

  it('puts a link down on the missing hop into the loss, before any qdisc', () => {
    const after = snap({ links: { 'host:vB': { mtu: 1500, up: false, operstate: 'DOWN', noCarrier: false } }, qdiscs: { 'host:vB': [{ kind: 'pfifo', drops: 3, lossPercent: null }] } });
    expect(refineCauses(atBridge, emptySnapshot(), after, ctx).lost[0]!.cause).toEqual({ code: 'LINK_DOWN', point: 'host:vB' });
  });

  it('leaves the cause when the host shows nothing on the missing hop', () => {
    const after = snap({ links: { 'host:vB': up() }, qdiscs: { 'host:vA': [{ kind: 'pfifo', drops: 3, lossPercent: null }] } });
    expect(refineCauses(atBridge, emptySnapshot(), after, ctx)).toBe(atBridge);
  });
});

describe('explain, routed between two bridges (issue 14)', () => {
  /** Real iptables-save output around a ping between two user-defined Docker networks (fixtures/host/README.md). */
  const captured = (name: string) => readFileSync(new URL(`fixtures/host/${name}`, import.meta.url), 'utf8');
  const iptables = (name: string): HostSnapshot => {
    const ipt = parseIptablesSave(captured(name));
    return { ...emptySnapshot(), iptables: ipt.rules, policies: ipt.policies, ipForward: '1' };
  };
  const routedCtx: HintContext = {
    bridge: 'br-a4e7a6d552ef',
    routed: { fromBridge: 'br-a4e7a6d552ef', toBridge: 'br-74228ebc7505', srcIp: '198.18.201.2', dstIp: '198.18.202.2' },
    interfaces: [
      { label: 'a:eth0', ifname: 'eth0', netns: '/run/netns/a' },
      { label: 'host:veth2135216', ifname: 'veth2135216' },
      { label: 'host:veth717be36', ifname: 'veth717be36' },
      { label: 'b:eth0', ifname: 'eth0', netns: '/run/netns/b' },
    ],
    dstMac: null,
    dstPort: null,
    probeBytes: 84,
  };
  const atHost: VerdictFacts = {
    ...atBridge,
    lost: [{ after: 'host:veth2135216', before: 'host:veth717be36', count: 3, direction: 'a → b', kind: 'ip', cause: { code: 'HOST_DID_NOT_PASS', fromInterface: 'veth2135216', toInterface: 'veth717be36' }, notCapturedAt: [] }],
  };
  const before = iptables('iptables-save-docker-isolation-before.txt');
  const after = iptables('iptables-save-docker-isolation-after.txt');

  it('names Docker\'s isolation rule whose counter grew, with both bridges and the pair to allow, instead of a bare iptables drop', () => {
    expect(explain(before, after, routedCtx, atHost)).toEqual([
      {
        code: 'DOCKER_ISOLATION',
        table: 'filter',
        chain: 'DOCKER-ISOLATION-STAGE-2',
        rule: '-A DOCKER-ISOLATION-STAGE-2 -o br-74228ebc7505 -j DROP',
        delta: 3,
        fromBridge: 'br-a4e7a6d552ef',
        toBridge: 'br-74228ebc7505',
        sourceIp: '198.18.201.2',
        destinationIp: '198.18.202.2',
      },
    ]);
  });

  it('on a same-bridge path the same counters stay an iptables drop', () => {
    const { routed: _routed, ...sameBridge } = routedCtx;
    expect(codes(explain(before, after, sameBridge, atHost))).toEqual(['IPTABLES_DROP']);
  });

  it('names net.ipv4.ip_forward off on a routed path only', () => {
    const off = { ...after, ipForward: '0' };
    expect(explain(after, off, routedCtx, atHost)).toEqual([
      { code: 'IP_FORWARD_OFF', sysctl: 'net.ipv4.ip_forward', value: '0', fromBridge: 'br-a4e7a6d552ef', toBridge: 'br-74228ebc7505' },
    ]);
    const { routed: _routed, ...sameBridge } = routedCtx;
    expect(explain(after, off, sameBridge, atHost)).toEqual([]);
  });

  it('names one bridge\'s forwarding off when the global switch is on', () => {
    const off = { ...after, forwarding: { 'br-a4e7a6d552ef': '1', 'br-74228ebc7505': '0' } };
    expect(explain(after, off, routedCtx, atHost)).toEqual([
      { code: 'IP_FORWARD_OFF', sysctl: 'net.ipv4.conf.br-74228ebc7505.forwarding', value: '0', fromBridge: 'br-a4e7a6d552ef', toBridge: 'br-74228ebc7505' },
    ]);
  });

  it('says nothing for a pass', () => {
    expect(explain(before, after, routedCtx, { ...atHost, ok: true, verdict: 'pass', lost: [] })).toEqual([]);
  });
});

describe('explain, the kernel\'s answers about the routing step (issue 14)', () => {
  const [a, b] = ['br-a', 'br-b'];
  const ctx: HintContext = {
    bridge: a,
    routed: { fromBridge: a, toBridge: b, srcIp: '198.19.1.2', dstIp: '198.19.2.2' },
    interfaces: [],
    dstMac: null,
    dstPort: null,
    probeBytes: 84,
  };
  const lostAtRouting: VerdictFacts = {
    ...atBridge,
    lost: [{ after: 'host:va', before: 'host:vb', count: 3, direction: 'a → b', kind: 'ip', cause: { code: 'HOST_DID_NOT_PASS', fromInterface: 'va', toInterface: 'vb' }, notCapturedAt: [] }],
  };
  const ok = (from: string, src: string, dst: string, dev: string): RouteAnswer => ({ from, src, dst, dev, error: null });
  const refused = (from: string, src: string, dst: string, error: RouteAnswer['error']): RouteAnswer => ({ from, src, dst, dev: null, error });
  const healthy: HostSnapshot = {
    ...emptySnapshot(),
    ipForward: '1',
    routes: [ok(a, '198.19.1.2', '198.19.2.2', b), ok(b, '198.19.2.2', '198.19.1.2', a)],
    rpFilter: { all: '0', [a]: '0', [b]: '0' },
    neighbours: { '198.19.2.2': ['REACHABLE'], '198.19.1.2': ['STALE'] },
    counters: { inAddrErrors: 10, inNoRoutes: 3, rpFilterDrops: 0 },
  };

  it('says nothing of the routing step when the kernel routes both ways to the right bridges', () => {
    expect(explain(healthy, healthy, ctx, lostAtRouting)).toEqual([]);
  });

  it('no route: ENETUNREACH for the requests is NO_ROUTE with the counter that grew', () => {
    const after = { ...healthy, routes: [refused(a, '198.19.1.2', '198.19.2.2', 'network-unreachable'), healthy.routes[1]!], counters: { ...healthy.counters, inNoRoutes: 5 } };
    expect(explain(healthy, after, ctx, lostAtRouting)).toEqual([
      { code: 'NO_ROUTE', fromBridge: a, sourceIp: '198.19.1.2', destinationIp: '198.19.2.2', answer: 'network-unreachable', delta: 2 },
    ]);
  });

  it('EHOSTUNREACH with forwarding off is the forwarding, not a route', () => {
    const after = { ...healthy, ipForward: '0', routes: [refused(a, '198.19.1.2', '198.19.2.2', 'host-unreachable'), refused(b, '198.19.2.2', '198.19.1.2', 'host-unreachable')] };
    expect(codes(explain(healthy, after, ctx, lostAtRouting))).toEqual(['IP_FORWARD_OFF']);
    const unreachableRoute = { ...after, ipForward: '1' };
    expect(explain(healthy, unreachableRoute, ctx, lostAtRouting)).toEqual([
      { code: 'NO_ROUTE', fromBridge: a, sourceIp: '198.19.1.2', destinationIp: '198.19.2.2', answer: 'host-unreachable', delta: 0 },
    ]);
  });

  it('EINVAL with rp_filter on is RP_FILTER, naming the sysctl in force; with it off, a blackhole route', () => {
    const after = { ...healthy, routes: [refused(a, '198.19.1.2', '198.19.2.2', 'invalid'), healthy.routes[1]!], rpFilter: { all: '2', [a]: '1', [b]: '0' }, counters: { ...healthy.counters, rpFilterDrops: 2 } };
    expect(explain(healthy, after, ctx, lostAtRouting)).toEqual([
      { code: 'RP_FILTER', fromBridge: a, sourceIp: '198.19.1.2', destinationIp: '198.19.2.2', sysctl: 'net.ipv4.conf.all.rp_filter', value: '2', delta: 2 },
    ]);
    const blackhole = { ...after, rpFilter: { all: '0', [a]: '0' } };
    expect(codes(explain(healthy, blackhole, ctx, lostAtRouting))).toEqual(['NO_ROUTE']);
  });

  it('a route out of another interface is ROUTE_ELSEWHERE; the answers\' direction is asked only when the requests route', () => {
    const after = { ...healthy, routes: [ok(a, '198.19.1.2', '198.19.2.2', 'eth9'), refused(b, '198.19.2.2', '198.19.1.2', 'network-unreachable')] };
    expect(explain(healthy, after, ctx, lostAtRouting)).toEqual([
      { code: 'ROUTE_ELSEWHERE', fromBridge: a, sourceIp: '198.19.1.2', destinationIp: '198.19.2.2', interface: 'eth9', expectedInterface: b },
    ]);
    const answersOnly = { ...healthy, routes: [healthy.routes[0]!, refused(b, '198.19.2.2', '198.19.1.2', 'network-unreachable')] };
    expect(explain(healthy, answersOnly, ctx, lostAtRouting)).toMatchObject([{ code: 'NO_ROUTE', fromBridge: b, sourceIp: '198.19.2.2', destinationIp: '198.19.1.2' }]);
  });

  it('a failed neighbour entry of the destination on its bridge is NEIGH_FAILED', () => {
    const after = { ...healthy, neighbours: { ...healthy.neighbours, '198.19.2.2': ['FAILED'] } };
    expect(explain(healthy, after, ctx, lostAtRouting)).toEqual([{ code: 'NEIGH_FAILED', bridge: b, ip: '198.19.2.2', states: ['FAILED'] }]);
  });

  it('on a same-bridge path none of it is asked', () => {
    const { routed: _routed, ...sameBridge } = ctx;
    const after = { ...healthy, routes: [refused(a, '198.19.1.2', '198.19.2.2', 'network-unreachable')], neighbours: { '198.19.2.2': ['FAILED'] } };
    expect(explain(healthy, after, sameBridge, lostAtRouting)).toEqual([]);
  });
});
