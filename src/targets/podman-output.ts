/**
 * What Podman says, read into values. Pure: the look-ups that ask Podman (its API socket,
 * or its CLI when no service runs) are in podman.ts. Podman's socket serves Docker's API
 * too, so a container's inspect is read by docker.ts's containerInfo; this file reads what
 * only Podman's own API and CLI say: the running containers with their PIDs, in one list.
 */
import { engineAddress, type EngineAddress } from './docker-engine.js';

/** Where a rootful Podman service listens (`podman system service`, podman.socket). */
export const PODMAN_ROOT_SOCKET = '/run/podman/podman.sock';

/** Rootful Podman's own database: there once Podman has run as root, service or not. */
export const PODMAN_ROOT_DATABASE = '/var/lib/containers/storage/libpod';

export interface PodmanEndpoint {
  /** As the user would write it, for messages: unix:///run/podman/podman.sock. */
  endpoint: string;
  /** Where to connect; undefined for an endpoint vethcap does not speak (ssh://, TLS). */
  address: EngineAddress | undefined;
  /** Whether the user chose it (CONTAINER_HOST): then the CLI is not a fallback for it. */
  explicit: boolean;
}

/**
 * The Podman service to ask: CONTAINER_HOST (unix://PATH, or tcp://HOST:PORT without TLS),
 * else the rootful socket. Pure.
 */
export function podmanEndpoint(env: NodeJS.ProcessEnv, socketPath = PODMAN_ROOT_SOCKET): PodmanEndpoint {
  const given = env.CONTAINER_HOST?.trim();
  if (given) return { endpoint: given, address: engineAddress(given), explicit: true };
  return { endpoint: `unix://${socketPath}`, address: { socketPath }, explicit: false };
}

/** A container in Podman's own listing (libpod's GET /containers/json, `podman ps --format json`). */
export interface PodmanRow {
  id: string;
  names: string[];
  /** The container's process on the host; 0 when it is not running. */
  pid: number;
  /** running, exited, created, paused, ... */
  state: string;
}

/** What to call a listed container: its first name, else its short ID (as `podman ps` shows it). */
export function podmanDisplayName(row: PodmanRow): string {
  return row.names[0] ?? row.id.slice(0, 12);
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Podman's own container list, from its API (`/v4.0.0/libpod/containers/json`) or its CLI
 * (`podman ps --format json`): both print the same objects, with the PID Docker's list
 * lacks. Rows without an ID are left out. Pure.
 */
export function parsePodmanList(data: unknown): PodmanRow[] {
  if (!Array.isArray(data)) return [];
  return data.flatMap((c: unknown): PodmanRow[] => {
    if (!isObject(c) || typeof c.Id !== 'string') return [];
    const names = Array.isArray(c.Names) ? c.Names.filter((n): n is string => typeof n === 'string').map((n) => n.replace(/^\//, '')) : [];
    return [{ id: c.Id, names, pid: typeof c.Pid === 'number' && c.Pid > 0 ? c.Pid : 0, state: typeof c.State === 'string' ? c.State : 'unknown' }];
  });
}

/** `podman ps --format json` or `podman container inspect` output as JSON; undefined if it is not. Pure. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * What a failed `podman container inspect REF` means, from its stderr: no such container,
 * an ID prefix matching several, or something else (undefined). Pure.
 */
export function inspectFailure(stderr: string): 'missing' | 'ambiguous' | undefined {
  if (/more than one result|multiple containers|ambiguous/i.test(stderr)) return 'ambiguous';
  if (/no such container|no container with name or ID/i.test(stderr)) return 'missing';
  return undefined;
}

/** A user whose rootless Podman vethcap looks into. */
export interface RootlessUser {
  name: string;
  uid: number;
  home: string;
}

/** The user NAME's line of /etc/passwd (name:x:uid:gid:gecos:home:shell); undefined when absent. Pure. */
export function parsePasswdUser(passwd: string, name: string): RootlessUser | undefined {
  for (const line of passwd.split('\n')) {
    const cols = line.split(':');
    if (cols.length < 7 || cols[0] !== name) continue;
    const uid = Number(cols[2]);
    if (!Number.isInteger(uid) || uid < 0) return undefined;
    return { name, uid, home: cols[5] ?? '/' };
  }
  return undefined;
}

/**
 * Whose rootless Podman to look into as well: `--user NAME`, else the user who ran sudo
 * (SUDO_USER), never root (rootful Podman is root's). Pure.
 */
export function rootlessUserName(env: NodeJS.ProcessEnv, explicit?: string): string | undefined {
  const name = explicit?.trim() || env.SUDO_USER?.trim();
  return name && name !== 'root' ? name : undefined;
}

/**
 * The network mode of a rootless container whose only way out is a user-mode stack
 * (slirp4netns, pasta): no veth, no host side to see. Pure.
 */
export function userModeNetwork(networkMode: string): 'slirp4netns' | 'pasta' | undefined {
  const mode = networkMode.split(':')[0];
  return mode === 'slirp4netns' || mode === 'pasta' ? mode : undefined;
}
