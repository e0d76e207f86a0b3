import { VethcapError } from '../errors.js';
import { connectRootlessPodman, rootlessUser, type PodmanApi } from '../targets/podman.js';
import { rootlessUserName, userModeNetwork } from '../targets/podman-output.js';
import { locateContainer, type LocatedContainer } from './locate-container.js';

/** A rootless container's facts that resolve turns into notes: whose it is, and its user-mode network if any. */
export interface RootlessFacts {
  user: string;
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
      return { ...found, rootless: { user: user.name, userMode: userModeNetwork(found.networkMode ?? '') } };
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

/** The note on a rootless container's interface: where its host side is, and that vethcap captures this end only. Pure. */
export function rootlessNote(facts: RootlessFacts, ifaceKind: string): string | null {
  if (facts.userMode) {
    return `rootless Podman of ${facts.user} with ${facts.userMode}: there is no veth, so this interface is the container's only capture point; the host side cannot be seen in this mode.`;
  }
  if (ifaceKind !== 'veth') return null;
  return `rootless Podman of ${facts.user}: the host end and its bridge are in ${facts.user}'s rootless network namespace, not the host's; vethcap captures this end only.`;
}
