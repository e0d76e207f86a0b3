import { describe, expect, it } from 'vitest';
import { explain, refineReasons } from '../../../src/verify/hints.js';
import { emptySnapshot, type HintContext, type HostSnapshot } from '../../../src/verify/host-state.js';
import { parseIptablesSave } from '../../../src/verify/parse-iptables.js';
import { managedTables, parseNftRuleset } from '../../../src/verify/parse-nft.js';
import type { Verdict } from '../../../src/verify/verdict.js';

const NFT = `table bridge vf1 { # handle 9
	chain f { # handle 1
		type filter hook forward priority filter; policy accept;
		ether daddr 02:42:52:ba:00:03 counter packets 3 bytes 294 drop # handle 2
		counter packets 40 bytes 1 accept # handle 3
	}
}
table ip filter { # handle 2
	chain FORWARD { # handle 6
		counter packets 10 bytes 840 jump DOCKER-USER # handle 93
	}
}`;

const IPT = `*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [3:252]
:DOCKER-USER - [0:0]
[10:840] -A FORWARD -j DOCKER-USER
[2:168] -A FORWARD -i docker0 -o docker0 -j ACCEPT
[0:0] -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
COMMIT`;

const empty = (): HostSnapshot => emptySnapshot();

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

const failing: Verdict = {
  ok: false,
  verdict: 'fail',
  undetermined: { count: 0, points: [] },
  mode: 'active',
  probes: { kind: 'icmp', sent: 3, seen: 3, delivered: 0, answered: 0, arpRequests: 0, arpReplies: 0 },
  checked: 3,
  hops: [],
  lost: [{ after: 'host:vA', before: 'host:vB', count: 3, direction: 'box → web', kind: 'ip', reason: 'the bridge br0 did not forward them' }],
  problems: [],
  line: 'FAIL: …',
};

describe('verify hints', () => {
  it('reads nft rules with counters, leaving out tables iptables-nft manages', () => {
    const skip = managedTables('# Warning: table ip filter is managed by iptables-nft, do not touch!\n');
    expect([...skip]).toEqual(['ip filter']);
    const rules = parseNftRuleset(NFT, skip);
    expect(Object.keys(rules)).toEqual(['bridge vf1 f 2', 'bridge vf1 f 3']);
    expect(rules['bridge vf1 f 2']).toEqual({ family: 'bridge', table: 'vf1', chain: 'f', handle: 2, rule: 'ether daddr 02:42:52:ba:00:03 counter drop', packets: 3, drops: true });
    expect(rules['bridge vf1 f 3']!.drops).toBe(false);
  });

  it('reads iptables-save counters and policies', () => {
    const { rules, policies } = parseIptablesSave(IPT);
    expect(policies).toEqual({ INPUT: { policy: 'ACCEPT', packets: 0 }, FORWARD: { policy: 'DROP', packets: 3 } });
    expect(Object.values(rules).map((r) => [r.chain, r.packets, r.drops])).toEqual([
      ['FORWARD', 10, false],
      ['FORWARD', 2, false],
      ['DOCKER-ISOLATION-STAGE-2', 0, true],
    ]);
  });

  it('names a grown drop rule, a port not forwarding, an MTU below the probe, br_netfilter with FORWARD DROP, and a stale FDB entry', () => {
    const before = empty();
    before.nft = parseNftRuleset(NFT.replace('packets 3 bytes 294', 'packets 0 bytes 0'));
    before.policies = { FORWARD: { policy: 'DROP', packets: 0 } };
    const after = empty();
    after.nft = parseNftRuleset(NFT);
    after.policies = { FORWARD: { policy: 'DROP', packets: 3 } };
    after.brNfCallIptables = '1';
    after.ports = { vA: 'forwarding', vB: 'disabled' };
    after.links = { 'box:eth0': { mtu: 1500, up: true, operstate: 'UP', noCarrier: false }, 'web:eth0': { mtu: 1000, up: true, operstate: 'UP', noCarrier: false } };
    after.fdb = { '02:00:00:00:00:03': ['vA'] };
    const hints = explain(before, after, ctx, failing).join('\n');
    expect(hints).toContain('bridge port vB of br0 is in state disabled, not forwarding');
    expect(hints).toContain('web:eth0 has MTU 1000, smaller than the 1428-byte probes');
    expect(hints).toContain('MTU mismatch along the path: box:eth0 1500, web:eth0 1000.');
    expect(hints).toContain('nftables rule in bridge vf1 chain f matched 3 packets during the run: ether daddr 02:42:52:ba:00:03 counter drop');
    expect(hints).toContain('policy is DROP (it counted 3 packets during the run)');
    expect(hints).toContain('stale FDB entry: the bridge br0 sends 02:00:00:00:00:03 to vA, not to vB');
    expect(explain(before, after, ctx, { ...failing, ok: true, lost: [] })).toEqual([]);
  });

  it('puts a qdisc that dropped on the missing hop into the loss itself', () => {
    const before = empty();
    before.qdiscs = { 'host:vB': [{ kind: 'pfifo', drops: 1, lossPercent: null }] };
    const after = empty();
    after.qdiscs = { 'host:vB': [{ kind: 'pfifo', drops: 7, lossPercent: null }] };
    const v = refineReasons(failing, before, after, ctx);
    expect(v.lost[0]!.reason).toBe("the pfifo qdisc on host:vB's egress dropped them");
    expect(v.line).toBe("FAIL: 3 IP packets box → web lost after host:vA, before host:vB: the pfifo qdisc on host:vB's egress dropped them");
    expect(explain(before, after, ctx, v).join('\n')).toContain('the pfifo qdisc on host:vB dropped 6 packets during the run');
  });
});
