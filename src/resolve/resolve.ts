import { VethcapError } from '../errors.js';
import { run } from '../exec/run.js';
import { requireTools } from '../exec/tools.js';
import { requireCapabilities } from '../exec/privileges.js';
import { connectDocker, runningContainers, type DockerApi } from '../targets/docker.js';
import { connectPodman, connectRootlessPodman, rootlessNetnsPath, type PodmanApi } from '../targets/podman.js';
import { podmanDisplayName } from '../targets/podman-output.js';
import { locateBareName, type Runtimes } from './bare-name.js';
import { locateContainer } from './locate-container.js';
import { locatePodmanContainer, rootlessInterfaces, type RootlessFacts } from './locate-podman.js';
import { parseTargetSpec, type TargetSpec } from '../targets/spec.js';
import { connectContainerd, containerdOwners, locatePod, locateTask, type ContainerdApi } from '../targets/containerd.js';
import { HOST_NETNS_PATH, listNamedNetns, namedNetns, netnsInode, processNetns } from '../targets/namespace.js';
import { parseIpLinks, type LinkInfo } from './ip-link.js';
import { ownersOf, pairInterfaces } from './pairing.js';
import type { NetnsRef, ResolveResult, ResolvedTarget } from './types.js';

export interface ResolveOptions {
  /** The Docker API; connected lazily from DOCKER_HOST when a target needs it. */
  docker?: DockerApi;
  /** Look into other containers and named namespaces to name the owner of each bridge port (default true). */
  discoverOwners?: boolean;
  /** Whose rootless Podman `podman:` targets are looked for in too (default: SUDO_USER). */
  user?: string;
  /** Check for ip, nsenter and the privileges first (default true); false when the caller checks them itself. */
  checks?: boolean;
}

/** A target located: its namespace and how it got there, before looking inside. */
type Located = Omit<ResolvedTarget, 'target' | 'interfaces'> & { spec: TargetSpec; rootless?: RootlessFacts };

/** How many namespaces are looked into at once while naming bridge ports' owners. */
const OWNER_LOOKUPS_AT_ONCE = 8;

const IP_ARGS = ['-j', '-d', 'addr', 'show'] as const;

export function readLinks(netns?: string): Promise<LinkInfo[]> {
  return run('ip', IP_ARGS, netns ? { netns } : {}).then((out) => parseIpLinks(out));
}

/** Resolves each target to its interfaces, veth peers and bridges, as the kernel reports them. */
export async function resolveTargets(rawTargets: readonly string[], options: ResolveOptions = {}): Promise<ResolveResult> {
  const specs = rawTargets.map(parseTargetSpec);
  if (options.checks ?? true) await inOrder([requireTools(['ip', 'nsenter']), requireCapabilities(['SYS_ADMIN'], 'entering a network namespace')]);
  let docker = options.docker;
  const dockerApi = (): DockerApi => (docker ??= connectDocker());
  let podman: PodmanApi | undefined;
  let containerd: ContainerdApi | undefined;
  const runtimes: Runtimes = {
    docker: dockerApi,
    podman: () => (podman ??= connectPodman()),
    containerd: () => (containerd ??= connectContainerd()),
    ...(options.user ? { user: options.user } : {}),
  };

  // The look-ups run side by side (each is a process or a Docker request), and each target's
  // interfaces are read as soon as its namespace is known; a failure is reported for the
  // first target in command-line order, as if they had run in turn.
  const hostLinksRead = readLinks();
  hostLinksRead.catch(() => undefined); // awaited below, unless a target fails first
  const hostInode = netnsInode(HOST_NETNS_PATH);
  hostInode.catch(() => undefined); // awaited where needed
  const found = firstFailure(
    await Promise.allSettled(
      specs.map(async (spec) => {
        const target = await locate(spec, runtimes, hostInode);
        const links = readLinks(target.netns.path);
        links.catch(() => undefined); // awaited below, unless another target fails first
        return { target: spec.alias ? { ...target, name: spec.alias } : target, links };
      }),
    ),
  );
  const located = found.map((f) => f.target);
  const linksRead = Promise.all(found.map((f) => f.links));
  linksRead.catch(() => undefined);
  const hostLinks = await hostLinksRead;
  const owners = options.discoverOwners === false ? new Map<string, string>() : await discoverOwners(hostLinks, await hostInode, located, tryDocker(dockerApi), runtimes);
  const linksOf = await linksRead;
  const rootlessViews = await readRootlessViews(located, options.discoverOwners !== false);
  const targets: ResolvedTarget[] = located.map(({ spec, rootless, ...facts }, i) => {
    const interfaces = pairInterfaces(linksOf[i]!, hostLinks, owners);
    const view = rootless ? rootlessViews.get(rootless.user.name) : undefined;
    return {
      target: spec.raw,
      ...facts,
      interfaces: rootless ? rootlessInterfaces(rootless, interfaces, linksOf[i]!, view, view?.owners ?? new Map<string, string>()) : interfaces,
    };
  });
  return { targets };
}

/**
 * For each user whose rootless container is a target (on a CNI bridge): their rootless
 * network namespace's links, and, when owners are wanted, which of their running containers
 * is behind each port there. Missing pieces are left out: a note then says less.
 */
async function readRootlessViews(located: readonly Located[], withOwners: boolean): Promise<Map<string, { path: string; links: LinkInfo[]; owners: Map<string, string> }>> {
  const users = new Map(located.flatMap((l) => (l.rootless && !l.rootless.userMode ? [[l.rootless.user.name, l.rootless.user] as const] : [])));
  const views = new Map<string, { path: string; links: LinkInfo[]; owners: Map<string, string> }>();
  await Promise.all(
    [...users.values()].map(async (user) => {
      const path = await rootlessNetnsPath(user);
      const links = path ? await readLinks(path).catch(() => undefined) : undefined;
      if (!path || !links) return;
      const owners = new Map<string, string>();
      if (withOwners) {
        const running = await connectRootlessPodman(user).running().catch(() => []);
        for (const c of running) {
          const nsLinks = await readLinks(`/proc/${c.pid}/ns/net`).catch(() => undefined);
          if (nsLinks) for (const [port, owner] of ownersOf(podmanDisplayName(c), nsLinks, links)) owners.set(port, owner);
        }
      }
      views.set(user.name, { path, links, owners });
    }),
  );
  return views;
}

/** Awaits checks that run side by side; the first to fail in the given order is thrown. */
export async function inOrder(checks: ReadonlyArray<Promise<unknown>>): Promise<void> {
  for (const c of checks) c.catch(() => undefined);
  for (const c of checks) await c;
}

function firstFailure<T>(results: ReadonlyArray<PromiseSettledResult<T>>): T[] {
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

async function locate(spec: TargetSpec, runtimes: Runtimes, hostInode: Promise<number>): Promise<Located> {
  switch (spec.kind) {
    case 'pid': {
      const netns = await processNetns(spec.pid);
      rejectHost(netns, await hostInode, `process ${spec.pid} runs in the host's network namespace: there is no veth pair to follow; capture on the host's interfaces directly.`);
      return { spec, kind: 'pid', name: `pid:${spec.pid}`, id: null, pid: spec.pid, netns, networkMode: null, sharedWith: null };
    }
    case 'netns': {
      const netns = await namedNetns(spec.name);
      rejectHost(netns, await hostInode, `namespace ${spec.name} is the host's own network namespace.`);
      return { spec, kind: 'netns', name: spec.name, id: null, pid: null, netns, networkMode: null, sharedWith: null };
    }
    case 'docker':
      return { spec, ...(await locateContainer('docker', spec.ref, runtimes.docker())) };
    case 'podman':
      return { spec, ...(await locatePodmanContainer(spec.ref, runtimes.podman(), process.env, runtimes.user)) };
    case 'name':
      return { spec, ...(await locateBareName(spec.ref, runtimes)) };
    case 'containerd':
    case 'pod':
      return locateInContainerd(spec, runtimes.containerd());
  }
}

/** containerd:NAMESPACE/ID and pod:NAMESPACE/NAME, both through containerd (src/targets/containerd.ts). */
async function locateInContainerd(spec: TargetSpec & { kind: 'containerd' | 'pod' }, api: ContainerdApi): Promise<Located> {
  const found = spec.kind === 'containerd' ? await locateTask(api, spec.namespace, spec.ref) : await locatePod(api, spec.namespace, spec.name);
  return { spec, ...found };
}

function rejectHost(netns: NetnsRef, hostInode: number, message: string): void {
  if (netns.inode === hostInode) throw new VethcapError('TARGET_UNSUPPORTED', message);
}

/** Podman's running containers with their PIDs; none when Podman is absent or does not answer (owners are a nicety). */
async function podmanOwners(api: PodmanApi): Promise<Array<{ pid: number; name: string }>> {
  try {
    if (!(await api.mode())) return [];
    return (await api.running()).map((r) => ({ pid: r.pid, name: podmanDisplayName(r) }));
  } catch (error) {
    if (error instanceof VethcapError) return [];
    throw error;
  }
}

/** Docker is optional for owner discovery: when no target needed it, an absent daemon is fine. */
function tryDocker(api: () => DockerApi): () => DockerApi | undefined {
  return () => {
    try {
      return api();
    } catch {
      return undefined;
    }
  };
}

/**
 * Names the namespace end behind each host veth, by pairing every running container's
 * and every named namespace's interfaces with the host's. One `ip` per namespace.
 */
async function discoverOwners(
  hostLinks: readonly LinkInfo[],
  hostInode: number,
  located: readonly Located[],
  docker: () => DockerApi | undefined,
  runtimes: Runtimes,
): Promise<Map<string, string>> {
  // containerd's tasks (pods by NAMESPACE/NAME) are asked for beside Docker's containers,
  // and rank after them (Docker's own tasks in containerd's moby namespace are the same
  // namespaces) and before named namespaces (a CNI's cni-… name says less than the pod's).
  const tasks = containerdOwners(runtimes.containerd());
  tasks.catch(() => undefined); // awaited below
  // Podman's running containers, in one call (its list has their PIDs), ranked after
  // Docker's and before containerd's (Podman keeps none there) and named namespaces
  // (its CNI namespaces are named netns-<uuid> in /run/netns).
  const podmen = podmanOwners(runtimes.podman());
  podmen.catch(() => undefined); // awaited below
  const candidates = new Map<number, { display: string; path: string }>();
  // Targets first so their own names win for a shared namespace.
  for (const t of located) candidates.set(t.netns.inode, { display: t.sharedWith ?? t.name, path: t.netns.path });
  const api = docker();
  if (api) {
    try {
      for (const info of await runningContainers(api)) {
        if (info.pid <= 0 || info.networkMode.startsWith('container:')) continue;
        const ref = await processNetns(info.pid).catch(() => undefined);
        if (ref && ref.inode !== hostInode && !candidates.has(ref.inode)) candidates.set(ref.inode, { display: info.name, path: ref.path });
      }
    } catch (error) {
      if (!(error instanceof VethcapError && error.code === 'DOCKER_UNAVAILABLE')) throw error;
    }
  }
  for (const owner of await podmen) {
    const ref = await processNetns(owner.pid).catch(() => undefined);
    if (ref && ref.inode !== hostInode && !candidates.has(ref.inode)) candidates.set(ref.inode, { display: owner.name, path: ref.path });
  }
  for (const task of await tasks) {
    const ref = await processNetns(task.pid).catch(() => undefined);
    if (ref && ref.inode !== hostInode && !candidates.has(ref.inode)) candidates.set(ref.inode, { display: task.display, path: ref.path });
  }
  for (const name of await listNamedNetns()) {
    const ref = await namedNetns(name).catch(() => undefined);
    if (ref && ref.inode !== hostInode && !candidates.has(ref.inode)) candidates.set(ref.inode, { display: name, path: ref.path });
  }
  const owners = new Map<string, string>();
  const queue = [...candidates.values()];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const links = await readLinks(next.path).catch(() => undefined);
      if (!links) continue;
      for (const [host, owner] of ownersOf(next.display, links, hostLinks)) owners.set(host, owner);
    }
  };
  await Promise.all(Array.from({ length: Math.min(OWNER_LOOKUPS_AT_ONCE, queue.length) }, worker));
  return owners;
}
