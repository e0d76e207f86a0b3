/**
 * Opening a file vethcap writes (a `-w` capture, the demo's file): the one place that
 * does, so every such file is safe to hand over. Captures hold traffic contents and are
 * often written as root (sudo) into shared folders such as /tmp:
 *
 * - a new file is created 0600, as dumpcap does, and an existing one is set to 0600
 *   (whatever the umask);
 * - the last component is never followed if it is a symbolic link (O_NOFOLLOW, and
 *   O_EXCL for a new file, so a link planted between look and open is refused too);
 * - only a regular file is written, or a FIFO (Wireshark hands extcap tools one);
 *   never a directory, device or socket;
 * - an existing regular file is overwritten (as tcpdump does) only when it is the
 *   user's own (the effective user, or the user behind sudo) and has no other hard
 *   links, so a file planted by someone else is neither read by them nor a way to
 *   truncate another file;
 * - run through sudo (SUDO_UID/SUDO_GID), the file is given to that user, who can then
 *   open it in Wireshark without root.
 */
import { constants, type FileHandle, lstat, open } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { VethcapError, ioReason } from '../errors.js';

export interface OutputFile {
  handle: FileHandle;
  /** A regular file, or a FIFO someone reads (then it is neither truncated, chmod'ed nor removed). */
  kind: 'file' | 'fifo';
  /** True when vethcap created the file. */
  created: boolean;
}

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

function refuse(path: string, reason: string, cause?: unknown): VethcapError {
  return new VethcapError('IO', `cannot write ${path}: ${reason}.`, cause === undefined ? {} : { cause });
}

const SYMLINK = 'it is a symbolic link, and vethcap does not write through one (give the path of the file itself)';

function errno(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
}

/** What a non-regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** The user the file should belong to when run through sudo, else undefined. */
export function sudoOwner(env: NodeJS.ProcessEnv = process.env): { uid: number; gid: number } | undefined {
  if (process.geteuid?.() !== 0) return undefined;
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (env.SUDO_UID === undefined || env.SUDO_GID === undefined || !Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) return undefined;
  return { uid, gid };
}

/** Whose existing files vethcap may overwrite: the effective user's, and under sudo the invoking user's. */
function mayOverwrite(st: Stats): boolean {
  const euid = process.geteuid?.();
  return euid === undefined || st.uid === euid || st.uid === sudoOwner()?.uid;
}

/** Opens `path` for writing by the rules above; a refusal is a VethcapError('IO') that says why (exit 7). */
export async function openOutputFile(path: string): Promise<OutputFile> {
  let handle: FileHandle | undefined;
  let created = false;
  let before: Stats | undefined;
  try {
    handle = await open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    created = true;
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw refuse(path, errno(e) === 'ELOOP' ? SYMLINK : ioReason(e, 'no such directory'), e);
  }
  try {
    if (!handle) {
      // It exists: look before opening (opening a device can act on it; a FIFO blocks until read).
      before = await lstat(path).catch((e: unknown) => {
        throw refuse(path, ioReason(e, 'no such directory'), e);
      });
      if (before.isSymbolicLink()) throw refuse(path, SYMLINK);
      if (!before.isFile() && !before.isFIFO()) throw refuse(path, `it is ${kindOf(before)}, not a regular file`);
      if (before.isFile()) {
        if (!mayOverwrite(before)) throw refuse(path, `it belongs to another user (uid ${before.uid}); remove it or choose another name`);
        if (before.nlink > 1) throw refuse(path, `it has ${before.nlink} hard links, and writing would change the other names too`);
      }
      handle = await open(path, O_WRONLY | O_NOFOLLOW).catch((e: unknown) => {
        throw refuse(path, errno(e) === 'ELOOP' ? SYMLINK : ioReason(e, 'no such directory'), e);
      });
    }
    // What was opened, which is what counts (the name may have been swapped since lstat).
    const st = await handle.stat();
    if (before && (st.ino !== before.ino || st.dev !== before.dev)) throw refuse(path, 'it was replaced while vethcap opened it');
    if (st.isFIFO()) return { handle, kind: 'fifo', created };
    if (!st.isFile()) throw refuse(path, `it is ${kindOf(st)}, not a regular file`);
    if (!created) await handle.truncate(0);
    // Exactly 0600 whatever the umask, and for an existing file too.
    if ((st.mode & 0o7777) !== 0o600) await handle.chmod(0o600);
    const owner = sudoOwner();
    if (owner && (st.uid !== owner.uid || st.gid !== owner.gid)) await handle.chown(owner.uid, owner.gid);
    return { handle, kind: 'file', created };
  } catch (e) {
    await handle?.close().catch(() => undefined);
    throw e instanceof VethcapError ? e : refuse(path, ioReason(e, 'no such directory'), e);
  }
}
