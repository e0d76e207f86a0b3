import { closeSync, mkdtempSync, openSync, read, rmdirSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { VethcapError, ioReason } from '../errors.js';

/**
 * A spool file: where one tcpdump writes its pcap (it is tcpdump's stdout) and vethcap
 * reads it back as it grows. tcpdump writes at disk speed whatever vethcap's pace, so a
 * burst vethcap cannot parse in real time waits on disk, not in the kernel's capture
 * buffer, where it would be dropped. The file is unlinked as soon as it is opened: it
 * has no name, and nothing is left behind however vethcap ends.
 */
export class SpoolFile {
  private closed = false;

  private constructor(readonly fd: number) {}

  /** Opens an unnamed file in `dir` (the system's temporary directory by default). */
  static create(dir = spoolDir()): SpoolFile {
    try {
      const folder = mkdtempSync(join(dir, 'vethcap-spool-'));
      const path = join(folder, 'capture.pcap');
      const fd = openSync(path, 'wx+', 0o600);
      unlinkSync(path);
      rmdirSync(folder);
      return new SpoolFile(fd);
    } catch (error) {
      throw new VethcapError('IO', `cannot create a spool file in ${dir}: ${ioReason(error, 'no such directory')}.`, {
        hint: 'set VETHCAP_SPOOL_DIR (or TMPDIR) to a writable directory with free space.',
        cause: error,
      });
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** VETHCAP_SPOOL_DIR, else TMPDIR, else /tmp. */
export function spoolDir(): string {
  return process.env.VETHCAP_SPOOL_DIR || tmpdir();
}

export interface SpoolReaderOptions {
  /** Bytes per read. */
  chunkBytes?: number;
  /** How long to wait at the end of the file before looking again. */
  pollMs?: number;
  /**
   * Give the disk space of what was read back to the file system (a hole punched with
   * fallocate) every this many bytes; 0 turns it off. Keeps a long trace's spool small.
   */
  releaseEveryBytes?: number;
}

/**
 * Reads a spool file from the start as its writer appends to it, handing each chunk to
 * `onData` (synchronously: the next read waits until the chunk is consumed, so memory
 * stays bounded however far behind the consumer is). writerDone() says the writer has
 * exited; the reader then reads to the end and resolves `ended`.
 */
export class SpoolReader {
  readonly ended: Promise<void>;
  private position = 0;
  private released = 0;
  private releasing: Promise<void> | undefined;
  private writerExited = false;
  private wakeUp: (() => void) | undefined;
  private readonly chunkBytes: number;
  private readonly pollMs: number;
  private readonly releaseEvery: number;

  constructor(
    private readonly spool: SpoolFile,
    private readonly onData: (chunk: Buffer) => void,
    options: SpoolReaderOptions = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? 256 * 1024;
    this.pollMs = options.pollMs ?? 20;
    this.releaseEvery = options.releaseEveryBytes ?? 64 * 1024 * 1024;
    this.ended = this.loop();
  }

  /** Bytes read so far. */
  get bytesRead(): number {
    return this.position;
  }

  /** The writer has exited: read what is left, then end. */
  writerDone(): void {
    this.writerExited = true;
    this.wakeUp?.();
  }

  private async loop(): Promise<void> {
    for (;;) {
      const finalPass = this.writerExited;
      const buffer = Buffer.allocUnsafe(this.chunkBytes);
      const n = await readAt(this.spool.fd, buffer, this.position);
      if (n > 0) {
        this.position += n;
        this.onData(n === buffer.length ? buffer : buffer.subarray(0, n));
        this.maybeRelease();
        continue;
      }
      if (finalPass) {
        // The fd must stay open (and its number unused) until fallocate has let go of it.
        await this.releasing;
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.pollMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  private maybeRelease(): void {
    if (this.releasing || this.releaseEvery <= 0 || this.position - this.released < this.releaseEvery) return;
    // Whole 4 KiB blocks only: the block holding the read position stays.
    const upTo = Math.floor(this.position / 4096) * 4096;
    this.released = upTo;
    this.releasing = punchHole(this.spool.fd, upTo).finally(() => {
      this.releasing = undefined;
    });
  }
}

function readAt(fd: number, buffer: Buffer, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buffer, 0, buffer.length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)));
  });
}

/**
 * Frees the blocks of [0, length) of the file behind our `fd` (the size is kept, reads of
 * that range return zeros). Node has no fallocate, so util-linux's does it through
 * /proc/PID/fd. Best effort: a file system without hole punching just keeps the bytes.
 */
async function punchHole(fd: number, length: number): Promise<void> {
  await execa('fallocate', ['--punch-hole', '--offset', '0', '--length', String(length), `/proc/${process.pid}/fd/${fd}`], {
    reject: false,
    stdin: 'ignore',
    timeout: 10_000,
  });
}
