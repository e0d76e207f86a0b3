/**
 * Two user-defined Docker networks, a container on each (issue 14): Docker's network
 * isolation drops what one sends to the other in the host's FORWARD step, and `trace`
 * must say so: the requests lost in the host between the two host veths, never complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { dockerAvailable } from '../helpers/env.js';
import { DockerScope, docker, ensureTestImage, randomSubnet } from '../helpers/docker.js';
import { runCli } from '../helpers/cli.js';
import { parseNdjson } from '../helpers/paths.js';
import type { ResolveResult } from '../../src/resolve/types.js';

describe.runIf(dockerAvailable())('trace two containers on two Docker networks', () => {
  const scope = new DockerScope();
  let a = '';
  let b = '';
  let bIp = '';
  let aIp = '';
  let bridges = { a: '', b: '' };
  let veths = { a: '', b: '' };

  beforeAll(async () => {
    await ensureTestImage();
    const first = randomSubnet();
    let second = randomSubnet();
    while (second === first) second = randomSubnet();
    const n1 = await scope.network('n1', first);
    const n2 = await scope.network('n2', second);
    a = await scope.run('a', '--network', n1);
    b = await scope.run('b', '--network', n2);
    bIp = await docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${n2}").IPAddress}}`, b);
    aIp = await docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${n1}").IPAddress}}`, a);
    const resolved = JSON.parse((await runCli(['resolve', '--json', '--no-owners', a, b])).stdout) as ResolveResult;
    const [ia, ib] = resolved.targets.map((t) => t.interfaces[0]!);
    veths = { a: `host:${ia!.peer!.name}`, b: `host:${ib!.peer!.name}` };
    bridges = { a: ia!.bridge!.name, b: ib!.bridge!.name };
  });
  afterAll(() => scope.cleanup());

  it('calls the requests lost in the host routing step between the two host veths, none complete', async () => {
    const r = await runCli(['trace', a, b, '--filter', 'icmp', '--json', '--', 'ping', '-c', '2', '-i', '0.2', '-W', '1', bIp]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(paths).toHaveLength(2);
    for (const p of paths) {
      expect(p.verdict, JSON.stringify(p)).toBe('lost');
      expect(p.lost).toEqual({ after: veths.a, before: veths.b, where: 'host-routing' });
    }
    expect(summary.complete).toBe(0);
    expect(summary.lost).toBe(2);
  });

  it('verify fails at the routing step naming Docker\'s isolation, and passes once DOCKER-USER accepts the pair both ways', async () => {
    const verify = async (to = b) => {
      const r = await runCli(['verify', a, '--to', to, '-c', '2', '-i', '0.2', '-W', '1', '--json']);
      if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`verify failed (${r.exitCode}): ${r.stderr}`);
      return { exitCode: r.exitCode, v: JSON.parse(r.stdout) as VerifyOut };
    };
    const failed = await verify();
    expect(failed.exitCode).toBe(1);
    expect(failed.v.path).toEqual([`${a}:eth0`, veths.a, veths.b, `${b}:eth0`]);
    expect(failed.v.lost[0]).toMatchObject({ after: veths.a, before: veths.b, cause: { code: 'HOST_DID_NOT_PASS', fromInterface: veths.a.slice(5), toInterface: veths.b.slice(5) } });
    const isolation = failed.v.findings.find((f) => f.code === 'DOCKER_ISOLATION');
    expect(isolation, JSON.stringify(failed.v.findings)).toMatchObject({ fromBridge: bridges.a, toBridge: bridges.b, sourceIp: aIp, destinationIp: bIp });
    expect(String(isolation!.chain)).toMatch(/^DOCKER-ISOLATION-STAGE-[12]$/);
    const rules = [
      ['-s', aIp, '-d', bIp, '-j', 'ACCEPT'],
      ['-s', bIp, '-d', aIp, '-j', 'ACCEPT'],
    ];
    try {
      for (const rule of rules) await execa('iptables', ['-I', 'DOCKER-USER', ...rule]);
      const passed = await verify();
      expect(passed.exitCode, JSON.stringify(passed.v.lost)).toBe(0);
      expect(passed.v.ok).toBe(true);
      expect(passed.v.findings).toEqual([]);
      // B by its address: found on the other bridge, the same routed path.
      const byAddress = await verify(bIp);
      expect(byAddress.exitCode, JSON.stringify(byAddress.v.lost)).toBe(0);
      expect(byAddress.v.path).toEqual(passed.v.path);
    } finally {
      for (const rule of rules) await execa('iptables', ['-D', 'DOCKER-USER', ...rule], { reject: false });
    }
  });
});

interface VerifyOut {
  ok: boolean;
  path: string[];
  lost: Array<{ after: string; before: string; cause: { code: string; [field: string]: unknown } }>;
  findings: Array<{ code: string; [field: string]: unknown }>;
}
