import { describe, expect, it } from 'vitest';
import { containerdLister, listCaptureTargets, netnsLister, podmanLister, type TargetLister } from '../../../src/targets/inventory.js';
import type { ContainerdApi } from '../../../src/targets/containerd.js';
import type { TaskRow } from '../../../src/targets/ctr-output.js';
import type { PodmanApi } from '../../../src/targets/podman.js';

const fixed = (runtime: string, specs: string[]): TargetLister => ({ runtime, list: async () => specs.map((spec) => ({ spec, runtime, description: spec })) });

describe('listCaptureTargets', () => {
  it("every lister's targets in order, each spec once; a failing or silent runtime contributes nothing", async () => {
    const failing: TargetLister = { runtime: 'gone', list: () => Promise.reject(new Error('no socket')) };
    const silent: TargetLister = { runtime: 'slow', list: () => new Promise(() => undefined) };
    const targets = await listCaptureTargets({ listers: [fixed('docker', ['web', 'db']), failing, silent, fixed('netns', ['netns:lab1', 'web'])], timeoutMs: 50 });
    expect(targets.map((t) => t.spec)).toEqual(['web', 'db', 'netns:lab1']);
  });

  it('netns: names as netns:NAME', async () => {
    expect((await netnsLister(async () => ['a', 'b']).list({})).map((t) => t.spec)).toEqual(['netns:a', 'netns:b']);
  });

  it('containerd: pods by their labels (one per network namespace), other tasks as containerd:NS/ID, Docker\'s own (moby) left to Docker', async () => {
    const tasks: Record<string, TaskRow[]> = {
      default: [{ id: 'web', pid: 10, status: 'RUNNING' }, { id: 'old', pid: 0, status: 'STOPPED' }],
      'k8s.io': [{ id: 'pause1', pid: 20, status: 'RUNNING' }, { id: 'app1', pid: 21, status: 'RUNNING' }, { id: 'bare', pid: 30, status: 'RUNNING' }],
      moby: [{ id: 'abc', pid: 40, status: 'RUNNING' }],
    };
    const labels: Record<string, Record<string, string>> = { pause1: { 'io.kubernetes.pod.name': 'db-0', 'io.kubernetes.pod.namespace': 'shop' } };
    const api: ContainerdApi = {
      address: '/run/containerd/containerd.sock',
      present: async () => true,
      namespaces: async () => Object.keys(tasks),
      tasks: async (ns) => tasks[ns] ?? [],
      containers: async () => [],
      labels: async (_ns, id) => labels[id] ?? {},
    };
    const netns: Record<number, number> = { 20: 1, 21: 1, 30: 2 };
    const targets = await containerdLister(() => api, async (pid) => netns[pid]!).list({});
    expect(targets.map((t) => t.spec)).toEqual(['containerd:default/web', 'pod:shop/db-0', 'containerd:k8s.io/bare']);
  });

  it('containerd absent: nothing', async () => {
    const api = { present: async () => false } as unknown as ContainerdApi;
    expect(await containerdLister(() => api).list({})).toEqual([]);
  });

  it('podman: running containers as podman:NAME, not those in the host namespace or without a process', async () => {
    const rows = [
      { id: 'a'.repeat(64), names: ['web'], pid: 10, state: 'running' },
      { id: 'b'.repeat(64), names: ['hostnet'], pid: 11, state: 'running' },
      { id: 'c'.repeat(64), names: [], pid: 12, state: 'running' },
      { id: 'd'.repeat(64), names: ['stopped'], pid: 0, state: 'exited' },
    ];
    const api = { mode: async () => 'socket', running: async () => rows } as unknown as PodmanApi;
    const netns: Record<number, number> = { 10: 5, 11: 1, 12: 6 };
    const targets = await podmanLister(() => api, async (pid) => netns[pid]!, async () => 1).list({});
    expect(targets.map((t) => t.spec)).toEqual(['podman:web', `podman:${'c'.repeat(12)}`]);
  });

  it('podman absent: nothing', async () => {
    const api = { mode: async () => undefined } as unknown as PodmanApi;
    expect(await podmanLister(() => api).list({})).toEqual([]);
  });
});
