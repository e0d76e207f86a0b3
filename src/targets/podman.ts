import { access, readdir, readFile, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { VethcapError } from '../errors.js';
import { run } from '../exec/run.js';
import { containerInfo, type ContainerInfo, type DockerApi } from './docker.js';
import { engineGet, type EngineAddress, type EngineReply } from './docker-engine.js';
import { inspectFailure, parseJson, parsePasswdUser, parsePodmanList, podmanEndpoint, PODMAN_ROOT_DATABASE, type PodmanRow, type RootlessUser } from './podman-output.js';

/**
 * Rootful Podman. Its service (`podman system service`, or systemd's podman.socket) serves
 * Docker's API on /run/podman/podman.sock, so vethcap asks it exactly as it asks Docker
 * (docker-engine.ts: one HTTP/1.0 GET on the socket, 2-10 ms), and finds a container by
 * docker.ts's rules. Without a service it runs the `podman` CLI, which reads Podman's
 * database itself but costs ~200 ms a call here.
 */
export interface PodmanApi extends DockerApi {
  /** How Podman is asked: its socket, or its CLI (no service runs); undefined when Podman is not here at all. */
  mode(): Promise<'socket' | 'cli' | undefined>;
  /** Every running container, with its PID (one call: Podman's own list carries it). */
  running(): Promise<PodmanRow[]>;
}

/** How long the service may take to answer one request before vethcap says it does not. */
const SOCKET_TIMEOUT_MS = 5_000;

/**
 * Podman at CONTAINER_HOST or /run/podman/podman.sock, else through its CLI. `socketPath`
 * replaces the default socket (the tests' way to ask the CLI while a service runs).
 */
export function connectPodman(env: NodeJS.ProcessEnv = process.env, socketPath?: string): PodmanApi {
  const { endpoint, address, explicit } = podmanEndpoint(env, socketPath);
  return podmanApi(endpoint, address, () => chooseMode(endpoint, address, explicit, env), ['podman']);
}

/**
 * A user's rootless Podman, through the podman command run as that user (runuser, with
 * the user's HOME and nothing else of root's environment, so Podman finds the user's
 * storage and run directory as in the user's own shell). ~300 ms a call here.
 */
export function connectRootlessPodman(user: RootlessUser, env: NodeJS.ProcessEnv = process.env): PodmanApi {
  const asUser = ['runuser', '-u', user.name, '--', 'env', '-i', `HOME=${user.home}`, `USER=${user.name}`, `LOGNAME=${user.name}`, 'PATH=/usr/local/bin:/usr/bin:/bin', 'podman'];
  return podmanApi(`${user.name}'s rootless Podman`, undefined, async () => ((await onPath('podman', env)) ? 'cli' : undefined), asUser);
}

/** The user NAME as /etc/passwd has it; TARGET_NOT_FOUND when it has none. */
export async function rootlessUser(name: string): Promise<RootlessUser> {
  const user = parsePasswdUser(await readFile('/etc/passwd', 'utf8').catch(() => ''), name);
  if (!user) throw new VethcapError('TARGET_NOT_FOUND', `no user ${name} on this machine, so no rootless Podman of theirs to look into.`, { hint: 'name the user who runs the container (--user NAME), or run vethcap through sudo as that user.' });
  return user;
}

function podmanApi(endpoint: string, address: EngineAddress | undefined, chooseMode: () => Promise<'socket' | 'cli' | undefined>, podmanCommand: readonly string[]): PodmanApi {
  const runPodman = (args: readonly string[]): Promise<string> => run(podmanCommand[0]!, [...podmanCommand.slice(1), ...args]);
  let chosen: Promise<'socket' | 'cli' | undefined> | undefined;
  const mode = (): Promise<'socket' | 'cli' | undefined> => (chosen ??= chooseMode());
  const use = async (): Promise<'socket' | 'cli'> => {
    const m = await mode();
    if (m) return m;
    throw new VethcapError('RUNTIME_UNAVAILABLE', `Podman is not running here: nothing listens at ${endpoint} and there is no podman command.`, {
      hint: 'install Podman and start its service (podman system service --time=0 &), or set CONTAINER_HOST to the socket it listens on; without it, name the container\'s process as pid:N.',
    });
  };
  const get = async (path: string): Promise<EngineReply> => {
    try {
      return await engineGet(address!, path, SOCKET_TIMEOUT_MS);
    } catch (error) {
      throw socketError(endpoint, error);
    }
  };
  const failed = (reply: EngineReply): VethcapError => {
    const body = reply.body as { message?: unknown } | undefined;
    const why = typeof body?.message === 'string' ? body.message : `HTTP ${reply.status}`;
    return new VethcapError('RUNTIME_UNAVAILABLE', `Podman at ${endpoint} answered with an error (${why}).`);
  };
  const cliInspect = async (ref: string): Promise<ContainerInfo | undefined> => {
    try {
      const list = parseJson(await runPodman(['container', 'inspect', ref]));
      return Array.isArray(list) && list.length > 0 ? containerInfo(list[0], endpoint) : undefined;
    } catch (error) {
      if (error instanceof VethcapError && error.code === 'COMMAND_FAILED' && inspectFailure(error.stderr ?? '')) return undefined;
      throw error;
    }
  };
  const cliList = async (all: boolean): Promise<PodmanRow[]> => parsePodmanList(parseJson(await runPodman(['ps', ...(all ? ['--all'] : []), '--format', 'json'])));
  const lookup = async (ref: string): Promise<ContainerInfo | undefined> => {
    if ((await use()) === 'cli') return cliInspect(ref);
    const reply = await get(`/containers/${encodeURIComponent(ref)}/json`);
    // 404: none; 500 for an ID prefix that names several: findContainer lists them.
    return reply.status === 200 ? containerInfo(reply.body, endpoint) : undefined;
  };
  return {
    endpoint,
    listCommand: 'podman ps -a',
    mode,
    lookup,
    async inspect(id) {
      const info = await lookup(id);
      if (!info) throw new VethcapError('TARGET_NOT_FOUND', `Podman container ${id} disappeared while vethcap looked at it.`);
      return info;
    },
    async listContainers() {
      if ((await use()) === 'cli') return (await cliList(true)).map((r) => ({ Id: r.id, Names: r.names }));
      const reply = await get('/containers/json?all=1');
      if (reply.status !== 200 || !Array.isArray(reply.body)) throw failed(reply);
      return parsePodmanList(reply.body).map((r) => ({ Id: r.id, Names: r.names }));
    },
    async running() {
      if ((await use()) === 'cli') return cliList(false);
      const reply = await get('/v4.0.0/libpod/containers/json');
      if (reply.status !== 200) throw failed(reply);
      return parsePodmanList(reply.body).filter((r) => r.pid > 0);
    },
  };
}

/**
 * The socket when its file is there (or the endpoint is not a local socket); the CLI when it
 * is not and `podman` is installed and has run as root here; else nothing. A socket file
 * that refuses connections is Podman present but stopped: reported by the first call, not
 * hidden behind the CLI, so the user learns the service is down.
 */
async function chooseMode(endpoint: string, address: EngineAddress | undefined, explicit: boolean, env: NodeJS.ProcessEnv): Promise<'socket' | 'cli' | undefined> {
  if (!address) {
    throw new VethcapError('RUNTIME_UNAVAILABLE', `vethcap cannot speak to Podman at ${endpoint}: it speaks to a unix socket or plain tcp:// only.`, {
      hint: 'run vethcap on the machine the containers run on, with CONTAINER_HOST unset or unix:///run/podman/podman.sock.',
    });
  }
  if (!('socketPath' in address)) return 'socket';
  try {
    await stat(address.socketPath);
    return 'socket';
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EACCES' || code === 'EPERM') throw permissionDenied(endpoint, error);
    if (explicit) throw socketError(endpoint, error);
  }
  const [cli, database] = await Promise.all([onPath('podman', env), exists(PODMAN_ROOT_DATABASE)]);
  if (!cli || !database) return undefined;
  // Run by another user, the podman command would read that user's rootless containers.
  if (process.getuid?.() !== 0) {
    throw new VethcapError('PERMISSION', `rootful Podman's containers can be read only by root (no service answers at ${endpoint}, and the podman command reads root's database only when run as root): run vethcap as root.`);
  }
  return 'cli';
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function onPath(bin: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter)) {
    if (dir === '') continue;
    const ok = await access(join(dir, bin), constants.X_OK).then(
      () => true,
      () => false,
    );
    if (ok) return true;
  }
  return false;
}

function permissionDenied(endpoint: string, cause: unknown): VethcapError {
  return new VethcapError('PERMISSION', `permission denied on Podman's socket ${endpoint}: run vethcap as root (rootful Podman's socket is root's alone).`, { cause });
}

/** A failed connection in words: refused means the socket file is there but its service is not. */
export function socketError(endpoint: string, error: unknown): VethcapError {
  const code = (error as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') return permissionDenied(endpoint, error);
  if (code === 'ECONNREFUSED') {
    return new VethcapError('RUNTIME_UNAVAILABLE', `Podman's service is stopped: its socket ${endpoint} is there but nothing answers on it (connection refused).`, {
      hint: 'start it (podman system service --time=0 unix:///run/podman/podman.sock &, or systemctl start podman.socket), or remove the stale socket file so vethcap runs the podman command instead.',
      cause: error,
    });
  }
  const why = code === 'ENOENT' ? 'no such socket' : code === 'ETIMEDOUT' ? `no answer within ${SOCKET_TIMEOUT_MS} ms` : error instanceof Error ? error.message : String(error);
  return new VethcapError('RUNTIME_UNAVAILABLE', `Podman does not answer at ${endpoint} (${why}).`, {
    hint: 'start its service (podman system service --time=0 &) or set CONTAINER_HOST to the socket it listens on; without it, name the container\'s process as pid:N.',
    cause: error,
  });
}

/**
 * The user's rootless network namespace (where rootless Podman's CNI bridges and host-side
 * veths live), as a path root can open: Podman 4 bind-mounts it at
 * RUNDIR/netns/rootless-netns-HASH inside the mount namespace of the user's pause process,
 * so the path goes through that process's root (/proc/PAUSE/root/…). RUNDIR is
 * /run/user/UID or /tmp/podman-run-UID, where Podman puts it. Undefined when there is none
 * (no rootless CNI network in use).
 */
export async function rootlessNetnsPath(user: RootlessUser): Promise<string | undefined> {
  for (const rundir of [`/run/user/${user.uid}`, `/tmp/podman-run-${user.uid}`]) {
    const pause = Number((await readFile(`${rundir}/libpod/tmp/pause.pid`, 'utf8').catch(() => '')).trim());
    if (!(pause > 0)) continue;
    const names = await readdir(`${rundir}/netns`).catch(() => [] as string[]);
    const netns = names.find((n) => n.startsWith('rootless-netns'));
    if (netns) return `/proc/${pause}/root${rundir}/netns/${netns}`;
  }
  return undefined;
}
