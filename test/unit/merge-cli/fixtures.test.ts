import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { hopLabels, parseNdjson } from '../../helpers/paths.js';

/**
 * `vethcap merge` on the recorded lab sessions (fixtures/sessions, recorded by
 * scripts/record-fixtures.mjs). The golden timelines were checked by hand against
 * tcpdump -r of each point's file; `npx vitest run -u` rewrites them after a deliberate
 * change, which then needs the same check.
 */
const SESSIONS = ['icmp', 'udp', 'tcp', 'arp', 'ipv6-nd', 'nat'];
const BR = 'host:vff1f1f1br';
const H0 = 'host:vff1f1f1h0';
const H1 = 'host:vff1f1f1h1';
const G0 = 'host:vff1f1f1g0';

describe('merge of the recorded lab sessions', () => {
  it.each(SESSIONS)('%s: timeline matches the hand-checked golden file', async (name) => {
    const r = await runCli(['merge', `fixtures/sessions/${name}`, '--utc', '--no-color']);
    expect(r.exitCode, r.stderr).toBe(0);
    await expect(r.stdout).toMatchFileSnapshot(`golden/${name}.txt`);
  });

  it('icmp: all six paths complete, request and reply in opposite path order', async () => {
    const { paths } = parseNdjson((await runCli(['merge', 'fixtures/sessions/icmp', '--json'])).stdout);
    expect(paths).toHaveLength(6);
    for (const p of paths) {
      expect(p.complete).toBe(true);
      expect(hopLabels(p)).toEqual(p.summary.includes('request') ? ['box:eth0', H0, H1, 'web:eth0'] : ['web:eth0', H1, H0, 'box:eth0']);
      expect(p.hops.find((h) => h.point === BR)?.observedAfterNs).toBe(0);
    }
  });

  it('udp: datagrams and the ICMP port unreachable answers are separate, complete paths', async () => {
    const { paths } = parseNdjson((await runCli(['merge', 'fixtures/sessions/udp', '--json'])).stdout);
    expect(paths.map((p) => p.protocol)).toEqual(['UDP', 'ICMP', 'UDP', 'ICMP', 'UDP', 'ICMP']);
    expect(paths.every((p) => p.complete)).toBe(true);
  });

  it('tcp: handshake, data and teardown, every segment complete', async () => {
    const { paths } = parseNdjson((await runCli(['merge', 'fixtures/sessions/tcp', '--json'])).stdout);
    expect(paths).toHaveLength(10);
    expect(paths[0]!.summary).toMatch(/\[S\]/);
    expect(paths[1]!.summary).toMatch(/\[S\.\]/);
    expect(paths.every((p) => p.complete)).toBe(true);
  });

  it('arp: the broadcast request is flooded to every other port; the reply is unicast', async () => {
    const { paths } = parseNdjson((await runCli(['merge', 'fixtures/sessions/arp', '--json'])).stdout);
    const request = paths.find((p) => p.protocol === 'ARP' && p.summary.includes('who-has'))!;
    expect([...request.flooded].sort()).toEqual([G0, H1].sort());
    expect(request.hops.map((h) => h.point)).toEqual(expect.arrayContaining(['box:eth0', H0, H1, 'web:eth0', G0, 'gw:eth0']));
    const reply = paths.find((p) => p.protocol === 'ARP' && !p.summary.includes('who-has'))!;
    expect(hopLabels(reply)).toEqual(['web:eth0', H1, H0, 'box:eth0']);
    // The same as findings: the flood, and nothing on the unicast reply.
    expect(request.findings).toEqual([{ code: 'FLOODED', ports: request.flooded }]);
    expect(reply.findings).toEqual([]);
  });

  it('nat: the router\'s rewrites are named, and the reply matched back through them', async () => {
    const { paths } = parseNdjson((await runCli(['merge', 'fixtures/sessions/nat', '--json'])).stdout);
    expect(paths).toHaveLength(14);
    const syn = paths.find((p) => p.summary.includes('[S]'))!;
    expect(hopLabels(syn)).toEqual(['box:eth0', H0, G0, 'gw:eth0', 'gw:eth1', 'remote:eth0']);
    expect(syn.nat).toEqual([{ after: 'gw:eth0', before: 'gw:eth1', side: 'src', from: '198.19.0.2:56044', to: '198.18.200.1:61225' }]);
    expect(syn.ttl).toEqual([{ after: 'gw:eth0', before: 'gw:eth1', from: 64, to: 63 }]);
    const echo = paths[0]!;
    expect(echo.nat[0]).toMatchObject({ side: 'src', from: '198.19.0.2 id=15415', to: '198.18.200.1 id=27310' });
    expect(paths.every((p) => p.complete)).toBe(true);
  });

  it('nat: the router\'s rewrites as findings, by code and fields', async () => {
    const { paths } = parseNdjson((await runCli(['merge', 'fixtures/sessions/nat', '--json'])).stdout);
    const hop = { after: 'gw:eth0', before: 'gw:eth1' };
    const syn = paths.find((p) => p.summary.includes('[S]'))!;
    expect(syn.findings).toEqual([
      { code: 'NAT_REWRITE', ...hop, side: 'src', from: '198.19.0.2:56044', to: '198.18.200.1:61225' },
      { code: 'TTL_CHANGE', ...hop, from: 64, to: 63 },
      { code: 'MAC_REWRITE', ...hop, src: { from: '02:f1:f1:f1:00:02', to: '96:27:7e:49:df:28' }, dst: { from: '02:f1:f1:f1:00:fe', to: '02:f1:f1:f1:00:fd' } },
    ]);
    // The reply comes back through the same router: the destination is rewritten, on the way back.
    const reply = paths[1]!;
    expect(reply.findings.map((f) => f.code)).toEqual(['NAT_REWRITE', 'TTL_CHANGE', 'MAC_REWRITE']);
    expect(reply.findings[0]).toEqual({ code: 'NAT_REWRITE', after: 'gw:eth1', before: 'gw:eth0', side: 'dst', from: '198.18.200.1 id=27310', to: '198.19.0.2 id=15415' });
    // Every path crossed the router, and nothing else is found: no loss, no capture gap.
    for (const p of paths) expect(new Set(p.findings.map((f) => f.code))).toEqual(new Set(['NAT_REWRITE', 'TTL_CHANGE', 'MAC_REWRITE']));
  });
});
