/**
 * Every target vethcap could capture right now, from every runtime it knows: what
 * Wireshark's interface list (`vethcap extcap`) and shell completion offer. One lister per
 * runtime in LISTERS; a runtime that is absent, or whose socket this user cannot read,
 * contributes nothing (the listing is a convenience, never a reason to fail). Adding a
 * runtime is one entry in LISTERS.
 */
import { connectContainerd, K8S_NAMESPACE, type ContainerdApi } from './containerd.js';
import { POD_NAME_LABEL, POD_NAMESPACE_LABEL, shortId, type TaskRow } from './ctr-output.js';
import { connectDocker, runningContainers, type DockerApi } from './docker.js';
import { HOST_NETNS_PATH, listNamedNetns, netnsInode, processNetns } from './namespace.js';
import { connectPodman, type PodmanApi } from './podman.js';
import { podmanDisplayName } from './podman-output.js';

/** A target as `vethcap trace` takes it, and what to call it for people. */
export interface CaptureTarget {
  /** The target spec: a container name, containerd:NAMESPACE/ID, pod:NAMESPACE/NAME, netns:NAME. */
  spec: string;
  /** Which runtime listed it: docker, containerd, pod, netns, … */
  runtime: string;
  /** A few words for a menu, e.g. "Docker container web (198.18.0.3)". */
  description: string;
}

/** One runtime's listing. It may throw: listCaptureTargets takes a failure for "nothing here". */
export interface TargetLister {
  runtime: string;
  list(env: NodeJS.ProcessEnv): Promise<CaptureTarget[]>;
}

/** The containerd namespace dockerd runs its containers in. */
const DOCKER_NAMESPACE = 'moby';

/** Network modes whose container has no namespace of its own to capture in. */
const NO_OWN_NETNS = /^(host|none|container:.*)$/;

export function dockerLister(connect: (env: NodeJS.ProcessEnv) => DockerApi = connectDocker): TargetLister {
  return {
    runtime: 'docker',
    async list(env) {
      const containers = await runningContainers(connect(env));
      return containers
        .filter((c) => c.running && !NO_OWN_NETNS.test(c.networkMode))
        .map((c) => {
          const ips = Object.values(c.networks)
            .map((n) => n.ip)
            .filter(Boolean);
          return { spec: c.name, runtime: 'docker', description: `Docker container ${c.name}${ips.length > 0 ? ` (${ips.join(', ')})` : ''}` };
        });
    },
  };
}

/**
 * containerd's running tasks: those of k8s.io as pods (one per network namespace, named by
 * their Kubernetes labels, as kubelet runs them), the others as containerd:NAMESPACE/ID.
 */
export function containerdLister(connect: (env: NodeJS.ProcessEnv) => ContainerdApi = connectContainerd, netnsOf: (pid: number) => Promise<number> = async (pid) => (await processNetns(pid)).inode): TargetLister {
  return {
    runtime: 'containerd',
    async list(env) {
      const api = connect(env);
      if (!(await api.present())) return [];
      const out: CaptureTarget[] = [];
      for (const namespace of await api.namespaces()) {
        // Docker's own tasks: listed as Docker containers, by their names.
        if (namespace === DOCKER_NAMESPACE) continue;
        const running = (await api.tasks(namespace)).filter((t) => t.pid > 0 && /^RUNNING$/i.test(t.status));
        if (namespace === K8S_NAMESPACE) out.push(...(await pods(api, running, netnsOf)));
        else out.push(...running.map((t) => ({ spec: `containerd:${namespace}/${t.id}`, runtime: 'containerd', description: `containerd task ${shortId(t.id)} (namespace ${namespace})` })));
      }
      return out;
    },
  };
}

/** k8s.io's tasks, one per network namespace (a pod's containers share one), named by the pod's labels. */
async function pods(api: ContainerdApi, running: readonly TaskRow[], netnsOf: (pid: number) => Promise<number>): Promise<CaptureTarget[]> {
  const byNetns = new Map<number, TaskRow>();
  for (const task of running) {
    const inode = await netnsOf(task.pid).catch(() => undefined);
    if (inode !== undefined && !byNetns.has(inode)) byNetns.set(inode, task);
  }
  const out: CaptureTarget[] = [];
  for (const task of byNetns.values()) {
    const labels = await api.labels(K8S_NAMESPACE, task.id).catch(() => ({}) as Record<string, string>);
    const name = labels[POD_NAME_LABEL];
    const namespace = labels[POD_NAMESPACE_LABEL];
    if (name && namespace) out.push({ spec: `pod:${namespace}/${name}`, runtime: 'pod', description: `Kubernetes pod ${namespace}/${name}` });
    else out.push({ spec: `containerd:${K8S_NAMESPACE}/${task.id}`, runtime: 'containerd', description: `containerd task ${shortId(task.id)} (namespace ${K8S_NAMESPACE})` });
  }
  return out;
}

/**
 * Rootful Podman's running containers, as podman:NAME (a bare name could also be Docker's).
 * One list call (Podman's list carries the PIDs); a container in the host's network
 * namespace (--network host) is left out, having no veth pair to follow.
 */
export function podmanLister(connect: (env: NodeJS.ProcessEnv) => PodmanApi = connectPodman, netnsOf: (pid: number) => Promise<number> = async (pid) => (await processNetns(pid)).inode, hostInode: () => Promise<number> = () => netnsInode(HOST_NETNS_PATH)): TargetLister {
  return {
    runtime: 'podman',
    async list(env) {
      const api = connect(env);
      if (!(await api.mode())) return [];
      const host = await hostInode();
      const out: CaptureTarget[] = [];
      for (const row of await api.running()) {
        if (row.pid <= 0) continue;
        const inode = await netnsOf(row.pid).catch(() => undefined);
        if (inode === undefined || inode === host) continue;
        const name = podmanDisplayName(row);
        out.push({ spec: `podman:${name}`, runtime: 'podman', description: `Podman container ${name}` });
      }
      return out;
    },
  };
}

export function netnsLister(list: () => Promise<string[]> = listNamedNetns): TargetLister {
  return {
    runtime: 'netns',
    async list() {
      return (await list()).map((name) => ({ spec: `netns:${name}`, runtime: 'netns', description: `network namespace ${name}` }));
    },
  };
}

/** The runtimes vethcap lists, in the order their targets are shown. Add a runtime here. */
export const LISTERS: readonly TargetLister[] = [dockerLister(), podmanLister(), containerdLister(), netnsLister()];

export interface ListOptions {
  listers?: readonly TargetLister[];
  env?: NodeJS.ProcessEnv;
  /** Give up on a runtime that has not answered after this long (default 5000 ms). */
  timeoutMs?: number;
}

/**
 * Every running target of every runtime, in LISTERS' order, each spec once. The listers run
 * at once; one that fails or does not answer in time contributes nothing.
 */
export async function listCaptureTargets(options: ListOptions = {}): Promise<CaptureTarget[]> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 5000;
  const lists = await Promise.all((options.listers ?? LISTERS).map((lister) => withTimeout(lister.list(env), timeoutMs).catch(() => [] as CaptureTarget[])));
  const seen = new Set<string>();
  return lists.flat().filter((t) => !seen.has(t.spec) && Boolean(seen.add(t.spec)));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
