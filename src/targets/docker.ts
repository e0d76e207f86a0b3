import type Docker from 'dockerode';
import { VethcapError } from '../errors.js';
import { closeNames, TargetNotFound } from './suggest.js';
import { engineAddress, engineGet, type EngineAddress, type EngineReply } from './docker-engine.js';

/** What vethcap needs to know of a container (from `docker inspect`). */
export interface ContainerInfo {
  id: string;
  name: string;
  running: boolean;
  status: string;
  pid: number;
  /** HostConfig.NetworkMode: default, bridge, host, none, container:ID, or a network name. */
  networkMode: string;
  /** MAC per attached network name. */
  networks: Record<string, { mac: string; ip: string }>;
}

interface ContainerSummary {
  Id: string;
  Names?: string[];
}

/** The Docker API calls vethcap makes: the engine's socket, or dockerode (see connectDocker). */
export interface DockerApi {
  listContainers(): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerInfo>;
  /**
   * The container the daemon resolves `ref` to (exact ID, exact name or unique ID prefix, as
   * `docker inspect` does), in one request; undefined when it resolves to none or to several
   * (findContainer then lists them to say which). Optional: without it, findContainer lists.
   */
  lookup?(ref: string): Promise<ContainerInfo | undefined>;
  /** Where the daemon is expected, for error messages. */
  readonly endpoint: string;
  /** The command that lists the containers, for error messages (default `docker ps -a`; Podman's socket speaks Docker's API too). */
  readonly listCommand?: string;
}

export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST && env.DOCKER_HOST !== '' ? env.DOCKER_HOST : 'unix:///var/run/docker.sock';
}

/**
 * The Docker API at DOCKER_HOST (default /var/run/docker.sock). Over a unix socket or plain
 * tcp:// vethcap asks the engine itself, one GET per call (docker-engine.ts); dockerode,
 * loaded only then, speaks the rest (TLS, ssh://).
 */
export function connectDocker(env: NodeJS.ProcessEnv = process.env): DockerApi {
  const endpoint = dockerEndpoint(env);
  const address = engineAddress(endpoint, env);
  return address ? engineApi(endpoint, address) : dockerodeApi(endpoint);
}

function engineApi(endpoint: string, address: EngineAddress): DockerApi {
  const get = async (path: string): Promise<EngineReply> => {
    try {
      return await engineGet(address, path);
    } catch (error) {
      throw unavailable(endpoint, error);
    }
  };
  const failed = (reply: EngineReply): Error => {
    const message = isObject(reply.body) && typeof reply.body.message === 'string' ? reply.body.message : `HTTP ${reply.status}`;
    return Object.assign(new Error(message), { statusCode: reply.status });
  };
  return {
    endpoint,
    async listContainers() {
      const reply = await get('/containers/json?all=1');
      if (reply.status !== 200 || !Array.isArray(reply.body)) throw unavailable(endpoint, failed(reply));
      return reply.body.flatMap((c: unknown): ContainerSummary[] => (isObject(c) && typeof c.Id === 'string' ? [{ Id: c.Id, Names: stringList(c.Names) }] : []));
    },
    async inspect(id: string) {
      const reply = await get(`/containers/${encodeURIComponent(id)}/json`);
      if (reply.status === 404) throw disappeared(id);
      if (reply.status !== 200) throw unavailable(endpoint, failed(reply));
      return containerInfo(reply.body, endpoint);
    },
    async lookup(ref: string) {
      const reply = await get(`/containers/${encodeURIComponent(ref)}/json`);
      // 404: no such container; 400 (older engines 500): an ambiguous ID prefix.
      if (reply.status !== 200) return undefined;
      return containerInfo(reply.body, endpoint);
    },
  };
}

function dockerodeApi(endpoint: string): DockerApi {
  let client: Promise<Docker> | undefined;
  // dockerode takes ~200-300 ms to load: only for an endpoint the engine client does not speak.
  const connect = (): Promise<Docker> =>
    (client ??= import('dockerode').then(({ default: DockerClient }) => {
      try {
        // dockerode honours DOCKER_HOST itself (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH).
        return new DockerClient({ timeout: 10_000 } as Docker.DockerOptions);
      } catch (error) {
        throw unavailable(endpoint, error);
      }
    }));
  return {
    endpoint,
    async listContainers() {
      const docker = await connect();
      try {
        return (await docker.listContainers({ all: true })) as ContainerSummary[];
      } catch (error) {
        throw unavailable(endpoint, error);
      }
    },
    async inspect(id: string) {
      const docker = await connect();
      let data: unknown;
      try {
        data = await docker.getContainer(id).inspect();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) throw disappeared(id);
        throw unavailable(endpoint, error);
      }
      return containerInfo(data, endpoint);
    },
  };
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** The facts vethcap uses from an inspect's JSON (GET /containers/ID/json). */
export function containerInfo(data: unknown, endpoint: string): ContainerInfo {
  const obj = (v: unknown): Json => (isObject(v) ? v : {});
  const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const top = obj(data);
  const state = obj(top.State);
  const id = str(top.Id);
  if (id === undefined || !isObject(top.State)) {
    throw new VethcapError('DOCKER_UNAVAILABLE', `the Docker daemon at ${endpoint} answered an inspect without the container's ID and state.`);
  }
  const networks: ContainerInfo['networks'] = {};
  for (const [net, settings] of Object.entries(obj(obj(top.NetworkSettings).Networks))) {
    const s = obj(settings);
    networks[net] = { mac: (str(s.MacAddress) ?? '').toLowerCase(), ip: str(s.IPAddress) ?? '' };
  }
  return {
    id,
    name: (str(top.Name) ?? id.slice(0, 12)).replace(/^\//, ''),
    running: state.Running === true,
    status: str(state.Status) ?? 'unknown',
    pid: typeof state.Pid === 'number' ? state.Pid : 0,
    networkMode: str(obj(top.HostConfig).NetworkMode) ?? 'default',
    networks,
  };
}

function disappeared(id: string): VethcapError {
  return new VethcapError('TARGET_NOT_FOUND', `container ${id} disappeared while vethcap looked at it.`);
}

/**
 * Every running container, inspected one after the other: what resolve (naming bridge
 * ports' owners) and verify (finding who holds an address) look through. A container
 * that goes away between the listing and its inspection is left out; an unreachable
 * daemon throws DOCKER_UNAVAILABLE, as listContainers does.
 */
export async function runningContainers(api: DockerApi): Promise<ContainerInfo[]> {
  const out: ContainerInfo[] = [];
  for (const summary of await api.listContainers()) {
    const info = await api.inspect(summary.Id).catch(() => undefined);
    if (info?.running) out.push(info);
  }
  return out;
}

function unavailable(endpoint: string, error: unknown): VethcapError {
  const code = (error as { code?: string }).code;
  const why = code === 'EACCES' ? 'permission denied' : code === 'ENOENT' ? 'no such socket' : code === 'ECONNREFUSED' ? 'connection refused' : error instanceof Error ? error.message : String(error);
  return new VethcapError('DOCKER_UNAVAILABLE', `cannot reach the Docker daemon at ${endpoint} (${why}).`, {
    hint: 'start dockerd or set DOCKER_HOST; without Docker, name a process as pid:N or a namespace as netns:NAME.',
    cause: error,
  });
}

/**
 * Finds one container by exact name, full ID, or unique ID prefix, as `docker` does.
 * Pure apart from the API calls; errors say what matched and what to type instead.
 */
export async function findContainer(api: DockerApi, ref: string): Promise<ContainerInfo> {
  // One request when the daemon resolves it alone (the usual case); the listing below says why not.
  const direct = await api.lookup?.(ref);
  if (direct) return direct;
  const all = await api.listContainers();
  const names = (c: ContainerSummary) => (c.Names ?? []).map((n) => n.replace(/^\//, ''));
  const byName = all.find((c) => names(c).includes(ref));
  const exactId = all.find((c) => c.Id === ref);
  let match = byName ?? exactId;
  if (!match && /^[0-9a-f]+$/i.test(ref)) {
    const prefixed = all.filter((c) => c.Id.startsWith(ref.toLowerCase()));
    if (prefixed.length > 1) {
      const list = prefixed.slice(0, 5).map((c) => `${c.Id.slice(0, 12)} (${names(c)[0] ?? '?'})`).join(', ');
      throw new VethcapError('TARGET_AMBIGUOUS', `the ID prefix ${ref} matches ${prefixed.length} containers: ${list}.`, {
        hint: 'type more characters of the ID, or the container name.',
      });
    }
    match = prefixed[0];
  }
  if (!match) {
    const suggestions = closeNames(ref, all.flatMap(names));
    throw new TargetNotFound(
      `no container named ${ref}${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ` (${api.listCommand ?? 'docker ps -a'} lists them).`}`,
      suggestions,
      { hint: 'name a container, or a process as pid:N, or a namespace as netns:NAME.' },
    );
  }
  return api.inspect(match.Id);
}
