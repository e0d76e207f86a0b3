import { VethcapError } from '../errors.js';
import { connectRootlessPodman, rootlessUser, type PodmanApi } from '../targets/podman.js';
import { rootlessUserName, userModeNetwork, type RootlessUser } from '../targets/podman-output.js';
import { locateContainer, type LocatedContainer } from './locate-container.js';
import type { LinkInfo } from './ip-link.js';
import { pairInterfaces } from './pairing.js';
import type { ResolvedInterface } from './types.js';

/** A rootless container's facts that resolve turns into notes: whose it is, and its user-mode network if any. */
export interface RootlessFacts {
  user: RootlessUser;
  userMode: 'slirp4netns' | 'pasta' | undefined;
}

/**
 * `podman:REF`: rootful Podman's container; when rootful Podman has none by that name (or
 * is not here) and a user is known (`--user`, or SUDO_USER through sudo), that user's
 * rootless Podman's. Its network namespace is the container's own either way; a rootless
 * one's host side lives in the user's rootless network namespace (a CNI bridge) or in a
 * user-mode stack (slirp4netns, pasta), never in the host's.
 */
export async function locatePodmanContainer(ref: string, rootful: PodmanApi, env: NodeJS.ProcessEnv, userOption?: string): Promise<LocatedContainer & { rootless?: RootlessFacts }> {
  try {
    return await locateContainer('podman', ref, rootful);
  } catch (error) {
    const name = rootlessUserName(env, userOption);
    const retry = error instanceof VethcapError && (error.code === 'TARGET_NOT_FOUND' || error.code === 'RUNTIME_UNAVAILABLE');
    if (!name || !retry) throw error;
    const user = await rootlessUser(name);
    try {
      const found = await locateContainer('podman', ref, connectRootlessPodman(user, env));
      return { ...found, rootless: { user, userMode: userModeNetwork(found.networkMode ?? '') } };
    } catch (rootlessError) {
      if (rootlessError instanceof VethcapError && rootlessError.code === 'TARGET_NOT_FOUND') {
        throw new VethcapError('TARGET_NOT_FOUND', `no Podman container ${ref}, neither rootful (${error.message.replace(/\.$/, '')}) nor in ${user.name}'s rootless Podman.`, {
          hint: `podman ps -a (as root, and as ${user.name}) lists them.`,
        });
      }
      throw rootlessError;
    }
  }
}

/**
 * A rootless container's interfaces: under slirp4netns or pasta, no veth (a note says the
 * host side cannot be seen); on a CNI bridge, each veth paired with the user's rootless
 * network namespace (`rootlessLinks`, when found) instead of the host's, its peer's
 * namespace `rootless` (so no host point is planned for it), with a note that vethcap
 * captures the container's end only. Pure.
 */
export function rootlessInterfaces(
  facts: RootlessFacts,
  interfaces: readonly ResolvedInterface[],
  targetLinks: readonly LinkInfo[],
  rootless: { path: string; links: readonly LinkInfo[] } | undefined,
  owners: ReadonlyMap<string, string>,
): ResolvedInterface[] {
  const user = facts.user.name;
  if (facts.userMode) {
    const note = `rootless Podman of ${user} with ${facts.userMode}: there is no veth, so this interface is the container's only capture point; the host side cannot be seen in this mode.`;
    return interfaces.map((i) => ({ ...i, peer: null, bridge: null, note }));
  }
  const paired = rootless ? pairInterfaces(targetLinks, rootless.links, owners) : [];
  return interfaces.map((iface) => {
    if (iface.kind !== 'veth') return iface;
    const inRootless = paired.find((p) => p.ifindex === iface.ifindex);
    const peer = inRootless?.peer && rootless ? { ...inRootless.peer, netns: 'rootless', netnsPath: rootless.path } : null;
    const where = peer ? `its host end rootless:${peer.name}${inRootless?.bridge ? ` and bridge rootless:${inRootless.bridge.name}` : ''} are` : 'its host end and bridge are';
    return {
      ...iface,
      peer,
      bridge: peer ? (inRootless?.bridge ?? null) : null,
      forwardedBy: peer ? (inRootless?.forwardedBy ?? null) : null,
      note: peer
        ? `rootless Podman of ${user}: ${where} in ${user}'s rootless network namespace, not the host's; vethcap captures there.`
        : `rootless Podman of ${user}: ${where} in ${user}'s rootless network namespace, which vethcap could not open; it captures this end only.`,
    };
  });
}
