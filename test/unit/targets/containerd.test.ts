import { describe, expect, it } from 'vitest';
import { parseTargetSpec } from '../../../src/targets/spec.js';
import {
  containerdAddress,
  matchTask,
  parseContainerLabels,
  parseQuietList,
  parseTaskList,
  podFilter,
  shortId,
} from '../../../src/targets/ctr-output.js';
import { containerdOwners, ctrError, findTask, locatePod, type ContainerdApi } from '../../../src/targets/containerd.js';
import { VethcapError } from '../../../src/errors.js';
import type { TaskRow } from '../../../src/targets/ctr-output.js';

describe('parseTargetSpec: containerd: and pod:', () => {
  it('reads containerd:NAMESPACE/ID and pod:NAMESPACE/NAME', () => {
    expect(parseTargetSpec('containerd:default/web')).toEqual({ kind: 'containerd', namespace: 'default', ref: 'web', raw: 'containerd:default/web' });
    expect(parseTargetSpec('containerd:k8s.io/abc')).toEqual({ kind: 'containerd', namespace: 'k8s.io', ref: 'abc', raw: 'containerd:k8s.io/abc' });
    expect(parseTargetSpec('pod:kube-system/coredns-5d78c9869d-x7k2p')).toEqual({ kind: 'pod', namespace: 'kube-system', name: 'coredns-5d78c9869d-x7k2p', raw: 'pod:kube-system/coredns-5d78c9869d-x7k2p' });
    expect(parseTargetSpec('pod:shop/web-1.v2')).toMatchObject({ kind: 'pod', namespace: 'shop', name: 'web-1.v2' });
  });
  it('takes an alias for the labels', () => {
    expect(parseTargetSpec('db=pod:shop/db-0')).toMatchObject({ kind: 'pod', namespace: 'shop', name: 'db-0', alias: 'db', raw: 'db=pod:shop/db-0' });
  });
  it('refuses malformed ones with a sentence saying how to write them', () => {
    for (const bad of ['containerd:web', 'containerd:/web', 'containerd:default/', 'containerd:def ault/web', 'containerd:default/we b', 'containerd:default/a/b']) {
      expect(() => parseTargetSpec(bad), bad).toThrow(/is not a containerd task: write containerd:NAMESPACE\/ID, e\.g\. containerd:default\/web/);
    }
    // Kubernetes names: lower case DNS labels (namespace) and subdomains (pod).
    for (const bad of ['pod:web', 'pod:/web', 'pod:default/', 'pod:Default/web', 'pod:default/Web', 'pod:default/-web', 'pod:a.b/web', 'pod:default/web"x']) {
      expect(() => parseTargetSpec(bad), bad).toThrow(/is not a pod: write pod:NAMESPACE\/NAME/);
    }
    try {
      parseTargetSpec('pod:web');
    } catch (error) {
      expect(error).toMatchObject({ code: 'USAGE' });
    }
  });
});

describe("ctr's output", () => {
  it('reads `ctr tasks ls` (as containerd 1.6 prints it)', () => {
    const text = 'TASK            PID    STATUS    \nweb             4512   RUNNING\nold             0      STOPPED\n';
    expect(parseTaskList(text)).toEqual([
      { id: 'web', pid: 4512, status: 'RUNNING' },
      { id: 'old', pid: 0, status: 'STOPPED' },
    ]);
    expect(parseTaskList('TASK    PID    STATUS    ')).toEqual([]);
  });
  it('reads -q listings and the labels of `ctr containers info`', () => {
    expect(parseQuietList('a\nb\n\n')).toEqual(['a', 'b']);
    const info = JSON.stringify({ ID: 'c1', Labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'shop', n: 3 }, Image: 'x' });
    expect(parseContainerLabels(info)).toEqual({ 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'shop' });
    expect(parseContainerLabels('not json')).toEqual({});
    expect(parseContainerLabels('{"Labels":null}')).toEqual({});
  });
  it('honours CONTAINERD_ADDRESS as ctr does, with or without unix://', () => {
    expect(containerdAddress({})).toBe('/run/containerd/containerd.sock');
    expect(containerdAddress({ CONTAINERD_ADDRESS: '' })).toBe('/run/containerd/containerd.sock');
    expect(containerdAddress({ CONTAINERD_ADDRESS: '/run/k3s/containerd/containerd.sock' })).toBe('/run/k3s/containerd/containerd.sock');
    expect(containerdAddress({ CONTAINERD_ADDRESS: 'unix:///tmp/c.sock' })).toBe('/tmp/c.sock');
  });
  it("filters a pod's containers by kubelet's labels, values quoted", () => {
    expect(podFilter('shop', 'web-1.v2')).toBe('labels."io.kubernetes.pod.name"=="web-1.v2",labels."io.kubernetes.pod.namespace"=="shop"');
    expect(podFilter('shop', 'web', true)).toMatch(/,labels\."io\.cri-containerd\.kind"=="sandbox"$/);
  });
  it('shortens 64-hex IDs to 12 and matches exact IDs before prefixes', () => {
    const hex = 'ab'.repeat(32);
    expect(shortId(hex)).toBe('abababababab');
    expect(shortId('web')).toBe('web');
    const tasks: TaskRow[] = [
      { id: 'web', pid: 1, status: 'RUNNING' },
      { id: 'web2', pid: 2, status: 'RUNNING' },
      { id: 'db', pid: 3, status: 'RUNNING' },
    ];
    expect(matchTask(tasks, 'web').match?.id).toBe('web');
    expect(matchTask(tasks, 'd').match?.id).toBe('db');
    expect(matchTask(tasks, 'w').match).toBeUndefined();
    expect(matchTask(tasks, 'w').candidates).toHaveLength(2);
  });
});

/** containerd answering from lists: tests the rules, not containerd. */
function fakeContainerd(state: {
  namespaces?: string[];
  tasks?: Record<string, TaskRow[]>;
  containers?: Record<string, Array<{ id: string; labels?: Record<string, string> }>>;
  present?: boolean;
}): ContainerdApi {
  const containers = state.containers ?? {};
  return {
    address: '/fake/containerd.sock',
    present: async () => state.present ?? true,
    namespaces: async () => state.namespaces ?? Object.keys({ ...state.tasks, ...containers }),
    tasks: async (ns) => state.tasks?.[ns] ?? [],
    containers: async (ns, filter) => {
      const all = containers[ns] ?? [];
      if (!filter) return all.map((c) => c.id);
      const wanted = [...filter.matchAll(/labels\."([^"]+)"=="([^"]+)"/g)].map((m) => [m[1]!, m[2]!] as const);
      return all.filter((c) => wanted.every(([k, v]) => c.labels?.[k] === v)).map((c) => c.id);
    },
    labels: async (ns, id) => containers[ns]?.find((c) => c.id === id)?.labels ?? {},
  };
}

describe('findTask', () => {
  const api = fakeContainerd({
    tasks: { default: [{ id: 'web', pid: 10, status: 'RUNNING' }, { id: 'old', pid: 0, status: 'STOPPED' }, { id: 'aa1', pid: 11, status: 'RUNNING' }, { id: 'aa2', pid: 12, status: 'RUNNING' }] },
    containers: { default: [{ id: 'web' }, { id: 'old' }, { id: 'aa1' }, { id: 'aa2' }, { id: 'created' }] },
  });
  it('finds a running task by ID or unique prefix', async () => {
    expect(await findTask(api, 'default', 'web')).toEqual({ id: 'web', pid: 10, status: 'RUNNING' });
    expect((await findTask(api, 'default', 'we')).id).toBe('web');
  });
  it('says a stopped task, or a container without a task, is not running, and how to start it', async () => {
    await expect(findTask(api, 'default', 'old')).rejects.toMatchObject({ code: 'TARGET_NOT_RUNNING', message: 'containerd task default/old is stopped, so it has no network namespace to look at.', hint: expect.stringMatching(/ctr -n default tasks start old/) });
    await expect(findTask(api, 'default', 'created')).rejects.toMatchObject({ code: 'TARGET_NOT_RUNNING', message: expect.stringMatching(/container default\/created has no task/) });
  });
  it('lists the tasks an ambiguous prefix matches', async () => {
    await expect(findTask(api, 'default', 'aa')).rejects.toMatchObject({ code: 'TARGET_AMBIGUOUS', message: 'the ID prefix aa matches 2 containerd tasks: default/aa1, default/aa2.' });
  });
  it('names a namespace containerd does not have, and suggests close IDs', async () => {
    await expect(findTask(api, 'k8s', 'web')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND', message: 'containerd at /fake/containerd.sock has no namespace k8s; it has default.' });
    await expect(findTask(api, 'default', 'wbe')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND', message: 'no containerd task wbe in namespace default; did you mean web?' });
  });
});

describe('locatePod', () => {
  const pod = (name: string, ns: string, extra: Record<string, string> = {}) => ({ 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': ns, ...extra });
  it('says which labels it looked for when no container carries them', async () => {
    const api = fakeContainerd({ containers: { 'k8s.io': [{ id: 'x', labels: pod('web', 'other') }] } });
    await expect(locatePod(api, 'shop', 'web')).rejects.toMatchObject({
      code: 'TARGET_NOT_FOUND',
      message: "no pod shop/web on this node: no container in containerd's k8s.io namespace carries kubelet's labels io.kubernetes.pod.namespace=shop and io.kubernetes.pod.name=web.",
    });
  });
  it('says a pod whose containers all stopped is not running', async () => {
    const api = fakeContainerd({ containers: { 'k8s.io': [{ id: 's', labels: pod('web', 'shop') }] }, tasks: { 'k8s.io': [{ id: 's', pid: 0, status: 'STOPPED' }] } });
    await expect(locatePod(api, 'shop', 'web')).rejects.toMatchObject({ code: 'TARGET_NOT_RUNNING' });
  });
  it("takes the running sandbox's process when the CRI marked one", async () => {
    const api = fakeContainerd({
      containers: { 'k8s.io': [{ id: 'app', labels: pod('web', 'shop') }, { id: 'sandbox', labels: pod('web', 'shop', { 'io.cri-containerd.kind': 'sandbox' }) }] },
      tasks: { 'k8s.io': [{ id: 'app', pid: process.pid, status: 'RUNNING' }, { id: 'sandbox', pid: process.pid, status: 'RUNNING' }] },
    });
    // This process runs in the host's namespace here, which is exactly the hostNetwork case.
    await expect(locatePod(api, 'shop', 'web')).rejects.toMatchObject({ code: 'TARGET_UNSUPPORTED', message: expect.stringMatching(/^pod shop\/web runs with hostNetwork/) });
  });
});

describe('containerdOwners', () => {
  it('is empty, without a call, when containerd is not running', async () => {
    const api = fakeContainerd({ present: false });
    api.namespaces = () => Promise.reject(new Error('must not be asked'));
    expect(await containerdOwners(api)).toEqual([]);
  });
  it('names pods by NAMESPACE/NAME and other tasks by ID, running ones only', async () => {
    const api = fakeContainerd({
      namespaces: ['default', 'k8s.io'],
      tasks: { default: [{ id: 'web', pid: process.pid, status: 'RUNNING' }, { id: 'old', pid: 0, status: 'STOPPED' }], 'k8s.io': [{ id: 'c'.repeat(64), pid: process.pid, status: 'RUNNING' }] },
      containers: { 'k8s.io': [{ id: 'c'.repeat(64), labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'shop' } }] },
    });
    expect(await containerdOwners(api)).toEqual([
      { pid: process.pid, display: 'web' },
      { pid: process.pid, display: 'shop/web' },
    ]);
  });
});

describe("ctr's dial errors in words (stderr as containerd 1.6's ctr printed it here)", () => {
  const SOCK = '/run/containerd/containerd.sock';
  const failed = (code: 'COMMAND_FAILED' | 'PERMISSION', stderr: string) => new VethcapError(code, 'ctr failed (exit 1).', { command: 'ctr tasks ls', stderr });
  it('permission denied on the socket: PERMISSION with what to do', () => {
    // run() already calls this a PERMISSION; the sentence names containerd's socket.
    const e = ctrError(SOCK, failed('PERMISSION', `ctr: failed to dial "${SOCK}": connection error: desc = "transport: error while dialing: dial unix ${SOCK}: connect: permission denied"`));
    expect(e).toMatchObject({ code: 'PERMISSION', message: `permission denied on containerd's socket ${SOCK}: run vethcap as root.` });
  });
  it('refused or timed out: RUNTIME_UNAVAILABLE, saying which', () => {
    const refused = ctrError('/tmp/x.sock', failed('COMMAND_FAILED', 'ctr: failed to dial "/tmp/x.sock": connection error: desc = "transport: error while dialing: dial unix /tmp/x.sock: connect: connection refused"'));
    expect(refused).toMatchObject({ code: 'RUNTIME_UNAVAILABLE', message: 'containerd does not answer at /tmp/x.sock (connection refused).', hint: expect.stringMatching(/start containerd \(or set CONTAINERD_ADDRESS/) });
    const silent = ctrError('/tmp/x.sock', failed('COMMAND_FAILED', 'ctr: failed to dial "/tmp/x.sock": context deadline exceeded: connection error: desc = "transport: error while dialing: dial unix:///tmp/x.sock: timeout"'));
    expect(silent).toMatchObject({ code: 'RUNTIME_UNAVAILABLE', message: 'containerd does not answer at /tmp/x.sock (no answer within 3s).' });
  });
  it('leaves other failures as they are', () => {
    const other = failed('COMMAND_FAILED', 'ctr: container "x" in namespace "default": not found');
    expect(ctrError(SOCK, other)).toBe(other);
  });
});
