import type Docker from 'dockerode';
import { VethcapError } from '../errors.js';
import { closeNames } from './suggest.js';

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

/** The Docker API calls vethcap makes; dockerode in production. */
export interface DockerApi {
  listContainers(): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerInfo>;
  /** Where the daemon is expected, for error messages. */
  readonly endpoint: string;
}

export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST && env.DOCKER_HOST !== '' ? env.DOCKER_HOST : 'unix:///var/run/docker.sock';
}

export function connectDocker(env: NodeJS.ProcessEnv = process.env): DockerApi {
  const endpoint = dockerEndpoint(env);
  let client: Promise<Docker> | undefined;
  // dockerode takes ~200 ms to load: only when a Docker target is named.
  const connect = (): Promise<Docker> =>
    (client ??= import('dockerode').then(({ default: DockerClient }) => {
      try {
        // dockerode honours DOCKER_HOST itself; the default is /var/run/docker.sock.
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
      let data: Docker.ContainerInspectInfo;
      try {
        data = await docker.getContainer(id).inspect();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) {
          throw new VethcapError('TARGET_NOT_FOUND', `container ${id} disappeared while vethcap looked at it.`);
        }
        throw unavailable(endpoint, error);
      }
      const networks: ContainerInfo['networks'] = {};
      for (const [net, settings] of Object.entries(data.NetworkSettings?.Networks ?? {})) {
        networks[net] = { mac: (settings.MacAddress ?? '').toLowerCase(), ip: settings.IPAddress ?? '' };
      }
      return {
        id: data.Id,
        name: data.Name.replace(/^\//, ''),
        running: data.State.Running,
        status: data.State.Status,
        pid: data.State.Pid,
        networkMode: data.HostConfig.NetworkMode ?? 'default',
        networks,
      };
    },
  };
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
    throw new VethcapError(
      'TARGET_NOT_FOUND',
      `no container named ${ref}${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ' (docker ps -a lists them).'}`,
      { hint: 'name a container, or a process as pid:N, or a namespace as netns:NAME.' },
    );
  }
  return api.inspect(match.Id);
}
