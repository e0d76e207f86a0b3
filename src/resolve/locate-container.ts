import { VethcapError } from '../errors.js';
import { findContainer, type ContainerInfo, type DockerApi } from '../targets/docker.js';
import { processNetns } from '../targets/namespace.js';
import type { ResolvedTarget } from './types.js';

/** A container located: what resolve needs besides the spec and the interfaces. */
export type LocatedContainer = Omit<ResolvedTarget, 'target' | 'interfaces'>;

/**
 * A container of an engine that speaks Docker's API (Docker; rootful Podman's service or
 * CLI, which docker.ts's rules read the same way): found by name, full ID or unique ID
 * prefix, running, with a network namespace of its own or borrowed (`container:X`).
 * `kind` is the runtime, whose command the hints name.
 */
export async function locateContainer(kind: 'docker' | 'podman', ref: string, api: DockerApi): Promise<LocatedContainer> {
  const container = await findContainer(api, ref);
  requireRunning(kind, container);
  const mode = container.networkMode;
  let sharedWith: string | null = null;
  if (mode === 'host') {
    throw new VethcapError('TARGET_UNSUPPORTED', `container ${container.name} runs with --network host: it shares the host's network namespace, so there is no veth pair to follow.`, {
      hint: 'capture on the host interface it uses with tcpdump directly.',
    });
  }
  if (mode === 'none') {
    throw new VethcapError('TARGET_UNSUPPORTED', `container ${container.name} runs with --network none: it has only a loopback interface, so no traffic leaves it.`, {
      hint: `connect it to a network (${kind} network connect NETWORK ${container.name}).`,
    });
  }
  if (mode.startsWith('container:')) {
    const owner = await findContainer(api, mode.slice('container:'.length));
    requireRunning(kind, owner);
    if (owner.networkMode === 'host' || owner.networkMode === 'none') {
      throw new VethcapError('TARGET_UNSUPPORTED', `container ${container.name} shares the network namespace of ${owner.name}, which runs with --network ${owner.networkMode}: there is no veth pair to follow.`);
    }
    sharedWith = owner.name;
  }
  const netns = await processNetns(container.pid);
  return { kind, name: container.name, id: container.id, pid: container.pid, netns, networkMode: mode, sharedWith };
}

function requireRunning(kind: 'docker' | 'podman', container: ContainerInfo): void {
  if (!container.running || container.pid <= 0) {
    throw new VethcapError('TARGET_NOT_RUNNING', `container ${container.name} is not running (status: ${container.status}), so it has no network namespace to look at.`, {
      hint: `start it first: ${kind} start ${container.name}`,
    });
  }
}
