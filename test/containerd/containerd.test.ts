/**
 * containerd: and pod: targets against a real containerd (Debian's 1.6, started by
 * scripts/setup.sh --docker). Kubernetes cannot run here, so the tests do what kubelet
 * and a CNI plugin would: a lab namespace with a veth on a bridge in 198.18.0.0/15 stands
 * for the pod's network, and containers made in containerd's k8s.io namespace with
 * kubelet's labels join it (`ctr run --with-ns network:…`). That proves the look-up
 * matches kubelet's labels, and no more.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { containerdAvailable } from '../helpers/env.js';
import { ContainerdScope } from '../helpers/containerd.js';
import { useLab } from '../helpers/lab.js';
import { BIN, runCli, untilArmed } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';
import type { ResolveResult, ResolvedTarget } from '../../src/resolve/types.js';

/** Where the tests' containerd listens, as vethcap reads it; escaped for a RegExp. */
const SOCKET = (process.env.CONTAINERD_ADDRESS?.replace(/^unix:\/\//, '') || '/run/containerd/containerd.sock').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const sysfs = (ifname: string, attr: string) => readFileSync(`/sys/class/net/${ifname}/${attr}`, 'utf8').trim();

async function resolveJson(...targets: string[]): Promise<ResolvedTarget[]> {
  const r = await runCli(['resolve', '--json', ...targets]);
  if (r.exitCode !== 0) throw new Error(`resolve failed (${r.exitCode}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as ResolveResult).targets;
}

describe.runIf(containerdAvailable())('containerd tasks and Kubernetes pods on a real containerd', () => {
  const subnet = `198.18.${64 + Math.floor(Math.random() * 180)}.0`;
  const lab = useLab({ hosts: ['task', 'web', 'db'], prefix: 'vcc', subnet });
  const scope = new ContainerdScope();
  const K8S = 'k8s.io';
  let plainNs = '';
  let taskId = '';
  let webSandbox = '';
  let webApp = '';
  let dbSandbox = '';
  let podNs = '';

  beforeAll(async () => {
    const { host } = lab();
    plainNs = scope.namespace('plain');
    podNs = scope.name('shop');
    const pod = (name: string, kind: 'sandbox' | 'container') => ({
      'io.kubernetes.pod.name': name,
      'io.kubernetes.pod.namespace': podNs,
      'io.kubernetes.pod.uid': `${scope.prefix}-${name}-uid`,
      'io.cri-containerd.kind': kind,
    });
    taskId = await scope.run(plainNs, scope.name('task'), host('task').netnsPath);
    // As the CRI does: a sandbox holds the namespace, the app containers join it.
    webSandbox = await scope.run(K8S, scope.name('web-sandbox'), host('web').netnsPath, pod('web', 'sandbox'));
    webApp = await scope.run(K8S, scope.name('web-app'), host('web').netnsPath, pod('web', 'container'));
    dbSandbox = await scope.run(K8S, scope.name('db-sandbox'), host('db').netnsPath, pod('db', 'sandbox'));
  });
  afterAll(() => scope.cleanup());

  it('resolves containerd:NAMESPACE/ID to its task, veth peer and bridge, as the kernel says, naming the pods on the other ports', async () => {
    const { host, bridge } = lab();
    const [t] = await resolveJson(`containerd:${plainNs}/${taskId}`);
    const pid = await scope.pid(plainNs, taskId);
    expect(t).toMatchObject({ kind: 'containerd', name: taskId, id: taskId, pid, netns: { path: `/proc/${pid}/ns/net`, inode: statSync(host('task').netnsPath).ino } });
    const eth0 = t!.interfaces[0]!;
    expect(eth0).toMatchObject({ name: 'eth0', kind: 'veth', mac: host('task').mac });
    expect(eth0.peer).toMatchObject({ name: host('task').hostIf, netns: 'host', ifindex: Number(sysfs(host('task').hostIf, 'ifindex')) });
    expect(Number(sysfs(host('task').hostIf, 'iflink'))).toBe(eth0.ifindex);
    expect(eth0.bridge?.name).toBe(bridge);
    expect(eth0.bridge?.ifindex).toBe(Number(sysfs(bridge, 'ifindex')));
    const owners = Object.fromEntries(eth0.bridge!.ports.map((p) => [p.name, p.owner]));
    // The pods by NAMESPACE/NAME, not by the lab's netns names (containerd ranks first).
    expect(owners).toEqual({ [host('task').hostIf]: `${taskId}:eth0`, [host('web').hostIf]: `${podNs}/web:eth0`, [host('db').hostIf]: `${podNs}/db:eth0` });
  });

  it('takes a unique ID prefix, as docker does', async () => {
    const [t] = await resolveJson(`containerd:${plainNs}/${taskId.slice(0, -2)}`);
    expect(t!.id).toBe(taskId);
  });

  it("resolves pod:NAMESPACE/NAME through kubelet's labels to its sandbox's namespace, labelled NAMESPACE/NAME", async () => {
    const { host, bridge } = lab();
    const [web, db] = await resolveJson(`pod:${podNs}/web`, `pod:${podNs}/db`);
    expect(web).toMatchObject({ kind: 'pod', name: `${podNs}/web`, id: webSandbox, pid: await scope.pid(K8S, webSandbox), netns: { inode: statSync(host('web').netnsPath).ino } });
    expect(db).toMatchObject({ kind: 'pod', name: `${podNs}/db`, id: dbSandbox });
    for (const [target, h] of [
      [web!, host('web')],
      [db!, host('db')],
    ] as const) {
      const eth0 = target.interfaces[0]!;
      expect(eth0.peer?.name).toBe(h.hostIf);
      expect(eth0.peer?.ifindex).toBe(Number(sysfs(h.hostIf, 'ifindex')));
      expect(Number(sysfs(h.hostIf, 'iflink'))).toBe(eth0.ifindex);
      expect(eth0.bridge?.name).toBe(bridge);
    }
    const table = await runCli(['resolve', `pod:${podNs}/web`]);
    expect(table.exitCode, table.stderr).toBe(0);
    expect(table.stdout).toContain(`${podNs}/web:eth0  veth`);
    expect(table.stdout).toMatch(new RegExp(`${host('db').hostIf}\\s+⇄ ${podNs}/db:eth0`));
  });

  it("falls back to a running app container when the pod's sandbox task is gone", async () => {
    const appPid = await scope.pid(K8S, webApp);
    await scope.stopTask(K8S, webSandbox);
    try {
      const [web] = await resolveJson(`pod:${podNs}/web`);
      expect(web).toMatchObject({ kind: 'pod', id: webApp, pid: appPid });
    } finally {
      // Back as it was for the other tests: a new sandbox task.
      await runCtrStart(webSandbox);
    }
  });

  it('says what to do: an unknown pod, a task that is not running, containerd not answering', async () => {
    const unknown = await runCli(['resolve', `pod:${podNs}/nope`]);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(new RegExp(`^vethcap: \\[TARGET_NOT_FOUND\\] no pod ${podNs}/nope on this node: no container in containerd's k8s.io namespace carries kubelet's labels`));
    const noNs = await runCli(['resolve', `containerd:${scope.prefix}-none/x`]);
    expect(noNs.exitCode).toBe(3);
    expect(noNs.stderr).toMatch(new RegExp(`\\[TARGET_NOT_FOUND\\] containerd at ${SOCKET} has no namespace`));
    const stopped = scope.name('stopped');
    await scope.run(plainNs, stopped, lab().host('task').netnsPath);
    await scope.stopTask(plainNs, stopped);
    const notRunning = await runCli(['resolve', `containerd:${plainNs}/${stopped}`]);
    expect(notRunning.exitCode).toBe(3);
    expect(notRunning.stderr).toMatch(new RegExp(`\\[TARGET_NOT_RUNNING\\] containerd container ${plainNs}/${stopped} has no task`));
    const away = await runCli(['resolve', `containerd:${plainNs}/${taskId}`], { env: { CONTAINERD_ADDRESS: `/run/${scope.prefix}-nowhere.sock` } });
    expect(away.exitCode).toBe(4);
    expect(away.stderr).toMatch(new RegExp(`^vethcap: \\[RUNTIME_UNAVAILABLE\\] containerd does not answer at /run/${scope.prefix}-nowhere.sock \\(no such socket\\)\\.`));
    // A user with the capabilities to enter namespaces but no right to containerd's socket.
    const caps = '+sys_admin,+net_raw,+net_admin';
    const refused = await execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', `--inh-caps=${caps}`, `--ambient-caps=${caps}`, process.execPath, BIN, 'resolve', `containerd:${plainNs}/${taskId}`], { reject: false, timeout: 60_000 });
    expect(refused.exitCode, refused.stderr).toBe(5);
    expect(refused.stderr).toMatch(new RegExp(`^vethcap: \\[PERMISSION\\] permission denied on containerd's socket ${SOCKET}: run vethcap as root\\.`));
  });

  it('traces two pods: every request and reply at all five points, in path order', async () => {
    const { host, bridge } = lab();
    const web = `${podNs}/web`;
    const db = `${podNs}/db`;
    const dir = mkdtempSync(join(tmpdir(), 'vethcap-pods-'));
    const file = join(dir, 'pods.pcapng');
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const r = await runCli(['trace', `pod:${web}`, `pod:${db}`, '--filter', 'icmp', '--json', '-w', file, '--', 'ip', 'netns', 'exec', host('web').netns, 'ping', '-c', '4', '-i', '0.2', host('db').ip]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(paths).toHaveLength(8);
    for (const p of paths) {
      const request = p.summary.startsWith('ICMP echo request');
      const forward = [`${web}:eth0`, `host:${host('web').hostIf}`, `host:${host('db').hostIf}`, `${db}:eth0`];
      expect(hopLabels(p)).toEqual(request ? forward : [...forward].reverse());
      expect(p.hops.map((h) => h.point)).toContain(`host:${bridge}`);
      expect(p.complete).toBe(true);
    }
    expect(summary.capture.map((c) => c.droppedByKernel)).toEqual([0, 0, 0, 0, 0]);
    // The pcapng: one interface per point under the pods' labels, 8 packets seen 5 times each.
    const { stdout } = await execa('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.packet_id', '-e', 'frame.interface_name']);
    const rows = stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((row) => row[1]))).toEqual(new Set([`${web}:eth0`, `host:${host('web').hostIf}`, `host:${bridge}`, `host:${host('db').hostIf}`, `${db}:eth0`]));
    const ids = new Map<string, number>();
    for (const [id] of rows) ids.set(id!, (ids.get(id!) ?? 0) + 1);
    expect([...ids.values()]).toEqual(Array(8).fill(5));
  });

  it('verify passes between two pods, then locates a disabled bridge port before the destination\'s host end', async () => {
    const { host } = lab();
    const web = `pod:${podNs}/web`;
    const db = `pod:${podNs}/db`;
    const pass = await runCli(['verify', web, '--to', db, '-c', '3', '-W', '1']);
    expect(pass.exitCode, pass.stderr).toBe(0);
    expect(pass.stdout).toMatch(new RegExp(`^PASS: 3/3 icmp probes ${podNs}/web → ${podNs}/db and 3 answers crossed every hop`, 'm'));
    const port = host('db').hostIf;
    await execa('bridge', ['link', 'set', 'dev', port, 'state', '0']);
    try {
      const r = await runCli(['verify', web, '--to', db, '-c', '3', '-W', '1', '--json']);
      expect(r.exitCode, r.stderr).toBe(1);
      const v = JSON.parse(r.stdout) as { ok: boolean; lost: Array<{ after: string; before: string }>; findings: Array<{ code: string; port?: string; state?: string }> };
      expect(v.ok).toBe(false);
      expect(v.lost).toContainEqual(expect.objectContaining({ after: `host:${host('web').hostIf}`, before: `host:${port}` }));
      expect(v.findings).toContainEqual(expect.objectContaining({ code: 'PORT_STATE', port, state: 'disabled' }));
    } finally {
      await execa('bridge', ['link', 'set', 'dev', port, 'state', '3']);
    }
  });

  it('traces and verifies a containerd:NAMESPACE/ID task to a pod: all five points in path order, then a pass', async () => {
    const { host, bridge } = lab();
    const task = `containerd:${plainNs}/${taskId}`;
    const web = `${podNs}/web`;
    const r = await runCli(['trace', task, `pod:${web}`, '--filter', 'icmp', '--json', '--', 'ip', 'netns', 'exec', host('task').netns, 'ping', '-c', '2', '-i', '0.2', host('web').ip]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    const taskEnd = `${taskId}:eth0`;
    expect(summary.capture.map((c) => c.point)).toEqual([taskEnd, `host:${host('task').hostIf}`, `host:${bridge}`, `host:${host('web').hostIf}`, `${web}:eth0`]);
    expect(paths).toHaveLength(4);
    for (const p of paths) {
      const forward = [taskEnd, `host:${host('task').hostIf}`, `host:${host('web').hostIf}`, `${web}:eth0`];
      expect(hopLabels(p)).toEqual(p.summary.startsWith('ICMP echo request') ? forward : [...forward].reverse());
      expect(p.complete).toBe(true);
    }
    const v = await runCli(['verify', task, '--to', `pod:${web}`, '-c', '2', '-W', '1', '--json']);
    expect(v.exitCode, v.stderr).toBe(0);
    expect((JSON.parse(v.stdout) as { ok: boolean }).ok).toBe(true);
  });

  it('reports a pod whose task stops and whose veth goes (a CNI DEL) during the trace (exit 3)', async () => {
    // A namespace of its own on the lab bridge, as a CNI ADD makes; removed in finally.
    const netns = scope.name('victim');
    const hostIf = `${scope.prefix}v0`;
    const victim = scope.name('victim');
    try {
      await execa('ip', ['netns', 'add', netns]);
      await execa('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await execa('ip', ['link', 'set', hostIf, 'master', lab().bridge, 'up']);
      await execa('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
      await scope.run(K8S, victim, `/run/netns/${netns}`, { 'io.kubernetes.pod.name': 'victim', 'io.kubernetes.pod.namespace': podNs });
      // Stopped once every point is armed (a fixed delay fails on a loaded machine, where
      // the look-up alone may take seconds).
      const child = execa(process.execPath, [BIN, 'trace', `pod:${podNs}/victim`, '-d', '20', '-q'], { reject: false, stdin: 'ignore', timeout: 60_000 });
      await untilArmed(child);
      await new Promise((r) => setTimeout(r, 500));
      // What kubelet does when the pod is deleted: the task ends, then CNI DEL removes the veth.
      await scope.stopTask(K8S, victim);
      await execa('ip', ['link', 'del', hostIf]);
      const done = await child;
      const r = { exitCode: done.exitCode ?? -1, stderr: String(done.stderr) };
      expect(r.exitCode, r.stderr).toBe(3);
      expect(r.stderr).toMatch(new RegExp(`capture at ${podNs}/victim:eth0 ended before the trace did: its namespace went away`));
    } finally {
      await execa('ip', ['link', 'del', hostIf], { reject: false });
      await execa('ip', ['netns', 'del', netns], { reject: false });
    }
  });

  /** Starts a fresh task for a container whose task was deleted. */
  async function runCtrStart(id: string): Promise<void> {
    await execa('ctr', ['--namespace', K8S, 'tasks', 'start', '-d', id], { timeout: 60_000 });
  }
});
