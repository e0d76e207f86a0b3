/**
 * Targets wired as a routed CNI (Calico, Cilium) wires a pod (issue 17): the host end of
 * each veth is no bridge's port, the host answers ARP for the pods' link-local gateway and
 * routes to each pod by a /32. vethcap must say so, capture the host ends, expect the
 * packet across the host's routing step (never "complete" at the source's host end), and
 * with --uplink follow the route out. The router is a namespace of the lab's own
 * (createRoutedLab's router: 'namespace', cni: 'routed'), so no route or sysctl of this
 * host changes; vethcap runs inside it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';
import { createRoutedLab, type RoutedLab } from '../../src/lab/routed-lab.js';
import { run } from '../../src/exec/run.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import type { ResolveResult } from '../../src/resolve/types.js';

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'sysctl']))('a routed CNI: host veths that are no bridge ports', () => {
  let lab: RoutedLab | undefined;
  beforeAll(async () => {
    lab = await createRoutedLab({ prefix: 'vn', router: 'namespace', cni: 'routed', uplink: true });
  });
  afterAll(async () => {
    await lab?.destroy();
  });
  const l = (): RoutedLab => {
    if (!lab?.router || !lab.uplink) throw new Error('routed lab not built (beforeAll failed?)');
    return lab;
  };
  const onRouter = () => ({ netns: l().router!.netnsPath });
  const veth = (name: string) => `host:${l().host(name).hostIf}`;
  const cli = (args: string[]) => runCli(args, { netns: l().router!.netns });
  const trace = async (to: string, extra: string[] = []) => {
    const args = ['trace', `box=netns:${l().host('box').netns}`, `web=netns:${l().host('web').netns}`, ...extra, '--filter', 'icmp', '--json', '--', 'ping', '-c', '2', '-i', '0.2', '-W', '1', to];
    const r = await cli(args);
    expect(r.exitCode, r.stderr).toBe(0);
    return parseNdjson(r.stdout);
  };

  it('resolve: the peer is the host end, no bridge, forwarded by the host routing', async () => {
    const r = await cli(['resolve', `netns:${l().host('box').netns}`, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const [eth0] = (JSON.parse(r.stdout) as ResolveResult).targets[0]!.interfaces;
    expect(eth0).toMatchObject({ name: 'eth0', peer: { name: l().host('box').hostIf, netns: 'host' }, bridge: null, forwardedBy: 'host-routing' });
    expect(eth0!.note).not.toBeNull();
  });

  it('trace: every request and reply crosses both host ends in path order, complete', async () => {
    const { paths, summary } = await trace(l().host('web').ip);
    const echo = paths.filter((p) => /echo (request|reply)/.test(p.summary));
    expect(echo).toHaveLength(4);
    for (const p of echo) {
      const forward = ['box:eth0', veth('box'), veth('web'), 'web:eth0'];
      expect(hopLabels(p)).toEqual(p.summary.includes('request') ? forward : [...forward].reverse());
      expect(p.verdict).toBe('complete');
    }
    expect(summary.capture.map((c) => c.point)).toEqual(['box:eth0', veth('box'), veth('web'), 'web:eth0']);
  });

  it('trace with the route to web gone: the requests are lost in the host routing step, not complete', async () => {
    const route = [`${l().host('web').ip}/32`, 'dev', l().host('web').hostIf];
    await run('ip', ['route', 'del', ...route], onRouter());
    try {
      const { paths } = await trace(l().host('web').ip);
      const requests = paths.filter((p) => p.summary.includes('echo request'));
      expect(requests).toHaveLength(2);
      for (const p of requests) {
        expect(p.verdict).toBe('lost');
        expect(p.lost).toEqual({ after: veth('box'), before: veth('web'), where: 'host-routing' });
      }
    } finally {
      await run('ip', ['route', 'add', ...route], onRouter());
    }
  });

  it('trace --uplink: a packet routed out of the host is expected at the route\'s way out', async () => {
    const uplink = `host:${l().uplink!.ifname}`;
    const { paths } = await trace(l().uplink!.outside.ip, ['--uplink', l().uplink!.ifname]);
    const requests = paths.filter((p) => p.summary.includes('echo request'));
    expect(requests).toHaveLength(2);
    for (const p of requests) {
      expect(hopLabels(p)).toEqual(['box:eth0', veth('box'), uplink]);
      expect(p.verdict).toBe('complete');
    }
  });

  it('verify refuses a target with no bridge, as a target it cannot check (exit code and error code)', async () => {
    const r = await cli(['verify', `netns:${l().host('box').netns}`, '--to', `netns:${l().host('web').netns}`, '-c', '1', '--json']);
    expect(r.exitCode).toBe(EXIT.TARGET);
    expect(JSON.parse(r.stdout || r.stderr)).toMatchObject({ error: { code: 'TARGET_UNSUPPORTED' } });
  });
});
