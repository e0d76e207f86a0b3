import { readdir, stat } from 'node:fs/promises';
import { VethcapError } from '../errors.js';
import { run } from '../exec/run.js';
import type { NetnsRef, ResolvedTarget } from '../resolve/types.js';
import {
  CONTAINERD_DEFAULT_ADDRESS,
  containerdAddress,
  matchTask,
  parseContainerLabels,
  parseQuietList,
  parseTaskList,
  podFilter,
  POD_NAME_LABEL,
  POD_NAMESPACE_LABEL,
  shortId,
  type TaskRow,
} from './ctr-output.js';
import { HOST_NETNS_PATH, netnsInode, processNetns } from './namespace.js';
import { closeNames } from './suggest.js';

/** containerd's namespace for what kubelet runs through the CRI. */
export const K8S_NAMESPACE = 'k8s.io';

/** The containerd calls vethcap makes; `ctr` in production, a list in the unit tests. */
export interface ContainerdApi {
  /** The socket, for messages. */
  readonly address: string;
  /** Whether the socket is there at all (no process started); false: containerd is not running. */
  present(): Promise<boolean>;
  namespaces(): Promise<string[]>;
  tasks(namespace: string): Promise<TaskRow[]>;
  /** Container IDs, optionally only those a ctr filter keeps. */
  containers(namespace: string, filter?: string): Promise<string[]>;
  labels(namespace: string, id: string): Promise<Record<string, string>>;
  /**
   * The task IDs per namespace as containerd's runtime state on disk shows them, without
   * running ctr (~200 ms a run here): what a bare name is checked against. Undefined when
   * that state is not where vethcap knows to look (containerd at another address).
   */
  taskIds?(): Promise<Map<string, string[]> | undefined>;
}

/** containerd's runtime v2 state under its default state dir: NAMESPACE/ID/ per task (the shim's bundle), while the task exists. */
export const TASK_STATE_DIR = '/run/containerd/io.containerd.runtime.v2.task';

/** How long ctr may take to connect before vethcap says containerd does not answer. */
const CONNECT_TIMEOUT = '3s';

/** containerd through `ctr`, at CONTAINERD_ADDRESS or /run/containerd/containerd.sock. */
export function connectContainerd(env: NodeJS.ProcessEnv = process.env): ContainerdApi {
  const address = containerdAddress(env);
  let checked: Promise<void> | undefined;
  const check = (): Promise<void> => (checked ??= checkSocket(address));
  const ctr = async (namespace: string | undefined, args: readonly string[]): Promise<string> => {
    await check();
    const global = ['--address', address, '--connect-timeout', CONNECT_TIMEOUT, ...(namespace ? ['--namespace', namespace] : [])];
    try {
      return await run('ctr', [...global, ...args]);
    } catch (error) {
      throw ctrError(address, error);
    }
  };
  return {
    address,
    present: () =>
      check().then(
      () => true,
      () => false,
    ),
    namespaces: async () => parseQuietList(await ctr(undefined, ['namespaces', 'ls', '-q'])),
    tasks: async (namespace) => parseTaskList(await ctr(namespace, ['tasks', 'ls'])),
    containers: async (namespace, filter) => parseQuietList(await ctr(namespace, ['containers', 'ls', '-q', ...(filter ? [filter] : [])])),
    labels: async (namespace, id) => parseContainerLabels(await ctr(namespace, ['containers', 'info', id])),
    taskIds: async () => (address === CONTAINERD_DEFAULT_ADDRESS ? readTaskState(TASK_STATE_DIR) : undefined),
  };
}

/** NAMESPACE/ID directories under a runtime state dir; undefined when it cannot be read. */
async function readTaskState(dir: string): Promise<Map<string, string[]> | undefined> {
  try {
    const namespaces = await readdir(dir, { withFileTypes: true });
    const out = new Map<string, string[]>();
    await Promise.all(
      namespaces
        .filter((n) => n.isDirectory())
        .map(async (n) => {
          const tasks = await readdir(`${dir}/${n.name}`, { withFileTypes: true }).catch(() => []);
          out.set(n.name, tasks.filter((t) => t.isDirectory()).map((t) => t.name));
        }),
    );
    return out;
  } catch {
    return undefined;
  }
}

/** The socket is looked at first: without it ctr would wait out its dial timeout to say so. */
async function checkSocket(address: string): Promise<void> {
  try {
    const info = await stat(address);
    if (!info.isSocket()) throw Object.assign(new Error('not a socket'), { code: 'ENOTSOCK' });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM') throw permissionDenied(address, error);
    const why = code === 'ENOENT' ? 'no such socket' : code === 'ENOTSOCK' ? 'it is not a socket' : error instanceof Error ? error.message : String(error);
    throw unavailable(address, why, error);
  }
}

function unavailable(address: string, why: string, cause: unknown): VethcapError {
  return new VethcapError('RUNTIME_UNAVAILABLE', `containerd does not answer at ${address} (${why}).`, {
    hint: 'start containerd (or set CONTAINERD_ADDRESS to the socket it listens on); without it, name the task\'s process as pid:N.',
    cause,
  });
}

function permissionDenied(address: string, cause: unknown): VethcapError {
  return new VethcapError('PERMISSION', `permission denied on containerd's socket ${address}: run vethcap as root.`, { cause });
}

/** ctr's failures in words: its dial errors name the socket's trouble. Exported for its unit test. */
export function ctrError(address: string, error: unknown): unknown {
  if (!(error instanceof VethcapError)) return error;
  const stderr = error.stderr ?? '';
  if (/failed to dial|connection error|context deadline exceeded/.test(stderr)) {
    if (/permission denied/i.test(stderr)) return permissionDenied(address, error);
    const why = /connection refused/.test(stderr) ? 'connection refused' : /deadline exceeded|timeout/.test(stderr) ? `no answer within ${CONNECT_TIMEOUT}` : 'cannot connect';
    return unavailable(address, why, error);
  }
  return error;
}

/** A containerd task or pod located: what resolve needs besides the spec. */
export type LocatedTask = Omit<ResolvedTarget, 'target' | 'interfaces'>;

/**
 * `containerd:NAMESPACE/REF`: the running task whose container ID is REF (or starts with
 * it), its init process's network namespace.
 */
export async function locateTask(api: ContainerdApi, namespace: string, ref: string): Promise<LocatedTask> {
  const task = await findTask(api, namespace, ref);
  const netns = await taskNetns(task.pid, namespace, task.id);
  await rejectHostNetns(netns, `containerd task ${namespace}/${task.id} runs in the host's network namespace (ctr run --net-host): there is no veth pair to follow; capture on the host's interfaces directly.`);
  return { kind: 'containerd', name: shortId(task.id), id: task.id, pid: task.pid, netns, networkMode: null, sharedWith: null };
}

/** The task of a container, as findTask's rules say; errors name what to do. */
export async function findTask(api: ContainerdApi, namespace: string, ref: string): Promise<TaskRow> {
  const tasks = await api.tasks(namespace);
  const { match, candidates } = matchTask(tasks, ref);
  if (match) {
    if (match.pid <= 0 || !/^(RUNNING|PAUSED|PAUSING)$/i.test(match.status)) {
      throw new VethcapError('TARGET_NOT_RUNNING', `containerd task ${namespace}/${match.id} is ${match.status.toLowerCase()}, so it has no network namespace to look at.`, {
        hint: `start it: ctr -n ${namespace} tasks start ${match.id} (or delete it and run the container again).`,
      });
    }
    return match;
  }
  if (candidates.length > 1) {
    const list = candidates.slice(0, 5).map((t) => `${namespace}/${t.id}`).join(', ');
    throw new VethcapError('TARGET_AMBIGUOUS', `the ID prefix ${ref} matches ${candidates.length} containerd tasks: ${list}.`, { hint: 'type more characters of the ID.' });
  }
  // No task: a container without one (created, never started), a wrong namespace, or nothing.
  const [containers, namespaces] = await Promise.all([api.containers(namespace), api.namespaces()]);
  const container = containers.find((id) => id === ref) ?? (containers.filter((id) => id.startsWith(ref)).length === 1 ? containers.find((id) => id.startsWith(ref)) : undefined);
  if (container) {
    throw new VethcapError('TARGET_NOT_RUNNING', `containerd container ${namespace}/${container} has no task (it was created but is not running), so it has no network namespace to look at.`, {
      hint: `start it: ctr -n ${namespace} tasks start -d ${container}`,
    });
  }
  if (!namespaces.includes(namespace)) {
    throw new VethcapError('TARGET_NOT_FOUND', `containerd at ${api.address} has no namespace ${namespace}${namespaces.length ? `; it has ${namespaces.join(', ')}` : ''}.`, {
      hint: 'write containerd:NAMESPACE/ID with a namespace `ctr namespaces ls` lists.',
    });
  }
  const suggestions = closeNames(ref, [...new Set([...tasks.map((t) => t.id), ...containers])]);
  throw new VethcapError('TARGET_NOT_FOUND', `no containerd task ${ref} in namespace ${namespace}${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ` (ctr -n ${namespace} tasks ls lists them).`}`);
}

/**
 * `pod:NAMESPACE/NAME`: the network namespace of a pod's sandbox, found through the labels
 * kubelet puts on the pod's containers in containerd's k8s.io namespace. The sandbox (the
 * CRI's `io.cri-containerd.kind=sandbox`) is preferred; without one running, any running
 * container of the pod (they all join the sandbox's namespace).
 */
export async function locatePod(api: ContainerdApi, namespace: string, name: string): Promise<LocatedTask> {
  const display = `${namespace}/${name}`;
  const [sandboxes, members, tasks] = await Promise.all([
    api.containers(K8S_NAMESPACE, podFilter(namespace, name, true)),
    api.containers(K8S_NAMESPACE, podFilter(namespace, name)),
    api.tasks(K8S_NAMESPACE),
  ]);
  if (members.length === 0) {
    throw new VethcapError('TARGET_NOT_FOUND', `no pod ${display} on this node: no container in containerd's ${K8S_NAMESPACE} namespace carries kubelet's labels ${POD_NAMESPACE_LABEL}=${namespace} and ${POD_NAME_LABEL}=${name}.`, {
      hint: `\`kubectl get pod -n ${namespace} ${name} -o wide\` names the node it runs on: run vethcap there.`,
    });
  }
  const running = (ids: readonly string[]) => tasks.filter((t) => ids.includes(t.id) && t.pid > 0 && /^RUNNING$/i.test(t.status));
  const chosen = running(sandboxes).length > 0 ? running(sandboxes) : running(members);
  if (chosen.length === 0) {
    throw new VethcapError('TARGET_NOT_RUNNING', `pod ${display} has containers on this node but none of them is running, so it has no network namespace to look at.`, {
      hint: `\`kubectl describe pod -n ${namespace} ${name}\` says why.`,
    });
  }
  const located = await Promise.all(chosen.map(async (t) => ({ task: t, netns: await taskNetns(t.pid, K8S_NAMESPACE, t.id) })));
  const inodes = new Set(located.map((l) => l.netns.inode));
  if (inodes.size > 1) {
    throw new VethcapError('TARGET_AMBIGUOUS', `pod ${display} has running containers in ${inodes.size} network namespaces: ${located.map((l) => `${shortId(l.task.id)} (pid ${l.task.pid})`).join(', ')}.`, {
      hint: `name one of them as containerd:${K8S_NAMESPACE}/ID.`,
    });
  }
  const { task, netns } = located[0]!;
  await rejectHostNetns(netns, `pod ${display} runs with hostNetwork: it shares the host's network namespace, so there is no veth pair to follow; capture on the host's interfaces directly.`);
  return { kind: 'pod', name: display, id: task.id, pid: task.pid, netns, networkMode: null, sharedWith: null };
}

async function taskNetns(pid: number, namespace: string, id: string): Promise<NetnsRef> {
  try {
    return await processNetns(pid);
  } catch (error) {
    if (error instanceof VethcapError && error.code === 'TARGET_NOT_FOUND') {
      throw new VethcapError('TARGET_NOT_RUNNING', `containerd task ${namespace}/${id} exited while vethcap looked at it.`, { cause: error });
    }
    throw error;
  }
}

async function rejectHostNetns(netns: NetnsRef, message: string): Promise<void> {
  if (netns.inode === (await netnsInode(HOST_NETNS_PATH))) throw new VethcapError('TARGET_UNSUPPORTED', message);
}

/** A running task that may own a bridge port: its process, and the name to show for it. */
export interface TaskOwner {
  pid: number;
  /** NAMESPACE/NAME for a pod's container, else the (short) container ID. */
  display: string;
}

/**
 * Every running containerd task, named for resolve's bridge-port owners: pods by
 * NAMESPACE/NAME (one `ctr containers info` per network namespace of k8s.io, not per
 * container), other tasks by ID. Empty when containerd is not running or does not
 * answer: owners are a nicety, never a reason to fail.
 */
export async function containerdOwners(api: ContainerdApi): Promise<TaskOwner[]> {
  if (!(await api.present())) return [];
  try {
    const namespaces = await api.namespaces();
    const perNamespace = await Promise.all(
      namespaces.map(async (namespace) => {
        const running = (await api.tasks(namespace)).filter((t) => t.pid > 0 && /^RUNNING$/i.test(t.status));
        if (namespace !== K8S_NAMESPACE) return running.map((t) => ({ pid: t.pid, display: shortId(t.id) }));
        return podOwners(api, running);
      }),
    );
    return perNamespace.flat();
  } catch (error) {
    if (error instanceof VethcapError) return [];
    throw error;
  }
}

/** k8s.io's tasks: one label look-up per network namespace, since a pod's containers share one. */
async function podOwners(api: ContainerdApi, running: readonly TaskRow[]): Promise<TaskOwner[]> {
  const byInode = new Map<number, TaskRow[]>();
  for (const t of running) {
    const inode = await processNetns(t.pid).then(
      (n) => n.inode,
      () => undefined,
    );
    if (inode === undefined) continue;
    byInode.set(inode, [...(byInode.get(inode) ?? []), t]);
  }
  return Promise.all(
    [...byInode.values()].map(async (group) => {
      const first = group[0]!;
      const labels = await api.labels(K8S_NAMESPACE, first.id).catch(() => ({}) as Record<string, string>);
      const pod = labels[POD_NAME_LABEL];
      const podNamespace = labels[POD_NAMESPACE_LABEL];
      return { pid: first.pid, display: pod && podNamespace ? `${podNamespace}/${pod}` : shortId(first.id) };
    }),
  );
}

/** containerd's namespace for Docker's own containers: the ones Docker names, never rivals of them. */
export const DOCKER_NAMESPACE = 'moby';

/** What a bare name finds among one containerd namespace's tasks. */
export interface TasksNamed {
  namespace: string;
  /** The task whose ID is the name, or the only one it prefixes. */
  match?: TaskRow;
  /** Every task the name prefixes (several: an ambiguous prefix). */
  candidates: TaskRow[];
  /** Task IDs that read as names (not 64-hex), for suggestions. */
  names: string[];
}

/**
 * A bare name among containerd's tasks, in every namespace but Docker's (moby): read from
 * containerd's state on disk when it is there (a few ms), else one `ctr tasks ls` per
 * namespace, side by side. The caller asks ctr about a match (locateTask), so the state
 * on disk only decides whether containerd has the name at all.
 */
export async function tasksNamed(api: ContainerdApi, ref: string): Promise<TasksNamed[]> {
  const state = await api.taskIds?.();
  if (state) {
    return [...state]
      .filter(([namespace]) => namespace !== DOCKER_NAMESPACE)
      .map(([namespace, ids]) => {
        const { match, candidates } = matchTask(ids.map((id) => ({ id, pid: 0, status: 'UNKNOWN' })), ref);
        return { namespace, ...(match ? { match } : {}), candidates, names: ids.filter((id) => !/^[0-9a-f]{64}$/.test(id)) };
      });
  }
  const namespaces = (await api.namespaces()).filter((n) => n !== DOCKER_NAMESPACE);
  return Promise.all(
    namespaces.map(async (namespace) => {
      const tasks = await api.tasks(namespace);
      const { match, candidates } = matchTask(tasks, ref);
      return { namespace, ...(match ? { match } : {}), candidates, names: tasks.map((t) => t.id).filter((id) => !/^[0-9a-f]{64}$/.test(id)) };
    }),
  );
}
