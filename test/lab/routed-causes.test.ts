/**
 * Each cause at the host's routing step between two bridges (issue 14), broken on purpose
 * one at a time and put back: verify must fail at the routing step (between the two host
 * veths) and name it. The router is a namespace of the lab's own (createRoutedLab's
 * router: 'namespace') and vethcap runs inside it (`ip netns exec`), so that turning off
 * ip_forward, changing rp_filter or removing a route never touches this host's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReplayEqual } from '../helpers/replay.js';
import { privileged } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';
import { createRoutedLab, type RoutedLab } from '../../src/lab/routed-lab.js';
import { run } from '../../src/exec/run.js';

interface VerifyJson {
  ok: boolean;
  path: string[];
  lost: Array<{ after: string; before: string; cause: { code: string } }>;
  findings: Array<{ code: string; [k: string]: unknown }>;
}

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'nft', 'sysctl']))('verify names each cause at the routing step', () => {
  let lab: RoutedLab | undefined;
  beforeAll(async () => {
    lab = await createRoutedLab({ prefix: 'vc', router: 'namespace' });
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  const l = (): RoutedLab => {
    if (!lab?.router) throw new Error('routed lab not built (beforeAll failed?)');
    return lab;
  };
  const onRouter = () => ({ netns: l().router!.netnsPath });
  const veth = (name: string) => `host:${l().host(name).hostIf}`;
  const verify = async (): Promise<{ exitCode: number; v: VerifyJson }> => {
    const args = ['verify', `netns:${l().host('box').netns}`, '--to', `netns:${l().host('web').netns}`, '-c', '2', '-i', '0.2', '-W', '1', '--json'];
    const r = await runCli(args, { netns: l().router!.netns });
    if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`verify failed (${r.exitCode}): ${r.stderr}`);
    return { exitCode: r.exitCode, v: JSON.parse(r.stdout) as VerifyJson };
  };
  /** Fails at the routing step: the requests reached the source's host veth and not the destination's. */
  const failsAtRouting = (r: { exitCode: number; v: VerifyJson }) => {
    expect(r.exitCode, JSON.stringify(r.v)).toBe(1);
    expect(r.v.lost[0]).toMatchObject({ after: veth('box'), before: veth('web'), cause: { code: 'HOST_DID_NOT_PASS' } });
  };
  const ips = () => ({ sourceIp: l().host('box').ip, destinationIp: l().host('web').ip });

  it('passes while the router forwards, across both bridges', async () => {
    const r = await verify();
    expect(r.exitCode, JSON.stringify(r.v)).toBe(0);
    expect(r.v.path).toEqual([`${l().host('box').netns}:eth0`, veth('box'), veth('web'), `${l().host('web').netns}:eth0`]);
  });

  it('ip_forward 0: fails at the routing step naming net.ipv4.ip_forward; 1 again: passes', async () => {
    await run('sysctl', ['-qw', 'net.ipv4.ip_forward=0'], onRouter());
    try {
      const r = await verify();
      failsAtRouting(r);
      expect(r.v.findings).toContainEqual({ code: 'IP_FORWARD_OFF', sysctl: 'net.ipv4.ip_forward', value: '0', fromBridge: l().bridges[0], toBridge: l().bridges[1] });
      expect(r.v.findings.map((f) => f.code)).not.toContain('NO_ROUTE');
    } finally {
      // Setting ip_forward resets every interface's forwarding: all back to 1.
      await run('sysctl', ['-qw', 'net.ipv4.ip_forward=1'], onRouter());
    }
    expect((await verify()).exitCode).toBe(0);
  });

  it('an nft forward drop: fails at the routing step naming the rule', async () => {
    const [b0, b1] = l().bridges;
    await run('nft', [`add table inet vc_causes; add chain inet vc_causes vcforward { type filter hook forward priority 0 ; } ; add rule inet vc_causes vcforward iifname "${b0}" oifname "${b1}" counter drop`], onRouter());
    try {
      const r = await verify();
      failsAtRouting(r);
      expect(r.v.findings).toContainEqual(expect.objectContaining({ code: 'NFT_DROP', family: 'inet', table: 'vc_causes', chain: 'vcforward', delta: 2 }));
    } finally {
      await run('nft', ['delete', 'table', 'inet', 'vc_causes'], onRouter());
    }
    expect((await verify()).exitCode).toBe(0);
  });

  it('a missing route (the destination bridge\'s subnet gone): fails at the routing step naming NO_ROUTE', async () => {
    const b1 = l().bridges[1];
    const gateway = `${l().host('web').ip.replace(/\.\d+$/, '.1')}/24`;
    await run('ip', ['addr', 'del', gateway, 'dev', b1], onRouter());
    try {
      const r = await verify();
      failsAtRouting(r);
      expect(r.v.findings).toContainEqual({ code: 'NO_ROUTE', fromBridge: l().bridges[0], ...ips(), answer: 'network-unreachable', delta: 2 });
    } finally {
      await run('ip', ['addr', 'add', gateway, 'dev', b1], onRouter());
    }
    expect((await verify()).exitCode).toBe(0);
  });

  it('rp_filter refusing the source (its route back is through the other bridge): fails at the routing step naming RP_FILTER', async () => {
    const [b0, b1] = l().bridges;
    const back = `${l().host('box').ip}/32`;
    await run('ip', ['route', 'add', back, 'dev', b1], onRouter());
    await run('sysctl', ['-qw', `net.ipv4.conf.${b0}.rp_filter=1`], onRouter());
    try {
      const r = await verify();
      failsAtRouting(r);
      expect(r.v.findings).toContainEqual({ code: 'RP_FILTER', fromBridge: b0, ...ips(), sysctl: `net.ipv4.conf.${b0}.rp_filter`, value: '1', delta: 2 });
    } finally {
      await run('sysctl', ['-qw', `net.ipv4.conf.${b0}.rp_filter=0`], onRouter());
      await run('ip', ['route', 'del', back, 'dev', b1], onRouter());
    }
    expect((await verify()).exitCode).toBe(0);
  });

  it('the destination answers no ARP: fails at the routing step naming its failed neighbour entry', async () => {
    const b1 = l().bridges[1];
    await run('ip', ['link', 'set', 'eth0', 'arp', 'off'], { netns: l().host('web').netnsPath });
    await run('ip', ['neigh', 'flush', 'dev', b1], onRouter());
    try {
      const r = await verify();
      failsAtRouting(r);
      expect(r.v.findings).toContainEqual({ code: 'NEIGH_FAILED', bridge: b1, ip: l().host('web').ip, states: expect.arrayContaining([expect.stringMatching(/^(FAILED|INCOMPLETE)$/)]) });
    } finally {
      await run('ip', ['link', 'set', 'eth0', 'arp', 'on'], { netns: l().host('web').netnsPath });
      await run('ip', ['neigh', 'flush', 'dev', b1], onRouter());
    }
    expect((await verify()).exitCode).toBe(0);
  });
});

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'nft']))('trace --uplink: a packet the host routes out of its uplink is expected there', () => {
  let lab: RoutedLab | undefined;
  beforeAll(async () => {
    lab = await createRoutedLab({ prefix: 'vu', router: 'namespace', uplink: true });
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  const l = (): RoutedLab => {
    if (!lab?.router || !lab.uplink) throw new Error('routed lab not built (beforeAll failed?)');
    return lab;
  };
  const dir = mkdtempSync(join(tmpdir(), 'vethcap-uplink-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const trace = async (save?: string) => {
    const args = ['trace', `box=netns:${l().host('box').netns}`, '--uplink', l().uplink!.ifname, '--filter', 'icmp', '--json', ...(save ? ['--save', save] : []), '--', 'ping', '-c', '2', '-i', '0.2', '-W', '1', l().uplink!.outside.ip];
    const r = await runCli(args, { netns: l().router!.netns });
    expect(r.exitCode, r.stderr).toBe(0);
    return { ...parseNdjson(r.stdout), stdout: r.stdout };
  };
  const veth = () => `host:${l().host('box').hostIf}`;
  const uplink = () => `host:${l().uplink!.ifname}`;

  it('complete through the uplink while the router forwards, requests and replies', async () => {
    const { paths } = await trace();
    expect(paths).toHaveLength(4);
    for (const p of paths) expect(p.verdict, JSON.stringify(p)).toBe('complete');
    const request = paths.find((p) => p.summary.includes('request'))!;
    expect(hopLabels(request)).toEqual(['box:eth0', veth(), uplink()]);
    expect(request.ttl.map((t) => [t.from, t.to])).toEqual([[64, 63]]);
  });

  it('with a forward drop to the uplink: the requests lost in the host routing step, not complete', async () => {
    const onRouter = { netns: l().router!.netnsPath };
    await run('nft', [`add table inet vu_up; add chain inet vu_up vuforward { type filter hook forward priority 0 ; } ; add rule inet vu_up vuforward oifname "${l().uplink!.ifname}" counter drop`], onRouter);
    try {
      const saved = join(dir, 'dropped');
      const { paths, summary, stdout } = await trace(saved);
      expect(paths).toHaveLength(2);
      for (const p of paths) {
        expect(p.verdict, JSON.stringify(p)).toBe('lost');
        expect(p.lost).toEqual({ after: veth(), before: uplink(), where: 'host-routing' });
      }
      expect(summary.complete).toBe(0);
      // The session keeps the host's routes: a replay expects the uplink too.
      expect(await expectReplayEqual(stdout, saved)).toBe(2);
    } finally {
      await run('nft', ['delete', 'table', 'inet', 'vu_up'], onRouter);
    }
  });
});
