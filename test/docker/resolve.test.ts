import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../helpers/env.js';
import { DockerScope, docker, ensureTestImage, randomSubnet } from '../helpers/docker.js';
import { runCli } from '../helpers/cli.js';
import type { ResolveResult, ResolvedTarget } from '../../src/resolve/types.js';

const sysfs = (ifname: string, attr: string) => readFileSync(`/sys/class/net/${ifname}/${attr}`, 'utf8').trim();

async function resolveJson(...targets: string[]): Promise<ResolvedTarget[]> {
  const r = await runCli(['resolve', '--json', ...targets]);
  if (r.exitCode !== 0) throw new Error(`resolve failed (${r.exitCode}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as ResolveResult).targets;
}

interface Inspect {
  Id: string;
  State: { Pid: number };
  NetworkSettings: { Networks: Record<string, { MacAddress: string; IPAddress: string; IPPrefixLen: number; NetworkID: string }> };
}
async function inspect(name: string): Promise<Inspect> {
  return (JSON.parse(await docker('inspect', name)) as Inspect[])[0]!;
}

describe.runIf(dockerAvailable())('resolve against a real Docker engine', () => {
  const scope = new DockerScope();
  let net1 = '';
  let net2 = '';

  beforeAll(async () => {
    await ensureTestImage();
    net1 = await scope.network('n1', randomSubnet());
    net2 = await scope.network('n2', randomSubnet());
    await scope.run('a');
    await scope.run('b');
    await scope.run('c', '--network', net1);
    await scope.run('d', '--network', net1);
    await docker('network', 'connect', net2, scope.name('d'));
    await scope.run('e', '--network', `container:${scope.name('a')}`);
    await scope.run('host', '--network', 'host');
    await scope.run('none', '--network', 'none');
    await scope.create('stopped');
  });
  afterAll(() => scope.cleanup());

  it('follows a default-bridge container to its docker0 port, as the kernel and Docker say', async () => {
    const [a] = await resolveJson(scope.name('a'));
    const info = await inspect(scope.name('a'));
    expect(a).toMatchObject({ kind: 'docker', name: scope.name('a'), id: info.Id, pid: info.State.Pid, netns: { path: `/proc/${info.State.Pid}/ns/net` } });
    expect(a!.interfaces).toHaveLength(1);
    const eth0 = a!.interfaces[0]!;
    const net = info.NetworkSettings.Networks.bridge!;
    expect(eth0).toMatchObject({ name: 'eth0', kind: 'veth', mac: net.MacAddress, addresses: [`${net.IPAddress}/${net.IPPrefixLen}`] });
    expect(eth0.peer?.netns).toBe('host');
    expect(Number(sysfs(eth0.peer!.name, 'iflink'))).toBe(eth0.ifindex);
    expect(Number(sysfs(eth0.peer!.name, 'ifindex'))).toBe(eth0.peer!.ifindex);
    expect(eth0.bridge?.name).toBe('docker0');
    expect(readFileSync(`/sys/class/net/${eth0.peer!.name}/master/uevent`, 'utf8')).toMatch(/INTERFACE=docker0/);
    const owners = Object.fromEntries(eth0.bridge!.ports.map((p) => [p.owner, p.name]));
    expect(owners[`${scope.name('a')}:eth0`]).toBe(eth0.peer!.name);
    expect(owners[`${scope.name('b')}:eth0`]).toBeDefined();
  });

  it('finds the br- bridge of a user-defined network, and one interface per network', async () => {
    const [c, d] = await resolveJson(scope.name('c'), scope.name('d'));
    const netId = (await inspect(scope.name('c'))).NetworkSettings.Networks[net1]!.NetworkID;
    expect(c!.interfaces[0]!.bridge?.name).toBe(`br-${netId.slice(0, 12)}`);
    expect(d!.interfaces.map((i) => i.name).sort()).toEqual(['eth0', 'eth1']);
    const dInfo = await inspect(scope.name('d'));
    for (const iface of d!.interfaces) {
      const network = Object.entries(dInfo.NetworkSettings.Networks).find(([, n]) => n.MacAddress === iface.mac);
      expect(network, `interface ${iface.name} belongs to one of d's networks`).toBeDefined();
      expect(iface.bridge?.name).toBe(`br-${network![1].NetworkID.slice(0, 12)}`);
      expect(Number(sysfs(iface.peer!.name, 'iflink'))).toBe(iface.ifindex);
    }
    expect(new Set(d!.interfaces.map((i) => i.bridge?.name)).size).toBe(2);
    const ports = c!.interfaces[0]!.bridge!.ports.map((p) => p.owner);
    expect(ports).toEqual(expect.arrayContaining([`${scope.name('c')}:eth0`, expect.stringMatching(new RegExp(`^${scope.name('d')}:eth[01]$`))]));
    expect(net2).not.toBe('');
  });

  it('resolves a container:X container through X\'s namespace and says so', async () => {
    const [a, e] = await resolveJson(scope.name('a'), scope.name('e'));
    expect(e!.sharedWith).toBe(scope.name('a'));
    expect(e!.netns.inode).toBe(a!.netns.inode);
    expect(e!.interfaces.map((i) => i.peer?.name)).toEqual(a!.interfaces.map((i) => i.peer?.name));
    const table = await runCli(['resolve', scope.name('e')]);
    expect(table.stdout).toContain(`shares the network namespace of ${scope.name('a')}`);
  });

  it('refuses host, none and stopped containers with a sentence and exit 3', async () => {
    const cases: Array<[string, RegExp]> = [
      ['host', /runs with --network host: it shares the host's network namespace/],
      ['none', /runs with --network none: it has only a loopback interface/],
      ['stopped', /is not running \(status: created\)/],
    ];
    for (const [suffix, message] of cases) {
      const r = await runCli(['resolve', scope.name(suffix)]);
      expect(r.exitCode, suffix).toBe(3);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('accepts a full ID and a unique prefix, refuses an ambiguous one, suggests for a typo', async () => {
    const id = (await inspect(scope.name('b'))).Id;
    expect((await resolveJson(id))[0]!.name).toBe(scope.name('b'));
    // Make two containers share a first ID character (at most 17 creations).
    const all = (await docker('ps', '-aq', '--no-trunc')).split('\n');
    let shared = '';
    for (let n = 0; !shared; n++) {
      all.push((await scope.create(`amb${n}`)).id);
      const firsts = all.map((x) => x[0]);
      shared = firsts.find((ch, i) => firsts.indexOf(ch) !== i) ?? '';
    }
    const ambiguous = await runCli(['resolve', shared!]);
    expect(ambiguous.exitCode).toBe(3);
    expect(ambiguous.stderr).toMatch(new RegExp(`the ID prefix ${shared} matches \\d+ containers`));
    const unique = all.find((x) => all.filter((y) => y.startsWith(x.slice(0, 12))).length === 1 && x === id)!;
    expect((await resolveJson(unique.slice(0, 12)))[0]!.id).toBe(id);
    const typo = await runCli(['resolve', `${scope.name('b')}x`]);
    expect(typo.exitCode).toBe(3);
    expect(typo.stderr).toContain(`did you mean ${scope.name('b')}`);
  });

  it('says so when the Docker daemon cannot be reached (exit 4)', async () => {
    const r = await runCli(['resolve', scope.name('a')], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^vethcap: \[DOCKER_UNAVAILABLE\] cannot reach the Docker daemon at unix:\/\/\/nonexistent\/docker.sock/);
  });
});
