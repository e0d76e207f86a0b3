import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { dockerAvailable } from '../helpers/env.js';
import { DockerScope, docker, ensureTestImage, randomSubnet } from '../helpers/docker.js';
import { runCli } from '../helpers/cli.js';

interface VerifyJson {
  ok: boolean;
  probes: { sent: number; delivered: number; answered: number };
  path: string[];
  lost: Array<{ after: string; before: string; count: number }>;
  hints: string[];
  findings: Array<{ code: string; [field: string]: unknown }>;
}

async function verifyJson(...args: string[]): Promise<{ exitCode: number; v: VerifyJson; stderr: string }> {
  const r = await runCli(['verify', ...args, '--json']);
  if (r.exitCode !== 0 && r.exitCode !== 1) throw new Error(`verify failed (${r.exitCode}): ${r.stderr}`);
  return { exitCode: r.exitCode, v: JSON.parse(r.stdout) as VerifyJson, stderr: r.stderr };
}

describe.runIf(dockerAvailable())('verify against real Docker containers', () => {
  const scope = new DockerScope();
  let a = '';
  let b = '';
  let bMac = '';
  let bIp = '';
  let path: string[] = [];

  beforeAll(async () => {
    await ensureTestImage();
    const net = await scope.network('net', randomSubnet());
    a = await scope.run('a', '--network', net);
    b = await scope.run('b', '--network', net);
    const info = JSON.parse(await docker('inspect', b)) as Array<{ NetworkSettings: { Networks: Record<string, { MacAddress: string; IPAddress: string }> } }>;
    const n = info[0]!.NetworkSettings.Networks[net]!;
    bMac = n.MacAddress;
    bIp = n.IPAddress;
    path = (await verifyJson(a, '--to', b, '-c', '1', '-W', '1')).v.path;
  });
  afterAll(() => scope.cleanup());

  it('passes two healthy containers on a user network', async () => {
    const text = await runCli(['verify', a, '--to', b, '-c', '3', '-W', '1']);
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^PASS: 3/3 icmp probes ${a} → ${b} and 3 answers crossed every hop`, 'm'));
    const { exitCode, v } = await verifyJson(a, '--to', bIp, '--probe', 'tcp', '-c', '2', '-W', '1');
    expect(exitCode).toBe(0);
    expect(v.ok).toBe(true);
    expect(v.path).toEqual(path);
    expect(path).toHaveLength(4);
    expect(path[0]).toBe(`${a}:eth0`);
    expect(path[3]).toBe(`${b}:eth0`);
  });

  it('locates a disabled bridge port before the destination\'s host end, then passes once it forwards again', async () => {
    expect(path).toHaveLength(4);
    const port = path[2]!.replace(/^host:/, '');
    await execa('bridge', ['link', 'set', 'dev', port, 'state', '0']);
    try {
      const { exitCode, v } = await verifyJson(a, '--to', b, '-c', '3', '-W', '1');
      expect(exitCode).toBe(1);
      expect(v.ok).toBe(false);
      expect(v.lost.length).toBeGreaterThan(0);
      // Between the two bridge ports: a → b, and b's own ARP towards a when it has one to refresh.
      expect(v.lost).toContainEqual(expect.objectContaining({ after: path[1], before: path[2] }));
      for (const l of v.lost) expect([l.after, l.before].sort()).toEqual([path[1], path[2]].sort());
      expect(v.findings).toContainEqual(expect.objectContaining({ code: 'PORT_STATE', port, state: 'disabled' }));
      expect(v.findings).toHaveLength(v.hints.length);
    } finally {
      await execa('bridge', ['link', 'set', 'dev', port, 'state', '3']);
    }
    const { exitCode, v } = await verifyJson(a, '--to', b, '-c', '3', '-W', '1');
    expect(exitCode).toBe(0);
    expect(v.ok).toBe(true);
  });

  it('locates an nftables bridge rule dropping frames to the destination\'s MAC and names the rule', async () => {
    const table = `${scope.prefix}`;
    try {
      await execa('nft', [`add table bridge ${table}; add chain bridge ${table} f { type filter hook forward priority 0 ; } ; add rule bridge ${table} f ether daddr ${bMac} counter drop`]);
      const { exitCode, v } = await verifyJson(a, '--to', b, '--probe', 'udp', '-c', '3', '-W', '1');
      expect(exitCode).toBe(1);
      // Not vacuous: exit 1 for another reason (no answer, say) must not pass the loop below.
      expect(v.lost.length).toBeGreaterThan(0);
      for (const l of v.lost) expect([l.after, l.before]).toEqual([path[1], path[2]]);
      expect(v.findings).toContainEqual(expect.objectContaining({ code: 'NFT_DROP', family: 'bridge', table, chain: 'f' }));
    } finally {
      await execa('nft', ['delete', 'table', 'bridge', table], { reject: false });
    }
    const { v } = await verifyJson(a, '--to', b, '--probe', 'udp', '-c', '3', '-W', '1');
    expect(v.ok).toBe(true);
  });
});
