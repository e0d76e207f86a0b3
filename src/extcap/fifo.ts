/**
 * The FIFO Wireshark hands an extcap (`--fifo PATH`), opened for writing. Only a FIFO:
 * run through sudo, vethcap is root, and `--fifo /etc/passwd` must not truncate a file
 * (the general output rules of sinks/output-file.ts allow root's own files; these do not).
 */
import { constants, type FileHandle, lstat, open } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { VethcapError, ioReason } from '../errors.js';

const { O_WRONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

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

/**
 * Calls `onGone` once nobody reads the FIFO any more (Wireshark closed it, or ended without
 * a SIGTERM), checked every `intervalMs`: a write would say so too (EPIPE), but only once
 * a packet comes, and a quiet target may send none. Opening a FIFO for writing without
 * blocking fails with ENXIO when it has no reader (and ENOENT once it is removed); this
 * process holds only its write end, so that is exactly "Wireshark is gone".
 */
export function watchReader(path: string, onGone: () => void, intervalMs = 1000): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async (): Promise<void> => {
    const gone = await open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW).then(
      async (h) => {
        await h.close();
        return false;
      },
      (e: unknown) => ['ENXIO', 'ENOENT'].includes((e as { code?: string }).code ?? ''),
    );
    if (stopped) return;
    if (gone) onGone();
    else timer = setTimeout(() => void check(), intervalMs).unref();
  };
  timer = setTimeout(() => void check(), intervalMs).unref();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
