/**
 * podman: targets and bare names against a real rootful Podman (Debian's 4.3, its service
 * started by scripts/setup.sh --docker), on a CNI network of its own in 198.19.64.0/18.
 * Images come from a busybox-static tarball (`podman import`); nothing is pulled.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { containerdAvailable, dockerAvailable } from '../helpers/env.js';
import { PodmanScope, podmanAvailable, type PodmanContainer } from '../helpers/podman.js';
import { ContainerdScope } from '../helpers/containerd.js';
import { docker, ensureTestImage } from '../helpers/docker.js';
import { BIN, runCli, untilArmed } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';
import { connectPodman } from '../../src/targets/podman.js';
import { locateContainer } from '../../src/resolve/locate-container.js';
import type { ResolveResult, ResolvedTarget } from '../../src/resolve/types.js';

const sysfs = (ifname: string, attr: string) => readFileSync(`/sys/class/net/${ifname}/${attr}`, 'utf8').trim();

/** The `[CODE]` on the first stderr line: the code is the API, the sentence may change. */
const codeOf = (stderr: string): string | undefined => /^vethcap: \[([A-Z_]+)\] \S/.exec(stderr)?.[1];

async function resolveJson(...targets: string[]): Promise<ResolvedTarget[]> {
  const r = await runCli(['resolve', '--json', ...targets]);
  if (r.exitCode !== 0) throw new Error(`resolve failed (${r.exitCode}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as ResolveResult).targets;
}

const PODMAN = podmanAvailable();

const TITLE = 'rootful Podman containers on a real Podman';

describe.skipIf(!PODMAN)(PODMAN ? TITLE : `${TITLE} (skipped: Podman's service does not answer on /run/podman/podman.sock, or not root; scripts/setup.sh --docker starts it)`, () => {
  const scope = new PodmanScope();
  let a: PodmanContainer;
  let b: PodmanContainer;

  beforeAll(async () => {
    a = await scope.run('a');
    b = await scope.run('b');
  }, 180_000);
  afterAll(() => scope.cleanup(), 180_000);

  it('resolves podman:NAME to its veth peer and bridge as the kernel says, naming the containers on the other ports', async () => {
    const [t] = await resolveJson(`podman:${a.name}`);
    expect(t).toMatchObject({ kind: 'podman', name: a.name, id: a.id, pid: a.pid, netns: { path: `/proc/${a.pid}/ns/net`, inode: statSync(`/proc/${a.pid}/ns/net`).ino } });
    const eth0 = t!.interfaces.find((i) => i.name === 'eth0')!;
    expect(eth0).toMatchObject({ kind: 'veth', mac: a.mac });
    expect(eth0.addresses).toContain(`${a.ip}/24`);
    expect(eth0.peer).toMatchObject({ name: a.hostIf, netns: 'host', ifindex: Number(sysfs(a.hostIf, 'ifindex')) });
    expect(Number(sysfs(a.hostIf, 'iflink'))).toBe(eth0.ifindex);
    expect(eth0.bridge?.name).toBe(scope.bridge);
    expect(eth0.bridge?.ifindex).toBe(Number(sysfs(scope.bridge, 'ifindex')));
    const owners = Object.fromEntries(eth0.bridge!.ports.map((p) => [p.name, p.owner]));
    // By the containers' names, not by Podman's netns-<uuid> namespace names.
    expect(owners).toMatchObject({ [a.hostIf]: `${a.name}:eth0`, [b.hostIf]: `${b.name}:eth0` });
    const table = await runCli(['resolve', `podman:${b.name}`]);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout).toMatch(new RegExp(`${a.hostIf}\\s+⇄ ${a.name}:eth0`));
  });

  it('takes a unique ID prefix, and a bare name that only Podman has', async () => {
    const [byId] = await resolveJson(`podman:${a.id.slice(0, 10)}`);
    expect(byId).toMatchObject({ kind: 'podman', name: a.name, id: a.id });
    const [bare] = await resolveJson(b.name);
    expect(bare).toMatchObject({ target: b.name, kind: 'podman', name: b.name, id: b.id, pid: b.pid });
    expect(bare!.interfaces.find((i) => i.name === 'eth0')?.peer?.name).toBe(b.hostIf);
  });

  it('asks the podman command when no service answers (same answer as the socket)', async () => {
    // The same look-up, with the service's socket said to be elsewhere: the CLI reads Podman's database.
    const api = connectPodman({ PATH: process.env.PATH }, `/run/${scope.prefix}-no-service.sock`);
    expect(await api.mode()).toBe('cli');
    const found = await locateContainer('podman', a.name, api);
    expect(found).toMatchObject({ kind: 'podman', name: a.name, id: a.id, pid: a.pid });
    expect((await locateContainer('podman', b.id.slice(0, 10), api)).name).toBe(b.name);
    expect((await api.running()).map((r) => r.names[0])).toEqual(expect.arrayContaining([a.name, b.name]));
  });

  it('traces two containers (by name and by ID prefix): every request and reply at all five points, in path order, in the timeline and the pcapng', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vethcap-podman-'));
    const file = join(dir, 'podman.pcapng');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const r = await runCli(['trace', `podman:${a.name}`, `podman:${b.id.slice(0, 12)}`, '--filter', 'icmp', '--json', '-w', file, '--', 'nsenter', '-t', String(a.pid), '-n', 'ping', '-c', '4', '-i', '0.2', b.ip], { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(paths).toHaveLength(8);
    const forward = [`${a.name}:eth0`, `host:${a.hostIf}`, `host:${b.hostIf}`, `${b.name}:eth0`];
    for (const p of paths) {
      const request = p.summary.startsWith('ICMP echo request');
      expect(hopLabels(p)).toEqual(request ? forward : [...forward].reverse());
      expect(p.hops.map((h) => h.point)).toContain(`host:${scope.bridge}`);
      expect(p.complete).toBe(true);
    }
    expect(paths.filter((p) => p.summary.startsWith('ICMP echo request'))).toHaveLength(4);
    expect(summary.capture.map((c) => c.droppedByKernel)).toEqual([0, 0, 0, 0, 0]);
    const { stdout } = await execa('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.packet_id', '-e', 'frame.interface_name']);
    const rows = stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((row) => row[1]))).toEqual(new Set([...forward, `host:${scope.bridge}`]));
    const ids = new Map<string, number>();
    for (const [id] of rows) ids.set(id!, (ids.get(id!) ?? 0) + 1);
    expect([...ids.values()]).toEqual(Array(8).fill(5));
  });

  it("verify passes between two containers, then locates a disabled bridge port before the destination's host end", async () => {
    const pass = await runCli(['verify', `podman:${a.name}`, '--to', `podman:${b.name}`, '-c', '3', '-W', '1']);
    expect(pass.exitCode, pass.stderr).toBe(0);
    expect(pass.stdout).toMatch(new RegExp(`^PASS: 3/3 icmp probes ${a.name} → ${b.name} and 3 answers crossed every hop`, 'm'));
    await execa('bridge', ['link', 'set', 'dev', b.hostIf, 'state', '0']);
    try {
      const r = await runCli(['verify', `podman:${a.name}`, '--to', `podman:${b.name}`, '-c', '3', '-W', '1', '--json']);
      expect(r.exitCode, r.stderr).toBe(1);
      const v = JSON.parse(r.stdout) as { ok: boolean; lost: Array<{ after: string; before: string }>; findings: Array<{ code: string; port?: string; state?: string }> };
      expect(v.ok).toBe(false);
      expect(v.lost).toContainEqual(expect.objectContaining({ after: `host:${a.hostIf}`, before: `host:${b.hostIf}` }));
      expect(v.findings).toContainEqual(expect.objectContaining({ code: 'PORT_STATE', port: b.hostIf, state: 'disabled' }));
    } finally {
      await execa('bridge', ['link', 'set', 'dev', b.hostIf, 'state', '3']);
    }
  });

  it.skipIf(!dockerAvailable())('a bare name both Docker and Podman have is ambiguous: TARGET_AMBIGUOUS (exit 3), naming docker:NAME and podman:NAME', async () => {
    await ensureTestImage();
    // A Docker container by the same name as Podman's a, on docker0; removed in finally.
    await docker('run', '-d', '--name', a.name, 'vethcap-test/busybox:1', 'sleep', '3600');
    try {
      const r = await runCli(['resolve', a.name]);
      expect(codeOf(r.stderr), r.stderr).toBe('TARGET_AMBIGUOUS');
      expect(r.exitCode).toBe(3);
      expect(r.stderr).toContain(`docker:${a.name}`);
      expect(r.stderr).toContain(`podman:${a.name}`);
      // Each prefix picks one.
      expect((await resolveJson(`docker:${a.name}`))[0]!.kind).toBe('docker');
      expect((await resolveJson(`podman:${a.name}`))[0]!.kind).toBe('podman');
    } finally {
      await execa('docker', ['rm', '-f', a.name], { reject: false });
    }
  });

  it.skipIf(!containerdAvailable())('a bare name that Podman and a containerd task share in one network namespace is one target, not an ambiguity', async () => {
    // A containerd task by b's name joined to b's namespace (as a sidecar would be).
    const ctr = new ContainerdScope();
    const namespace = ctr.namespace('side');
    try {
      await ctr.run(namespace, b.name, `/proc/${b.pid}/ns/net`);
      const [t] = await resolveJson(b.name);
      expect(t).toMatchObject({ kind: 'podman', name: b.name, id: b.id });
    } finally {
      await ctr.cleanup();
    }
  });

  it('says what to do, with a code: unknown, not running, no socket, a stopped service, a refused socket, no runtime at all', async () => {
    const unknown = await runCli(['resolve', `podman:${scope.prefix}-nope`]);
    expect([codeOf(unknown.stderr), unknown.exitCode]).toEqual(['TARGET_NOT_FOUND', 3]);

    const stopped = await scope.run('stopped');
    await scope.stop(stopped.name);
    const notRunning = await runCli(['resolve', `podman:${stopped.name}`]);
    expect([codeOf(notRunning.stderr), notRunning.exitCode], notRunning.stderr).toEqual(['TARGET_NOT_RUNNING', 3]);

    const nowhere = await runCli(['resolve', `podman:${a.name}`], { env: { CONTAINER_HOST: `unix:///run/${scope.prefix}-nowhere.sock` } });
    expect([codeOf(nowhere.stderr), nowhere.exitCode], nowhere.stderr).toEqual(['RUNTIME_UNAVAILABLE', 4]);

    // A socket file nobody listens on: what a killed service leaves.
    const dir = mkdtempSync(join(tmpdir(), 'vethcap-podman-stale-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const stale = join(dir, 'podman.sock');
    await execa(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`], { reject: false });
    expect(statSync(stale).isSocket()).toBe(true);
    const down = await runCli(['resolve', `podman:${a.name}`], { env: { CONTAINER_HOST: `unix://${stale}` } });
    expect([codeOf(down.stderr), down.exitCode], down.stderr).toEqual(['RUNTIME_UNAVAILABLE', 4]);
    expect(down.stderr).toMatch(/stopped/);

    // A user with the capabilities to enter namespaces but no right to Podman's root-only socket.
    const caps = '+sys_admin,+net_raw,+net_admin';
    const refused = await execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', `--inh-caps=${caps}`, `--ambient-caps=${caps}`, process.execPath, BIN, 'resolve', `podman:${a.name}`], { reject: false, timeout: 60_000 });
    expect([codeOf(refused.stderr), refused.exitCode], refused.stderr).toEqual(['PERMISSION', 5]);

    // A bare name where no runtime answers (each pointed at nothing).
    const none = await runCli(['resolve', a.name], {
      env: { DOCKER_HOST: `unix:///run/${scope.prefix}-no-docker.sock`, CONTAINER_HOST: `unix:///run/${scope.prefix}-no-podman.sock`, CONTAINERD_ADDRESS: `/run/${scope.prefix}-no-containerd.sock` },
    });
    expect([codeOf(none.stderr), none.exitCode], none.stderr).toEqual(['RUNTIME_UNAVAILABLE', 4]);
  });

  it('reports a container removed during the trace (exit 3)', async () => {
    const victim = await scope.run('victim');
    const child = execa(process.execPath, [BIN, 'trace', `podman:${victim.name}`, '-d', '20', '-q'], { reject: false, stdin: 'ignore', timeout: 90_000 });
    await untilArmed(child);
    await new Promise((r) => setTimeout(r, 500));
    await execa('podman', ['rm', '-f', '-t', '0', victim.name]);
    const done = await child;
    expect(done.exitCode, String(done.stderr)).toBe(3);
    expect(String(done.stderr)).toMatch(new RegExp(`capture at ${victim.name}:eth0 ended before the trace did`));
  });
});
