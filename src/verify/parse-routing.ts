import type { KernelCounters, RouteAnswer } from './host-state.js';

/**
 * The kernel's view of the host's routing step, read for verify's hints on a path between
 * two bridges: `ip -j route get DST from SRC iif BRIDGE`, `ip -j neigh show`, and the IP
 * counters of /proc/net/snmp and /proc/net/netstat. Pure: the tools' output in, fields out.
 */

/** The interface `ip -j route get` says the packet leaves by. */
export function parseRouteGet(json: string): string | null {
  const parsed: unknown = JSON.parse(json || '[]');
  if (!Array.isArray(parsed)) return null;
  const first: unknown = parsed[0];
  if (typeof first !== 'object' || first === null) return null;
  const dev = (first as { dev?: unknown }).dev;
  return typeof dev === 'string' ? dev : null;
}

/**
 * What a failed `ip route get … iif …` answered, by the errno the kernel gave:
 * ENETUNREACH (no route), EHOSTUNREACH (forwarding off on the way in, or an unreachable
 * or prohibit route), EINVAL (a martian source: rp_filter, or a blackhole route).
 */
export function routeError(stderr: string): RouteAnswer['error'] {
  if (/Network is unreachable/i.test(stderr)) return 'network-unreachable';
  if (/No route to host/i.test(stderr)) return 'host-unreachable';
  if (/Invalid argument/i.test(stderr)) return 'invalid';
  if (/Permission denied|Operation not permitted|prohibited/i.test(stderr)) return 'prohibited';
  return 'other';
}

/**
 * The neighbour states `ip -j neigh show to IP dev DEV` lists (FAILED, INCOMPLETE,
 * REACHABLE, STALE, …); empty when the host has no entry.
 */
export function parseNeighbourStates(json: string): string[] {
  const parsed: unknown = JSON.parse(json || '[]');
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((e: unknown) => {
    const state = typeof e === 'object' && e !== null ? (e as { state?: unknown }).state : undefined;
    return Array.isArray(state) ? state.filter((s): s is string => typeof s === 'string') : [];
  });
}

/**
 * One counter of /proc/net/snmp or /proc/net/netstat: each section is a pair of lines,
 * names then values, both prefixed `Section:`. Null when the section or name is absent.
 */
function counter(text: string, section: string, name: string): number | null {
  const lines = text.split('\n').filter((l) => l.startsWith(`${section}:`));
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.split(/\s+/).slice(1);
    const values = lines[i + 1]!.split(/\s+/).slice(1);
    const at = names.indexOf(name);
    if (at >= 0 && values[at] !== undefined) return Number(values[at]);
  }
  return null;
}

/** The routing step's drop counters, from /proc/net/snmp and /proc/net/netstat (this namespace's). */
export function parseKernelCounters(snmp: string, netstat: string): KernelCounters {
  return {
    inAddrErrors: counter(snmp, 'Ip', 'InAddrErrors'),
    inNoRoutes: counter(netstat, 'IpExt', 'InNoRoutes'),
    rpFilterDrops: counter(netstat, 'TcpExt', 'IPReversePathFilter'),
  };
}
