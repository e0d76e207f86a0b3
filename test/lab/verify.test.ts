import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { runCli } from '../helpers/cli.js';
import { createLab, type Lab, type LabOptions } from '../../src/lab/lab.js';
import { run } from '../../src/exec/run.js';
import { verify, type VerifyOptions, type VerifyResult } from '../../src/verify/verify.js';

/** Builds a lab for one test and removes it afterwards, whatever happens. */
async function withLab(options: LabOptions, fn: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await createLab({ prefix: 'vf', ...options });
  try {
    await fn(lab);
  } finally {
    await lab.destroy();
  }
}

const targets = (lab: Lab) => ({ source: `netns:${lab.host('box').netns}`, to: `netns:${lab.host('web').netns}` });

function check(lab: Lab, extra: Partial<VerifyOptions> = {}): Promise<VerifyResult> {
  return verify({ ...targets(lab), count: 3, timeoutS: 1, ...extra });
}

/** Every loss sits between these two points (either way), and the forward one exists. */
function expectLostBetween(r: VerifyResult, after: string, before: string): void {
  expect(r.verdict.ok).toBe(false);
  expect(r.verdict.lost.length).toBeGreaterThan(0);
  // The forward loss is there; a reverse one (the destination's own ARP) may sit between the same two points.
  expect(r.verdict.lost).toContainEqual(expect.objectContaining({ after, before }));
  for (const l of r.verdict.lost) expect([l.after, l.before].sort()).toEqual([after, before].sort());
}

/** The findings with this code (verify's hints as data). */
const found = (r: VerifyResult, code: string) => r.findings.filter((f) => f.code === code);

function sysctl(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/** Docker's fact on this host: br_netfilter on and iptables FORWARD policy DROP. */
function dockerDropsPlainBridges(): boolean {
  if (sysctl('/proc/sys/net/bridge/bridge-nf-call-iptables') !== '1') return false;
  try {
    return /^-P FORWARD DROP/m.test(execFileSync('iptables', ['-w', '-S', 'FORWARD'], { encoding: 'utf8' }));
  } catch {
    return false;
  }
}

/** netem where the kernel has it; else a pfifo of length 0, which drops every packet too. */
async function addLossQdisc(dev: string): Promise<string> {
  try {
    await run('tc', ['qdisc', 'add', 'dev', dev, 'root', 'netem', 'loss', '100%']);
    return 'netem';
  } catch {
    await run('tc', ['qdisc', 'add', 'dev', dev, 'root', 'pfifo', 'limit', '0']);
    return 'pfifo';
  }
}

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'bridge', 'nft', 'tc', 'iptables']))('verify on a lab', () => {
  it('passes a healthy bridge, exit 0, text and JSON as documented', async () => {
    await withLab({}, async (lab) => {
      const { source, to } = targets(lab);
      const text = await runCli(['verify', source, '--to', to, '--count', '3', '--timeout', '1']);
      expect(text.exitCode, text.stderr).toBe(0);
      expect(text.stdout).toMatch(/^direction +hop +sent +seen +lost +p50 +p99$/m);
      expect(text.stdout).toMatch(new RegExp(`^PASS: 3/3 icmp probes ${lab.host('box').netns} → ${lab.host('web').netns} and 3 answers crossed every hop`, 'm'));
      const json = await runCli(['verify', source, '--to', lab.host('web').ip, '--probe', 'udp', '--count', '4', '--json']);
      expect(json.exitCode, json.stderr).toBe(0);
      const v = JSON.parse(json.stdout) as { ok: boolean; probes: { sent: number; delivered: number; answered: number }; hops: Array<{ point: string; seen: number }>; lost: unknown[]; path: string[] };
      expect(v.ok).toBe(true);
      expect(v.lost).toEqual([]);
      expect(v.probes).toMatchObject({ sent: 4, delivered: 4 });
      expect(v.probes.answered).toBeGreaterThan(0); // ICMP port unreachable is rate-limited
      expect(v.path).toEqual([`${lab.host('box').netns}:eth0`, `host:${lab.host('box').hostIf}`, `host:${lab.host('web').hostIf}`, `${lab.host('web').netns}:eth0`]);
      expect(v.hops.length).toBeGreaterThanOrEqual(8);
    });
  });

  it('locates a bridge nftables rule dropping frames to the destination MAC before the destination\'s host end, names it, and passes once it is gone', async () => {
    await withLab({}, async (lab) => {
      const box = lab.host('box');
      const web = lab.host('web');
      const table = `vf${lab.id}`;
      try {
        await run('nft', [`add table bridge ${table}; add chain bridge ${table} f { type filter hook forward priority 0 ; } ; add rule bridge ${table} f ether daddr ${web.mac} counter drop`]);
        const r = await check(lab);
        expectLostBetween(r, `host:${box.hostIf}`, `host:${web.hostIf}`);
        expect(r.verdict.lost).toContainEqual(expect.objectContaining({ cause: { code: 'BRIDGE_DID_NOT_FORWARD', bridge: lab.bridge } }));
        expect(found(r, 'NFT_DROP')).toContainEqual(expect.objectContaining({ family: 'bridge', table, chain: 'f', rule: `ether daddr ${web.mac} counter drop`, delta: expect.any(Number) }));
        // The CLI says the same with exit 1 and the lost list in JSON.
        const { source, to } = targets(lab);
        const cli = await runCli(['verify', source, '--to', to, '-c', '2', '-W', '1', '--json']);
        expect(cli.exitCode).toBe(1);
        const v = JSON.parse(cli.stdout) as { ok: boolean; lost: Array<{ after: string; before: string; count: number }>; hints: string[]; findings: Array<{ code: string; table?: string }> };
        expect(v.ok).toBe(false);
        expect(v.lost[0]).toMatchObject({ after: `host:${box.hostIf}`, before: `host:${web.hostIf}` });
        expect(v.lost[0]!.count).toBeGreaterThan(0);
        expect(v.findings).toHaveLength(v.hints.length);
        expect(v.findings).toContainEqual(expect.objectContaining({ code: 'NFT_DROP', table }));
      } finally {
        await run('nft', ['delete', 'table', 'bridge', table]).catch(() => undefined);
      }
      expect((await check(lab)).verdict.ok).toBe(true);
    });
  });

  it('locates a disabled bridge port before the destination\'s host end and names the port state', async () => {
    await withLab({}, async (lab) => {
      const box = lab.host('box');
      const web = lab.host('web');
      await run('bridge', ['link', 'set', 'dev', web.hostIf, 'state', '0']);
      try {
        const r = await check(lab);
        expectLostBetween(r, `host:${box.hostIf}`, `host:${web.hostIf}`);
        expect(found(r, 'PORT_STATE')).toEqual([{ code: 'PORT_STATE', bridge: lab.bridge, port: web.hostIf, state: 'disabled' }]);
      } finally {
        await run('bridge', ['link', 'set', 'dev', web.hostIf, 'state', '3']);
      }
      expect((await check(lab)).verdict.ok).toBe(true);
    });
  });

  it.runIf(dockerDropsPlainBridges())('locates br_netfilter + Docker\'s FORWARD DROP on a plain bridge between the ports and says so', async () => {
    await withLab({ acceptForwarding: false }, async (lab) => {
      const box = lab.host('box');
      const web = lab.host('web');
      const r = await check(lab);
      expectLostBetween(r, `host:${box.hostIf}`, `host:${web.hostIf}`);
      expect(found(r, 'BR_NETFILTER')).toEqual([expect.objectContaining({ sysctl: 'net.bridge.bridge-nf-call-iptables', value: '1', bridge: lab.bridge, chain: 'FORWARD', policy: 'DROP' })]);
      const rule = ['FORWARD', '-i', lab.bridge, '-o', lab.bridge, '-j', 'ACCEPT', '-m', 'comment', '--comment', `vethcap verify test ${lab.bridge}`];
      await run('iptables', ['-w', '-I', ...rule]);
      try {
        expect((await check(lab)).verdict.ok).toBe(true);
      } finally {
        await run('iptables', ['-w', '-D', ...rule]);
      }
    });
  });

  it('locates 100% loss on one hop\'s egress queue and names the qdisc', async () => {
    await withLab({}, async (lab) => {
      const box = lab.host('box');
      const web = lab.host('web');
      const kind = await addLossQdisc(web.hostIf);
      try {
        const r = await check(lab);
        expectLostBetween(r, `host:${box.hostIf}`, `host:${web.hostIf}`);
        expect(r.verdict.lost).toContainEqual(expect.objectContaining({ cause: { code: 'QDISC_DROPS', point: `host:${web.hostIf}`, qdisc: kind } }));
        expect(found(r, 'QDISC_DROPS')).toContainEqual(expect.objectContaining({ point: `host:${web.hostIf}`, interface: web.hostIf, qdisc: kind }));
      } finally {
        await run('tc', ['qdisc', 'del', 'dev', web.hostIf, 'root']).catch(() => undefined);
      }
      const repaired = await check(lab);
      expect(repaired.verdict.ok, `${repaired.verdict.line}\n${repaired.probeOutput}\n${JSON.stringify(repaired.verdict.hops)}`).toBe(true);
    });
  });

  it('locates a link set down and says it is down', async () => {
    await withLab({}, async (lab) => {
      const box = lab.host('box');
      const web = lab.host('web');
      await run('ip', ['link', 'set', web.hostIf, 'down']);
      try {
        const r = await check(lab);
        expectLostBetween(r, `host:${box.hostIf}`, `host:${web.hostIf}`);
        expect(r.verdict.lost).toContainEqual(expect.objectContaining({ cause: { code: 'LINK_DOWN', point: `host:${web.hostIf}` } }));
        expect(found(r, 'LINK_DOWN')).toEqual([{ code: 'LINK_DOWN', point: `host:${web.hostIf}`, interface: web.hostIf, inNamespace: false }]);
        expect(r.notes.join('\n')).toContain('not captured there');
      } finally {
        await run('ip', ['link', 'set', web.hostIf, 'up']);
      }
      await new Promise((resolve) => setTimeout(resolve, 300)); // carrier back on both ends
      expect((await check(lab)).verdict.ok).toBe(true);
    });
  });

  it('locates an MTU smaller on the destination side than the probe, and names both MTUs', async () => {
    await withLab({}, async (lab) => {
      const web = lab.host('web');
      await run('ip', ['link', 'set', 'eth0', 'mtu', '1000'], { netns: web.netnsPath });
      try {
        const r = await check(lab, { size: 1400 });
        expectLostBetween(r, `host:${web.hostIf}`, `${web.netns}:eth0`);
        expect(r.verdict.lost).toContainEqual(expect.objectContaining({ cause: { code: 'VETH_DID_NOT_CARRY', namespaceEnd: `${web.netns}:eth0`, hostInterface: web.hostIf } }));
        expect(found(r, 'MTU')).toEqual([{ code: 'MTU', point: `${web.netns}:eth0`, interface: 'eth0', inNamespace: true, mtu: 1000, packetBytes: 1428 }]);
        expect(found(r, 'MTU_MISMATCH')).toHaveLength(1);
        // Small probes still pass: the verdict is about the size.
        expect((await check(lab)).verdict.ok).toBe(true);
      } finally {
        await run('ip', ['link', 'set', 'eth0', 'mtu', '1500'], { netns: web.netnsPath });
      }
      expect((await check(lab, { size: 1400 })).verdict.ok).toBe(true);
    });
  });

  it('checks traffic that flows anyway in passive mode', async () => {
    await withLab({}, async (lab) => {
      const r = await verify({
        ...targets(lab),
        passive: true,
        durationS: 2,
        onArmed: () => void lab.exec('box', 'ping', ['-c', '4', '-i', '0.2', lab.host('web').ip]).catch(() => undefined),
      });
      expect(r.verdict.ok).toBe(true);
      expect(r.verdict.checked).toBeGreaterThanOrEqual(8);
      expect(r.verdict.line).toMatch(/^PASS: all \d+ packets between/);
    });
  });
});
