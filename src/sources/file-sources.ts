import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VethcapError } from '../errors.js';
import type { CapturePoint } from '../model/topology.js';
import { MANIFEST_FILE, type SessionStopReason } from '../model/manifest.js';
import { TraceCoverage } from '../capture/coverage.js';
import { parseSessionManifest } from './session-manifest.js';
import { readCaptureFile } from './read-capture.js';
import type { SourceCoverage, SourceWindow } from '../pipeline/source.js';
import type { CaptureEvent, InterfaceEvent } from '../pcap/events.js';

/** One input file and, optionally, the label the user gave it (`--label NAME=FILE`). */
export interface FileInput {
  path: string;
  label?: string;
}

/** A file and the capture points its interfaces feed. */
export interface PlannedFile {
  path: string;
  /** interfaceId in the file → point index. */
  pointOf: Map<number, number>;
}

export interface FileSources {
  points: CapturePoint[];
  files: PlannedFile[];
  /** Statistics found in the inputs (pcapng ISBs, or a session manifest), per point. */
  stats: Array<{ received: bigint | null; dropped: bigint | null }>;
  /** A session saved by `trace --save` (manifest version 2): what the live trace judged by. */
  session?: SavedSession;
}

/** What a saved session brings to its replay, so that it judges as the live trace did. */
export interface SavedSession {
  window: SourceWindow;
  coverage: SourceCoverage;
  stopReason: SessionStopReason;
  /** The correlation window the trace used (ns). */
  windowNs?: number;
  /** The trace's -c N. */
  count?: number;
}

/**
 * How a file's bytes become event batches: readCaptureFile, unless a caller (the fuzzer,
 * `npm run fuzz`) feeds captures held in memory through the same planning and pumping.
 */
export type CaptureReader = (path: string) => AsyncGenerator<CaptureEvent[], void, undefined>;

/**
 * Plans the inputs of `vethcap merge`: a session folder (its manifest names the points
 * and their topology), or capture files, one point per classic pcap and one per pcapng
 * interface. Labels: as given, else the pcapng interface name, else the file name.
 */
export async function planFileSources(inputs: readonly FileInput[], read: CaptureReader = readCaptureFile): Promise<FileSources> {
  if (inputs.length === 1 && (await isDirectory(inputs[0]!.path))) return planSessionFolder(inputs[0]!.path);
  const points: CapturePoint[] = [];
  const files: PlannedFile[] = [];
  for (const input of inputs) {
    const interfaces = await scanInterfaces(input.path, read);
    const pointOf = new Map<number, number>();
    for (const iface of interfaces) {
      const base = basename(input.path).replace(/\.(pcapng|pcap|cap|ntar)(\.gz)?$/i, '');
      const label = input.label && interfaces.length === 1 ? input.label : input.label ? `${input.label}:${iface.name ?? iface.interfaceId}` : iface.name ?? (interfaces.length === 1 ? base : `${base}#${iface.interfaceId}`);
      pointOf.set(iface.interfaceId, points.length);
      points.push({
        label: uniqueLabel(label, points),
        description: iface.description ?? `${input.path}${interfaces.length > 1 ? ` interface ${iface.interfaceId}` : ''}`,
        role: 'file',
        ifname: iface.name ?? base,
        linkType: iface.linkType,
        ...(iface.snaplen > 0 ? { snaplen: iface.snaplen } : {}),
        ...(iface.filter ? { filter: iface.filter } : {}),
      });
    }
    files.push({ path: input.path, pointOf });
  }
  return { points, files, stats: points.map(() => ({ received: null, dropped: null })) };
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

async function planSessionFolder(dir: string): Promise<FileSources> {
  const where = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(where, 'utf8');
  } catch (error) {
    throw new VethcapError('IO', `${dir} is a folder without a readable ${MANIFEST_FILE}: give capture files, or a folder written by vethcap.`, { cause: error });
  }
  const manifest = parseSessionManifest(text, where);
  const points: CapturePoint[] = manifest.points.map((p) => {
    const { file: _file, stats: _stats, ...point } = p;
    const { coverage: _coverage, ...bare } = point as CapturePoint & { coverage?: unknown };
    return bare;
  });
  const files = manifest.points.map((p, i) => ({ path: join(dir, p.file), pointOf: new Map([[0, i]]) }));
  const stats = manifest.points.map((p) => ({
    received: p.stats ? BigInt(p.stats.captured) : null,
    dropped: p.stats ? BigInt(p.stats.droppedByKernel) : null,
  }));
  if (manifest.vethcap === 1) return { points, files, stats };
  // Saved by `trace --save`: the replay judges by what the trace knew (its window, each point's drops).
  const { window } = manifest;
  const session: SavedSession = {
    window: { openAtMs: window.armedAtMs, ...(window.stopAtMs !== null ? { stopAtMs: window.stopAtMs } : {}) },
    coverage: TraceCoverage.restore(manifest.points.map((p) => p.coverage)),
    stopReason: window.stopReason,
    ...(manifest.windowNs !== undefined ? { windowNs: manifest.windowNs } : {}),
    ...(manifest.count !== undefined ? { count: manifest.count } : {}),
  };
  return { points, files, stats, session };
}

function uniqueLabel(label: string, points: readonly CapturePoint[]): string {
  let candidate = label;
  for (let n = 2; points.some((p) => p.label === candidate); n++) candidate = `${label}#${n}`;
  return candidate;
}

/**
 * The interfaces of a capture file. A classic pcap has one, known from its header; a
 * pcapng file may describe more interfaces in later sections, so it is scanned whole.
 */
async function scanInterfaces(path: string, read: CaptureReader): Promise<InterfaceEvent[]> {
  const found: InterfaceEvent[] = [];
  for await (const batch of read(path)) {
    let pcapng = false;
    for (const ev of batch) {
      if (ev.kind === 'interface') found.push(ev);
      else if (ev.kind === 'section' && ev.format === 'pcapng') pcapng = true;
    }
    if (!pcapng && found.length > 0) break;
  }
  if (found.length === 0) throw new VethcapError('BAD_CAPTURE', `${path} describes no interface: it holds no packets vethcap can place.`);
  return found;
}
