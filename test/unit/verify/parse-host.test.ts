import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBridgeFdb, parseBridgePorts, parseIpLink, parseTcQdiscs } from '../../../src/verify/parse-iproute.js';
import { acceptsBridge, parseIptablesSave } from '../../../src/verify/parse-iptables.js';
import { managedTables, parseNftRuleset } from '../../../src/verify/parse-nft.js';
import { parseKernelCounters, parseNeighbourStates, parseRouteGet, routeError } from '../../../src/verify/parse-routing.js';
import { NFT } from './scenarios.js';

/** Output of the commands host-snapshot.ts runs, captured on a host (fixtures/host/README.md). */
const captured = (name: string) => readFileSync(new URL(`fixtures/host/${name}`, import.meta.url), 'utf8');

describe('ip, tc and bridge JSON', () => {
  it('reads a link up, one without carrier, one administratively down', () => {
    expect(parseIpLink(captured('ip-link-up.json'))).toEqual({ mtu: 1400, up: true, operstate: 'UP', noCarrier: false });
    expect(parseIpLink(captured('ip-link-no-carrier.json'))).toEqual({ mtu: 1500, up: true, operstate: 'DOWN', noCarrier: true });
    expect(parseIpLink(captured('ip-link-admin-down.json'))).toEqual({ mtu: 1500, up: false, operstate: 'DOWN', noCarrier: false });
    expect(parseIpLink(captured('ip-link-bridge-port.json'))).toEqual({ mtu: 1500, up: true, operstate: 'UP', noCarrier: false });
    expect(parseIpLink('[]')).toBeNull();
  });

  it('reads qdiscs with their drops, and netem\'s loss as a percentage', () => {
    expect(parseTcQdiscs(captured('tc-qdisc-pfifo-fast.json'))).toEqual([{ kind: 'pfifo_fast', drops: 0, lossPercent: null }]);
    expect(parseTcQdiscs(captured('tc-qdisc-noqueue.json'))).toEqual([{ kind: 'noqueue', drops: 0, lossPercent: null }]);
    expect(parseTcQdiscs(captured('tc-qdisc-netem.json'))).toEqual([{ kind: 'netem', drops: 3, lossPercent: 100 }]);
    // Older iproute2 prints netem's loss directly under options.
    expect(parseTcQdiscs('[{"kind":"netem","options":{"limit":1000,"loss":0.25},"drops":1}]')).toEqual([{ kind: 'netem', drops: 1, lossPercent: 25 }]);
  });

  it('reads the port states of one bridge only', () => {
    const all = captured('bridge-link.json');
    expect(parseBridgePorts(all, 'vf0b0b0bbr')).toEqual({ vf0b0b0bh0: 'forwarding', vf0b0b0bh1: 'forwarding' });
    expect(parseBridgePorts(all, 'vf0a0a0abr')).toEqual({ vf0a0a0ah0: 'forwarding', vf0a0a0ah1: 'forwarding' });
    expect(parseBridgePorts(all, 'docker0')).toEqual({});
  });

  it('reads the FDB by lower-case MAC, without the bridge\'s own entries', () => {
    expect(parseBridgeFdb(captured('bridge-fdb.json'))).toEqual({
      '02:0b:0b:0b:00:02': ['vf0b0b0bh0'],
      '82:b1:dd:0a:09:7c': ['vf0b0b0bh0'],
      '02:0b:0b:0b:00:03': ['vf0b0b0bh1'],
      '86:ec:1b:a4:3c:bc': ['vf0b0b0bh1'],
    });
    expect(parseBridgeFdb('[{"mac":"02:AA:00:00:00:01","ifname":"p1","flags":[]},{"mac":"02:aa:00:00:00:01","ifname":"p2"}]')).toEqual({ '02:aa:00:00:00:01': ['p1', 'p2'] });
    expect(parseBridgeFdb('')).toEqual({});
  });
});

describe('nft -a list ruleset', () => {
  it('names the tables iptables-nft manages and leaves them to iptables', () => {
    const skip = managedTables(captured('nft-ruleset.stderr'));
    expect([...skip]).toEqual(['ip nat', 'ip filter', 'ip6 filter']);
    expect(parseNftRuleset(captured('nft-ruleset.txt'), skip)).toEqual({});
  });

  it('reads every rule with a counter: family, table, chain, handle, the rule without its counts, and whether it drops', () => {
    const rules = parseNftRuleset(captured('nft-ruleset.txt'));
    expect(Object.keys(rules)).toHaveLength(19);
    expect(rules['ip filter DOCKER-ISOLATION-STAGE-2 17']).toEqual({ family: 'ip', table: 'filter', chain: 'DOCKER-ISOLATION-STAGE-2', handle: 17, rule: 'oifname "docker0" counter drop', packets: 0, drops: true });
    expect(rules['ip filter FORWARD 77']).toMatchObject({ packets: 2263970, drops: false, rule: 'iifname "vf0a0a0abr" oifname "vf0a0a0abr"  counter accept' });
    expect(Object.values(rules).filter((r) => r.drops).map((r) => [r.family, r.table, r.chain, r.handle])).toEqual([['ip', 'filter', 'DOCKER-ISOLATION-STAGE-2', 17]]);
  });

  it('reads a bridge table\'s drop rule', () => {
    expect(parseNftRuleset(NFT(3))['bridge vf1 f 2']).toEqual({ family: 'bridge', table: 'vf1', chain: 'f', handle: 2, rule: 'ether daddr 02:42:c6:12:00:03 counter drop', packets: 3, drops: true });
  });
});

describe('iptables-save -c -t filter', () => {
  const { rules, policies } = parseIptablesSave(captured('iptables-save.txt'));

  it('reads the built-in chains\' policies with their counters, not the user chains', () => {
    expect(policies).toEqual({ INPUT: { policy: 'ACCEPT', packets: 0 }, FORWARD: { policy: 'DROP', packets: 2143 }, OUTPUT: { policy: 'ACCEPT', packets: 0 } });
  });

  it('reads every rule with its table, chain, counter and whether it drops', () => {
    expect(Object.values(rules)).toHaveLength(13);
    expect(Object.values(rules).filter((r) => r.drops)).toEqual([{ family: null, table: 'filter', chain: 'DOCKER-ISOLATION-STAGE-2', handle: null, rule: '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP', packets: 0, drops: true }]);
    expect(rules['-A FORWARD -j DOCKER-USER#1']).toMatchObject({ chain: 'FORWARD', packets: 2346 });
  });

  it('keeps a rule that appears twice as two', () => {
    const twice = parseIptablesSave('*filter\n[1:84] -A FORWARD -j DROP\n[2:168] -A FORWARD -j DROP\nCOMMIT\n').rules;
    expect(Object.entries(twice).map(([k, r]) => [k, r.packets])).toEqual([
      ['-A FORWARD -j DROP#1', 1],
      ['-A FORWARD -j DROP#2', 2],
    ]);
  });

  it('tells the rules that accept a bridge\'s traffic', () => {
    const accepting = Object.values(rules).filter((r) => acceptsBridge(r, 'vf0b0b0bbr'));
    expect(accepting.map((r) => r.rule)).toEqual(['-A FORWARD -i vf0b0b0bbr -o vf0b0b0bbr -m comment --comment "vethcap lab vf0b0b0bbr" -j ACCEPT']);
    expect(Object.values(rules).filter((r) => acceptsBridge(r, 'docker0')).map((r) => r.rule)).toEqual(['-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT', '-A FORWARD -i docker0 -o docker0 -j ACCEPT']);
    // A bridge whose name another begins with is not that bridge.
    expect(Object.values(rules).some((r) => acceptsBridge(r, 'vf0b0b0b'))).toBe(false);
  });
});

describe('the routing step: ip route get, ip neigh, /proc/net counters', () => {
  it('reads the interface the kernel routes out of, and none from an empty answer', () => {
    expect(parseRouteGet(captured('ip-route-get.json'))).toBe('vqt1b1');
    expect(parseRouteGet('[]')).toBeNull();
  });

  it('classes the kernel\'s refusals by errno', () => {
    expect(routeError('RTNETLINK answers: Network is unreachable\n')).toBe('network-unreachable');
    expect(routeError('RTNETLINK answers: No route to host\n')).toBe('host-unreachable');
    expect(routeError('RTNETLINK answers: Invalid argument\n')).toBe('invalid');
    expect(routeError('RTNETLINK answers: Permission denied\n')).toBe('prohibited');
    expect(routeError('RTNETLINK answers: Resource temporarily unavailable\n')).toBe('other');
  });

  it('reads neighbour states', () => {
    expect(parseNeighbourStates(captured('ip-neigh-failed.json'))).toEqual(['FAILED']);
    expect(parseNeighbourStates('')).toEqual([]);
  });

  it('reads the three drop counters from real /proc/net files, before and after', () => {
    expect(parseKernelCounters(captured('proc-net-snmp-before.txt'), captured('proc-net-netstat-before.txt'))).toEqual({ inAddrErrors: 0, inNoRoutes: 0, rpFilterDrops: 0 });
    expect(parseKernelCounters(captured('proc-net-snmp-after.txt'), captured('proc-net-netstat-after.txt'))).toEqual({ inAddrErrors: 2, inNoRoutes: 2, rpFilterDrops: 2 });
    expect(parseKernelCounters('', '')).toEqual({ inAddrErrors: null, inNoRoutes: null, rpFilterDrops: null });
  });
});
