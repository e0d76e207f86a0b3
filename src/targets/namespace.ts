import { readdir, stat } from 'node:fs/promises';
import { VethcapError } from '../errors.js';
import { closeNames } from './suggest.js';
import type { NetnsRef } from '../resolve/types.js';

export const NETNS_DIR = '/run/netns';

/** The network namespace vethcap itself runs in: "the host" for every comparison. */
export const HOST_NETNS_PATH = '/proc/self/ns/net';

export async function netnsInode(path: string): Promise<number> {
  const info = await stat(path); // follows the nsfs magic link to the namespace inode
  return info.ino;
}

export async function processNetns(pid: number): Promise<NetnsRef> {
  const path = `/proc/${pid}/ns/net`;
  try {
    return { path, inode: await netnsInode(path) };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') {
      throw new VethcapError('TARGET_NOT_FOUND', `no process with PID ${pid} (it may have exited).`, { cause: error });
    }
    if (code === 'EACCES' || code === 'EPERM') {
      throw new VethcapError('PERMISSION', `cannot open the network namespace of PID ${pid}: run vethcap as root (or with CAP_SYS_ADMIN and CAP_SYS_PTRACE).`, { cause: error });
    }
    throw error;
  }
}

export async function listNamedNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch {
    return [];
  }
}

export async function namedNetns(name: string): Promise<NetnsRef> {
  const path = `${NETNS_DIR}/${name}`;
  try {
    return { path, inode: await netnsInode(path) };
  } catch (error) {
    const suggestions = closeNames(name, await listNamedNetns());
    throw new VethcapError(
      'TARGET_NOT_FOUND',
      `no network namespace named ${name} in ${NETNS_DIR}${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ' (ip netns list shows them).'}`,
      { cause: error },
    );
  }
}
