import { closeSync, fstatSync, mkdtempSync, openSync, read, rmdirSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statfs } from 'node:fs/promises';
import { VethcapError, ioReason } from '../errors.js';
import { spawnTool } from '../exec/spawn.js';

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
      let fd: number | undefined;
      try {
        fd = openSync(path, 'wx+', 0o600);
        unlinkSync(path);
        rmdirSync(folder);
      } catch (error) {
        if (fd !== undefined) closeSync(fd);
        rmSync(folder, { recursive: true, force: true });
        throw error;
      }
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

/**
 * Free space below which a trace is warned: the spool grows only while vethcap is behind
 * (space read is given back every 64 MiB per point), but a burst it falls behind on needs
 * room. tcpdump does not check its writes, so a full disk would lose capture without a word.
 */
export const LOW_SPOOL_SPACE_BYTES = 256 * 1024 * 1024;

/** The sentence to warn with when `freeBytes` in the spool directory is low; undefined if not. */
export function spoolSpaceWarning(dir: string, freeBytes: number): string | undefined {
  if (freeBytes >= LOW_SPOOL_SPACE_BYTES) return undefined;
  return `only ${Math.floor(freeBytes / (1024 * 1024))} MiB free in ${dir} for the spool: capture vethcap falls behind on may be lost if it fills; set VETHCAP_SPOOL_DIR to a directory with more room.`;
}

/** Checks the free space of the spool directory (best effort: undefined when it cannot tell). */
export async function checkSpoolSpace(dir = spoolDir()): Promise<string | undefined> {
  try {
    const s = await statfs(dir);
    return spoolSpaceWarning(dir, s.bavail * s.bsize);
  } catch {
    return undefined; // a missing directory is said when the spool is created
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
  /**
   * Asked before each read: a promise to wait for before reading on (the consumer's
   * outputs are full), or undefined to read now. Backpressure: however slow stdout is, the
   * backlog waits on disk, not in memory.
   */
  gate?: () => Promise<void> | undefined;
}

/** A read smaller than this is copied out of the read buffer, which is then reused (see loop). */
const SMALL_READ_BYTES = 16 * 1024;

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
  private abandoned = false;
  private wakeUp: (() => void) | undefined;
  private readonly chunkBytes: number;
  private readonly pollMs: number;
  private readonly releaseEvery: number;

  constructor(
    private readonly spool: SpoolFile,
    private readonly onData: (chunk: Buffer) => void,
    private readonly options: SpoolReaderOptions = {},
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

  /** abandon() was called. */
  get isAbandoned(): boolean {
    return this.abandoned;
  }

  /** Read no more (what is left is not wanted: -c reached, a second Ctrl-C); `ended` resolves soon. */
  abandon(): void {
    this.abandoned = true;
    this.wakeUp?.();
  }

  /** Bytes written to the spool so far (its size), or 0 once it is closed. */
  writtenBytes(): number {
    try {
      return fstatSync(this.spool.fd).size;
    } catch {
      return 0; // closed
    }
  }

  /** Bytes written to the spool and not read yet. */
  unreadBytes(): number {
    try {
      return Math.max(0, fstatSync(this.spool.fd).size - this.position);
    } catch {
      return 0; // closed
    }
  }

  private async loop(): Promise<void> {
    let buffer = Buffer.allocUnsafe(this.chunkBytes);
    try {
      for (;;) {
        const wait = this.abandoned ? undefined : this.options.gate?.();
        if (wait !== undefined) await this.gated(wait);
        if (this.abandoned) return;
        const finalPass = this.writerExited;
        const n = await readAt(this.spool.fd, buffer, this.position);
        if (n > 0) {
          this.position += n;
          // The parser keeps views into what it is given until their packets are written, so
          // a chunk handed over is never read into again. A small read (a trickle of packets)
          // is copied out instead, so it does not pin a whole read buffer.
          if (n < SMALL_READ_BYTES) {
            this.onData(Buffer.from(buffer.subarray(0, n)));
          } else {
            this.onData(n === buffer.length ? buffer : buffer.subarray(0, n));
            buffer = Buffer.allocUnsafe(this.chunkBytes);
          }
          this.maybeRelease();
          continue;
        }
        if (finalPass) return;
        await this.idle();
      }
    } finally {
      // The spool is closed after this: no punch may be still starting then.
      while (this.releasing) await this.releasing;
    }
  }

  /** Waits for the next poll, or less if woken (the writer exited, abandon()). */
  private async idle(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.pollMs);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
  }

  /** Waits for the gate to open, or less if abandon() comes first. */
  private async gated(wait: Promise<void>): Promise<void> {
    await Promise.race([
      wait,
      new Promise<void>((resolve) => {
        this.wakeUp = resolve;
      }),
    ]);
    this.wakeUp = undefined;
  }

  private maybeRelease(): void {
    if (this.releasing || this.releaseEvery <= 0 || this.position - this.released < this.releaseEvery) return;
    // Whole 4 KiB blocks only: the block holding the read position stays.
    const upTo = Math.floor(this.position / 4096) * 4096;
    this.released = upTo;
    this.releasing = punchHole(this.spool.fd, upTo).finally(() => {
      this.releasing = undefined;
      // What was read meanwhile, if it is enough for another hole.
      if (!this.abandoned) this.maybeRelease();
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
  // The file is fallocate's stdin, opened again through /dev/stdin: fallocate holds its own
  // copy of the descriptor, so a number vethcap closes and reuses meanwhile cannot make it
  // punch another file, and it needs no access to vethcap's /proc entry.
  // No fallocate (a failed spawn), or a failure: the bytes stay.
  try {
    await spawnTool('fallocate', ['--punch-hole', '--offset', '0', '--length', String(length), '/dev/stdin'], { stdio: [fd, 'ignore', 'ignore'], timeoutMs: 10_000 }).ended;
  } catch {
    // spawnTool threw at once (EPERM): the same
  }
}
