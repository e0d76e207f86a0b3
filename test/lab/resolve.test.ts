import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { runCli } from '../helpers/cli.js';
import { resolveTargets } from '../../src/resolve/resolve.js';
import type { ResolveResult } from '../../src/resolve/types.js';

/** What the kernel says in the host namespace, read from sysfs (valid there). */
const sysfs = (ifname: string, attr: string) => readFileSync(`/sys/class/net/${ifname}/${attr}`, 'utf8').trim();

describe.runIf(privileged())('resolve on a lab of namespaces', () => {
  const lab = useLab({ hosts: ['box', 'web', 'db'] });

  it('finds each namespace end\'s host peer and bridge, as the kernel says', async () => {
    const { hosts, bridge } = lab();
    const result = await resolveTargets(hosts.map((h) => `netns:${h.netns}`), { discoverOwners: true });
    expect(result.targets).toHaveLength(3);
    for (const [n, target] of result.targets.entries()) {
      const h = hosts[n]!;
      const [eth0] = target.interfaces;
      expect(target.kind).toBe('netns');
      expect(target.netns.path).toBe(h.netnsPath);
      expect(eth0).toMatchObject({ name: 'eth0', kind: 'veth', mac: h.mac, mtu: 1500, state: 'UP' });
      expect(eth0?.addresses).toContain(`${h.ip}/24`);
      // The kernel's own word: the host end's iflink is the namespace end's ifindex, and
      // the host end's ifindex is what the namespace end's iflink names.
      expect(eth0?.peer?.name).toBe(h.hostIf);
      expect(eth0?.peer?.ifindex).toBe(Number(sysfs(h.hostIf, 'ifindex')));
      expect(Number(sysfs(h.hostIf, 'iflink'))).toBe(eth0?.ifindex);
      expect(eth0?.bridge?.name).toBe(bridge);
      expect(eth0?.bridge?.ifindex).toBe(Number(sysfs(bridge, 'ifindex')));
      expect(eth0?.bridge?.portState).toBe('forwarding');
      expect(eth0?.bridge?.ports.map((p) => [p.name, p.owner])).toEqual(hosts.map((x) => [x.hostIf, `${x.netns}:eth0`]));
    }
  });

  it('resolves pid:N through the process\'s namespace and agrees with netns:NAME', async () => {
    const h = lab().host('web');
    const sleeper = execa('nsenter', [`--net=${h.netnsPath}`, '--', 'sleep', '60']);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const pid = sleeper.pid!;
      const viaPid = await resolveTargets([`pid:${pid}`]);
      const viaName = await resolveTargets([`netns:${h.netns}`]);
      expect(viaPid.targets[0]?.pid).toBe(pid);
      expect(viaPid.targets[0]?.netns.inode).toBe(viaName.targets[0]?.netns.inode);
      // Same interfaces and peers; the port owner is named after the target as typed.
      const strip = (r: ResolveResult) => r.targets[0]?.interfaces.map((i) => ({ ...i, bridge: i.bridge?.name }));
      expect(strip(viaPid)).toEqual(strip(viaName));
      expect(viaPid.targets[0]?.interfaces[0]?.bridge?.ports.find((p) => p.name === h.hostIf)?.owner).toBe(`pid:${pid}:eth0`);
    } finally {
      sleeper.kill('SIGTERM');
      await sleeper.catch(() => undefined);
    }
  });

  it('prints a table and documented JSON from the CLI', async () => {
    const h = lab().host('box');
    const table = await runCli(['resolve', `netns:${h.netns}`]);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toContain(`${h.netns}:eth0  veth  ${h.mac}  ${h.ip}/24`);
    expect(table.stdout).toMatch(new RegExp(`peer +host:${h.hostIf}`));
    const json = await runCli(['resolve', `netns:${h.netns}`, '--json']);
    const parsed = JSON.parse(json.stdout) as ResolveResult;
    expect(Object.keys(parsed.targets[0]!)).toEqual(['target', 'kind', 'name', 'id', 'pid', 'netns', 'networkMode', 'sharedWith', 'interfaces']);
    expect(Object.keys(parsed.targets[0]!.interfaces[0]!)).toEqual(['name', 'ifindex', 'kind', 'mac', 'addresses', 'mtu', 'state', 'peer', 'bridge', 'forwardedBy', 'note']);
    expect(Object.keys(parsed.targets[0]!.interfaces[0]!.bridge!)).toEqual(['name', 'ifindex', 'portState', 'ports']);
  });

  it('refuses the host namespace, an unknown name (with suggestions) and a dead PID', async () => {
    const self = await runCli(['resolve', `pid:${process.pid}`]);
    expect(self.exitCode).toBe(3);
    expect(self.stderr).toMatch(/runs in the host's network namespace/);
    const typo = await runCli(['resolve', `netns:${lab().host('box').netns}x`]);
    expect(typo.exitCode).toBe(3);
    expect(typo.stderr).toContain(`did you mean ${lab().host('box').netns}`);
    const dead = await runCli(['resolve', 'pid:999999999']);
    expect(dead.exitCode).toBe(3);
    expect(dead.stderr).toMatch(/no process with PID 999999999/);
    for (const r of [self, typo, dead]) expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a missing ip or nsenter before doing anything (exit 4)', async () => {
    const bare = await runCli(['resolve', `netns:${lab().host('box').netns}`], { env: { PATH: '/nonexistent' }, extendEnv: false });
    expect(bare.exitCode).toBe(4);
    expect(bare.stderr).toMatch(/^vethcap: \[MISSING_TOOL\] vethcap needs ip, nsenter, which are not installed or not on PATH\./);
  });

  it('names the privileges it needs when run unprivileged (exit 5)', async () => {
    const result = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, 'bin/vethcap', 'resolve', `netns:${lab().host('box').netns}`], { reject: false });
    expect(result.exitCode).toBe(5);
    expect(result.stderr).toMatch(/needs root, or the capabilities CAP_SYS_ADMIN/);
  });
});
