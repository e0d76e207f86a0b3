/**
 * A session folder (`vethcap trace … --save DIR`): every point's capture as its own
 * classic nanosecond pcap, as tcpdump handed it over, and a manifest.json (version 2)
 * that says what the files are and what the trace knew of them (its window, each
 * point's kernel drops over time and early end), so `vethcap merge DIR` replays the
 * session with the same verdicts. Layout and keys: docs/session.md.
 *
 * The folder holds traffic contents, so it is written like every other file vethcap
 * writes (see output-file.ts): created 0700 (its files 0600), never through a symbolic
 * link, given to the user behind sudo. It must be new or an empty folder of the user's
 * own, so no earlier session is mixed in or overwritten. The manifest is written last:
 * a folder without one is an unfinished session.
 */
import { constants, lstat, mkdir, open, readdir, rm, rmdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { join } from 'node:path';
import { VethcapError, ioReason } from '../errors.js';
import { MANIFEST_FILE, type SavedCoverage, type SavedStats, type SessionManifestV2, type SessionWindow } from '../model/manifest.js';
import { LINKTYPE, type CaptureRecord } from '../model/record.js';
import type { CapturePoint } from '../model/topology.js';
import { PcapWriter } from '../pcap/pcap-writer.js';
import { DEFAULT_SNAPLEN } from '../pcap/pcapng-writer.js';
import { openFileSink, type FileSink } from './capture-sink.js';
import { VETHCAP_VERSION } from '../version.js';
import { parseSessionManifest } from '../sources/session-manifest.js';
import { openOutputFile, sudoOwner } from './output-file.js';

/** What the trace knows only at its end, for the manifest (see SessionManifestV2). */
export interface SessionCloseInfo {
  window: SessionWindow;
  /** Per point, tcpdump's own counts (only `captured` and `droppedByKernel` are kept), null where it printed none. */
  stats: ReadonlyArray<SavedStats | null>;
  /** Per point (TraceCoverage.save()). */
  coverage: readonly SavedCoverage[];
  description?: string;
  /** vethcap's command line, without node and the script. */
  argv?: readonly string[];
  /** The correlation window the trace used (ns). */
  windowNs?: number;
  /** The trace's -c N, so the replay stops at as many paths. */
  count?: number;
}

interface PointFile {
  point: CapturePoint;
  /** File name inside the folder. */
  name: string;
  path: string;
  sink: FileSink;
  /** Made with the first record (or at close), so the pcap header carries the link type tcpdump reported. */
  writer: PcapWriter | null;
  linkType: number;
  snaplen: number;
  packets: number;
}

/**
 * Per point, the writer's chunk: a point's bytes go out once 7/8 of it gather. Smaller
 * than the merged writers' 4 MiB, since every point holds one (ten points, 10 MiB).
 */
const CHUNK_BYTES = 1024 * 1024;
/** A label in a file name is cut to this many characters (the NN- prefix keeps names apart). */
const MAX_LABEL_CHARS = 100;

const { O_RDONLY, O_DIRECTORY, O_NOFOLLOW } = constants;

export class SessionFolder {
  private closed = false;

  private constructor(
    /** The folder, as given. */
    readonly dir: string,
    private readonly points: PointFile[],
    /** When the folder was made (ISO 8601), for the manifest. */
    private readonly created: string,
    /** Whether create() made the folder (discard() then removes it). */
    private readonly madeDir: boolean,
  ) {}

  /**
   * Creates `dir` (it must not exist, or be an empty folder of the user's own; never a
   * symbolic link), mode 0700 and owned by the user behind sudo, and opens one pcap per
   * point through openOutputFile (0600). On failure nothing it made is left behind.
   */
  static async create(dir: string, points: readonly CapturePoint[]): Promise<SessionFolder> {
    if (points.length === 0) throw new VethcapError('INTERNAL', 'a session folder was asked for with no capture points.');
    const created = new Date().toISOString();
    const madeDir = await prepareFolder(dir);
    const width = Math.max(2, String(points.length).length);
    const opened: PointFile[] = [];
    try {
      for (const [i, point] of points.entries()) {
        const name = pointFileName(i, point.label, width);
        const path = join(dir, name);
        const sink = await openFileSink(path);
        opened.push({ point, name, path, sink, writer: null, linkType: point.linkType ?? LINKTYPE.ETHERNET, snaplen: point.snaplen ?? DEFAULT_SNAPLEN, packets: 0 });
      }
    } catch (error) {
      await Promise.allSettled(opened.map((f) => f.sink.close()));
      await Promise.allSettled(opened.map((f) => rm(f.path, { force: true })));
      if (madeDir) await rmdir(dir).catch(() => undefined);
      throw error;
    }
    return new SessionFolder(dir, opened, created, madeDir);
  }

  /**
   * Closes and removes what create() made, when the run failed before it captured anything
   * (a bad -w path): nothing is left behind for a session that never was.
   */
  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled(this.points.map((f) => f.sink.close()));
    await Promise.allSettled(this.points.map((f) => rm(f.path, { force: true })));
    if (this.madeDir) await rmdir(this.dir).catch(() => undefined);
  }

  /** The pcap files' names inside the folder, in point order. */
  get files(): string[] {
    return this.points.map((f) => f.name);
  }

  /** Packets written so far (buffered ones included), in all files. */
  get packetsWritten(): number {
    let n = 0;
    for (const f of this.points) n += f.packets;
    return n;
  }

  /** Packets written so far per point, in point order. */
  get packetsPerPoint(): number[] {
    return this.points.map((f) => f.packets);
  }

  /**
   * Appends one record, as the source handed it over (bytes, timestamp, wire length), to
   * its point's pcap; buffered until flush() or close(). Synchronous: it copies the bytes,
   * so the record's buffer may be reused once it returns.
   */
  write(record: CaptureRecord): void {
    if (this.closed) throw new VethcapError('INTERNAL', `a record was handed to the session folder ${this.dir} after it was closed.`);
    const f = this.points[record.point];
    if (f === undefined) throw new VethcapError('INTERNAL', `a record of point ${record.point} was handed to the session folder ${this.dir}, which has ${this.points.length} points.`);
    if (f.writer === null) {
      f.linkType = record.linkType;
      f.writer = new PcapWriter({ linkType: f.linkType, snaplen: f.snaplen }, CHUNK_BYTES);
    } else if (record.linkType !== f.linkType) {
      throw new VethcapError('INTERNAL', `${f.point.label} handed over a frame of link type ${record.linkType} after frames of link type ${f.linkType}; its pcap can hold only one.`);
    }
    f.writer.write(record);
    f.packets++;
  }

  /** True when some point holds enough that the caller should flush(). */
  get shouldFlush(): boolean {
    return this.points.some((f) => f.writer?.shouldTake ?? false);
  }

  /** Writes out the points that hold enough (see shouldFlush); resolves when the files took it (backpressure). */
  async flush(): Promise<void> {
    const writes: Array<Promise<void>> = [];
    // take() and the sink's write run together, so a point's chunks reach its file in order even when flushes overlap.
    for (const f of this.points) if (f.writer?.shouldTake) writes.push(f.sink.write(f.writer.take()));
    await Promise.all(writes);
  }

  /**
   * Writes what is held, closes every pcap, then writes manifest.json (version 2). When a
   * pcap cannot be finished (disk full), every file is still closed, no manifest is
   * written (the folder stays an unfinished session) and the first error is thrown.
   * Call it once, also after a failed write or flush: it is what releases the files.
   */
  async close(info: SessionCloseInfo): Promise<void> {
    if (this.closed) throw new VethcapError('INTERNAL', `the session folder ${this.dir} was closed twice.`);
    this.closed = true;
    const results = await Promise.allSettled(this.points.map(async (f) => {
      try {
        f.writer ??= new PcapWriter({ linkType: f.linkType, snaplen: f.snaplen }, CHUNK_BYTES);
        await f.sink.write(f.writer.take());
      } finally {
        await f.sink.close();
      }
    }));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const n = this.points.length;
    if (info.stats.length !== n || info.coverage.length !== n) {
      throw new VethcapError('INTERNAL', `the session folder ${this.dir} has ${n} points but was closed with ${info.stats.length} statistics and ${info.coverage.length} coverages.`);
    }
    await this.writeManifest(this.manifest(info));
  }

  private manifest(info: SessionCloseInfo): SessionManifestV2 {
    return {
      vethcap: 2,
      ...(info.description !== undefined ? { description: info.description } : {}),
      created: this.created,
      vethcapVersion: VETHCAP_VERSION,
      ...(info.argv !== undefined ? { argv: [...info.argv] } : {}),
      window: { armedAtMs: info.window.armedAtMs, stopAtMs: info.window.stopAtMs, stopReason: info.window.stopReason },
      ...(info.windowNs !== undefined ? { windowNs: info.windowNs } : {}),
      ...(info.count !== undefined ? { count: info.count } : {}),
      points: this.points.map((f, i) => {
        const stats = info.stats[i] ?? null;
        return {
          ...pointKeys(f.point),
          // What the file holds, which is what a replay reads.
          snaplen: f.snaplen,
          linkType: f.linkType,
          file: f.name,
          stats: stats === null ? null : { captured: stats.captured, droppedByKernel: stats.droppedByKernel },
          coverage: info.coverage[i]!,
        };
      }),
    };
  }

  private async writeManifest(manifest: SessionManifestV2): Promise<void> {
    const path = join(this.dir, MANIFEST_FILE);
    const text = JSON.stringify(manifest, null, 2) + '\n';
    try {
      // Never leave a manifest this vethcap cannot read back (a NaN becomes null in JSON, say).
      parseSessionManifest(text, path);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new VethcapError('INTERNAL', `the session manifest made for ${this.dir} does not read back (${why}); the capture files in it are complete.`, { cause: error });
    }
    const file = await openOutputFile(path);
    try {
      await file.handle.writeFile(text, 'utf8');
    } catch (error) {
      throw new VethcapError('IO', `cannot write ${path}: ${ioReason(error, 'no such directory')}; the capture files are complete, but without the manifest the folder is an unfinished session.`, { cause: error });
    } finally {
      await file.handle.close().catch(() => undefined);
    }
  }
}

/** `NN-<label>.pcap`, NN the 1-based point number; characters a file name should not hold (`:`, `/`, spaces) become `_`. */
export function pointFileName(index: number, label: string, width = 2): string {
  const safe = label.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, MAX_LABEL_CHARS);
  return `${String(index + 1).padStart(width, '0')}-${safe}.pcap`;
}

/** The CapturePoint keys of a point (a PlannedPoint carries more, such as its namespace path, which the manifest does not keep). */
function pointKeys(p: CapturePoint): CapturePoint {
  return {
    label: p.label,
    description: p.description,
    role: p.role,
    ifname: p.ifname,
    ...(p.owner !== undefined ? { owner: p.owner } : {}),
    ...(p.endpointMac !== undefined ? { endpointMac: p.endpointMac } : {}),
    ...(p.addresses !== undefined ? { addresses: p.addresses } : {}),
    ...(p.hostRoutes !== undefined ? { hostRoutes: p.hostRoutes } : {}),
    ...(p.peer !== undefined ? { peer: p.peer } : {}),
    ...(p.bridge !== undefined ? { bridge: p.bridge } : {}),
    ...(p.filter !== undefined ? { filter: p.filter } : {}),
  };
}

function errno(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
}

function usage(dir: string, what: string): VethcapError {
  return new VethcapError('USAGE', `cannot save the session in ${dir}: ${what}.`);
}

function ioFailure(dir: string, e: unknown): VethcapError {
  return new VethcapError('IO', `cannot save the session in ${dir}: ${ioReason(e, 'its parent folder does not exist (create it first)')}.`, { cause: e });
}

/** What a non-folder is, in words. */
function kindOf(st: Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  if (st.isFIFO()) return 'a FIFO';
  return 'not a folder';
}

/**
 * Makes the folder, or checks that the one there is empty and the user's own; then sets
 * it to 0700 and gives it to the user behind sudo, through a descriptor opened without
 * following a link (so what is changed is what was checked). Returns true when it made it.
 */
async function prepareFolder(dir: string): Promise<boolean> {
  let made = false;
  try {
    // mkdir never follows a symbolic link in the last component (a dangling one is EEXIST).
    await mkdir(dir, { mode: 0o700 });
    made = true;
  } catch (e) {
    if (errno(e) !== 'EEXIST') throw ioFailure(dir, e);
  }
  try {
    const before = await lstat(dir).catch((e: unknown) => {
      throw ioFailure(dir, e);
    });
    if (before.isSymbolicLink()) throw usage(dir, 'it is a symbolic link, and vethcap does not write a session through one (give the path of a new folder)');
    if (!before.isDirectory()) throw usage(dir, `it is ${kindOf(before)}, not a folder (give the path of a new folder; --save creates it)`);
    if (!made) {
      const euid = process.geteuid?.();
      if (euid !== undefined && before.uid !== euid && before.uid !== sudoOwner()?.uid) {
        throw usage(dir, `the folder belongs to another user (uid ${before.uid}) (give the path of a new folder)`);
      }
      const entries = await readdir(dir).catch((e: unknown) => {
        throw ioFailure(dir, e);
      });
      if (entries.length > 0) throw usage(dir, 'the folder is not empty (give the path of a new or empty folder, so no earlier session is mixed in or overwritten)');
    }
    const handle = await open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW).catch((e: unknown) => {
      throw errno(e) === 'ELOOP' ? usage(dir, 'it is a symbolic link, and vethcap does not write a session through one (give the path of a new folder)') : ioFailure(dir, e);
    });
    try {
      const st = await handle.stat();
      if (st.ino !== before.ino || st.dev !== before.dev) throw usage(dir, 'it was replaced while vethcap prepared it (give the path of a new folder)');
      // Exactly 0700 whatever the umask, and for an empty folder that was there too.
      if ((st.mode & 0o7777) !== 0o700) await handle.chmod(0o700);
      const owner = sudoOwner();
      if (owner && (st.uid !== owner.uid || st.gid !== owner.gid)) await handle.chown(owner.uid, owner.gid);
    } finally {
      await handle.close();
    }
    return made;
  } catch (error) {
    if (made) await rmdir(dir).catch(() => undefined);
    throw error instanceof VethcapError ? error : ioFailure(dir, error);
  }
}
