/**
 * The writers' I/O edge: a thin sink that sends the chunks a writer's take() returns to
 * a file or any Writable (stdout), honouring backpressure.
 */
import { once } from 'node:events';
import { release, type as osType } from 'node:os';
import type { Writable } from 'node:stream';
import { VethcapError, ioReason } from '../errors.js';
import { openOutputFile } from './output-file.js';

/** shb_os for files written here, e.g. "Linux 6.1.0-18-amd64". */
export function defaultOsName(): string {
  return `${osType()} ${release()}`;
}

export interface CaptureSink {
  /**
   * Writes a chunk; resolves when the stream can take more. `written`, when given, is
   * called once the chunk has been written out (not before: until then the stream reads it).
   */
  write(chunk: Uint8Array, written?: () => void): Promise<void>;
  /** Flushes and closes (for a file) or just flushes (for a stream not owned). */
  close(): Promise<void>;
}

function ioError(target: string, e: unknown): VethcapError {
  return new VethcapError('IO', `cannot write ${target}: ${ioReason(e, 'no such directory')}.`, { cause: e });
}

/**
 * True when a write failed because the reader of a pipe went away (EPIPE: `vethcap … | head`
 * has read enough). Not a failure of vethcap's: the caller stops quietly, as tools killed by
 * SIGPIPE do, and finishes its files.
 */
export function isReaderGone(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 3 && typeof e === 'object' && e !== null; depth++) {
    if ((e as { code?: unknown }).code === 'EPIPE') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** A sink on a Writable; `end` says whether close() ends the stream (not for process.stdout). */
export function writableSink(stream: Writable, target = 'the output stream', end = false): CaptureSink {
  let failure: unknown;
  stream.on('error', (e) => {
    failure = e;
  });
  return {
    async write(chunk, written) {
      if (failure !== undefined) throw ioError(target, failure);
      if (chunk.length === 0) return;
      const ok = written === undefined ? stream.write(chunk) : stream.write(chunk, (e) => {
        if (e == null) written();
      });
      if (!ok) {
        // once() rejects if the stream emits 'error' while we wait, and cleans up after itself.
        try {
          await once(stream, 'drain');
        } catch (e) {
          failure = e;
        }
      }
      if (failure !== undefined) throw ioError(target, failure);
    },
    async close() {
      if (failure !== undefined) throw ioError(target, failure);
      if (end) {
        stream.end();
        try {
          await once(stream, 'close');
        } catch (e) {
          throw ioError(target, e);
        }
      }
      if (failure !== undefined) throw ioError(target, failure);
    },
  };
}

/** A sink on a file: written by the rules of openOutputFile (0600, no symlink, regular file or FIFO, sudo's user). */
export interface FileSink extends CaptureSink {
  /** A regular file, or a FIFO (which is never removed). */
  kind: 'file' | 'fifo';
}

/** A sink writing a new file (truncating an existing one of the user's own; see openOutputFile). */
export async function openFileSink(path: string): Promise<FileSink> {
  const file = await openOutputFile(path);
  const stream = file.handle.createWriteStream({ highWaterMark: 4 * 1024 * 1024 });
  return { ...writableSink(stream, path, true), kind: file.kind };
}
