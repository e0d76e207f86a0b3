/**
 * The FIFO Wireshark hands an extcap (`--fifo PATH`), opened for writing. Only a FIFO:
 * run through sudo, vethcap is root, and `--fifo /etc/passwd` must not truncate a file
 * (the general output rules of sinks/output-file.ts allow root's own files; these do not).
 */
import { constants, type FileHandle, lstat, open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { VethcapError, ioReason } from '../errors.js';

const { O_WRONLY, O_NOFOLLOW } = constants;

function refuse(path: string, reason: string, cause?: unknown): VethcapError {
  return new VethcapError('IO', `cannot write the capture into ${path}: ${reason}.`, {
    hint: 'vethcap extcap --capture writes only into the FIFO Wireshark gives it; to write a file, use vethcap trace TARGET -w FILE.',
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Opens the FIFO (waiting for its reader, as opening one does) and returns a stream on it. */
export async function openFifo(path: string): Promise<{ stream: Writable; handle: FileHandle }> {
  const before = await lstat(path).catch((e: unknown) => {
    throw refuse(path, ioReason(e, 'no such directory'), e);
  });
  if (!before.isFIFO()) throw refuse(path, 'it is not a FIFO');
  const handle = await open(path, O_WRONLY | O_NOFOLLOW).catch((e: unknown) => {
    throw refuse(path, ioReason(e, 'no such directory'), e);
  });
  const st = await handle.stat();
  if (!st.isFIFO() || st.ino !== before.ino || st.dev !== before.dev) {
    await handle.close().catch(() => undefined);
    throw refuse(path, 'it was replaced while vethcap opened it');
  }
  return { stream: handle.createWriteStream({ highWaterMark: 1024 * 1024 }), handle };
}
