/**
 * Two namespaces on two bridges, the host routing between them (issue 14): complete
 * paths across the routing step while the host forwards, and requests lost in the
 * host's routing step, between the two host veths, once a firewall rule drops them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';
import { expectReplayEqual } from '../helpers/replay.js';
import { createRoutedLab, type RoutedLab } from '../../src/lab/routed-lab.js';
import { run } from '../../src/exec/run.js';

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'nft', 'iptables']))('trace across two bridges routed by the host', () => {
  let lab: RoutedLab | undefined;
  beforeAll(async () => {
    lab = await createRoutedLab();
  });
  const dir = mkdtempSync(join(tmpdir(), 'vethcap-routed-test-'));
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await lab?.destroy();
  });
  const l = (): RoutedLab => {
    if (!lab) throw new Error('routed lab not built (beforeAll failed?)');
    return lab;
  };
  const targets = () => [`box=netns:${l().host('box').netns}`, `web=netns:${l().host('web').netns}`];
  const veth = (name: string) => `host:${l().host(name).hostIf}`;

  it('while the host forwards: every request and reply complete, through both bridges, TTL one less', async () => {
    const r = await runCli(['trace', ...targets(), '--filter', 'icmp', '--json', '--', 'ping', '-c', '3', '-i', '0.2', '-W', '1', l().host('web').ip]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(paths).toHaveLength(6);
    for (const p of paths) expect(p.verdict, JSON.stringify(p)).toBe('complete');
    const request = paths.find((p) => p.summary.includes('request'))!;
    expect(hopLabels(request)).toEqual(['box:eth0', veth('box'), veth('web'), 'web:eth0']);
    expect(request.hops.filter((h) => h.observer).map((h) => h.point)).toEqual([`host:${l().bridges[0]}`, `host:${l().bridges[1]}`]);
    expect(request.ttl.map((t) => [t.from, t.to])).toEqual([[64, 63]]);
    expect(request.macRewrites).toHaveLength(1);
    expect(summary.complete).toBe(6);
  });

  it('with a forward drop between the bridges: the requests lost in the host routing step, between the two host veths', async () => {
    const table = `vethcap_routed_${l().id}`;
    const [b0, b1] = l().bridges;
    await run('nft', [`add table inet ${table}; add chain inet ${table} routedfwd { type filter hook forward priority -10 ; } ; add rule inet ${table} routedfwd iifname "${b0}" oifname "${b1}" counter drop comment "vethcap routed test ${l().id}"`]);
    try {
      const saved = join(dir, 'dropped');
      const r = await runCli(['trace', ...targets(), '--filter', 'icmp', '--json', '--save', saved, '--', 'ping', '-c', '2', '-i', '0.2', '-W', '1', l().host('web').ip]);
      expect(r.exitCode, r.stderr).toBe(0);
      const { paths, summary } = parseNdjson(r.stdout);
      expect(paths).toHaveLength(2);
      for (const p of paths) {
        expect(p.verdict, JSON.stringify(p)).toBe('lost');
        expect(p.complete).toBe(false);
        expect(p.lost).toEqual({ after: veth('box'), before: veth('web'), where: 'host-routing' });
        expect(p.findings).toContainEqual({ code: 'PATH_LOST', after: veth('box'), before: veth('web'), branch: null, where: 'host-routing' });
      }
      expect(summary.complete).toBe(0);
      expect(summary.lost).toBe(2);
      // The manifest keeps the targets' addresses: a replay expects the routed path too.
      expect(await expectReplayEqual(r.stdout, saved)).toBe(2);
      // In words: the loss and where it is.
      const text = await runCli(['merge', saved]);
      expect(text.stdout).toContain(`lost between ${veth('box')} and ${veth('web')} (in the host's routing step)`);
    } finally {
      await run('nft', ['delete', 'table', 'inet', table]);
    }
  });

  it('verify: passes while the host forwards; with the source bridge\'s forwarding off, fails at the routing step naming it, then passes again', async () => {
    const [b0] = l().bridges;
    const box = `netns:${l().host('box').netns}`;
    const web = `netns:${l().host('web').netns}`;
    const verify = async () => {
      const r = await runCli(['verify', box, '--to', web, '-c', '2', '-i', '0.2', '-W', '1', '--json']);
      if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`verify failed (${r.exitCode}): ${r.stderr}`);
      return { exitCode: r.exitCode, v: JSON.parse(r.stdout) as { ok: boolean; path: string[]; lost: Array<{ after: string; before: string; cause: { code: string } }>; findings: Array<{ code: string; [k: string]: unknown }> } };
    };
    const passed = await verify();
    expect(passed.exitCode, JSON.stringify(passed.v.lost)).toBe(0);
    expect(passed.v.path).toHaveLength(4);
    expect(passed.v.path.slice(1, 3)).toEqual([veth('box'), veth('web')]);
    // Only this lab's bridge: the host's global ip_forward (Docker's, other labs') is left alone.
    await run('sysctl', ['-qw', `net.ipv4.conf.${b0}.forwarding=0`]);
    try {
      const failed = await verify();
      expect(failed.exitCode).toBe(1);
      expect(failed.v.lost[0]).toMatchObject({ after: veth('box'), before: veth('web'), cause: { code: 'HOST_DID_NOT_PASS' } });
      expect(failed.v.findings).toContainEqual({ code: 'IP_FORWARD_OFF', sysctl: `net.ipv4.conf.${b0}.forwarding`, value: '0', fromBridge: b0, toBridge: l().bridges[1] });
    } finally {
      await run('sysctl', ['-qw', `net.ipv4.conf.${b0}.forwarding=1`]);
    }
    expect((await verify()).exitCode).toBe(0);
  });
});
