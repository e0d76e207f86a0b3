import { pathFindings } from '../correlate/findings.js';
import type { PacketPath } from '../correlate/path.js';
import type { Topology } from '../model/topology.js';
import type { RunSummary } from '../render/run-summary.js';
import type { ReportCopy, ReportData, ReportHop, ReportPath, ReportPoint, ReportVerify } from './report-data.js';

/** Paths that are not complete (lost, not captured, undetermined, after the stop), kept in full up to this many. */
export const MAX_OTHER_PATHS = 20_000;
/** Complete paths kept: the first ones, then a uniform sample of the rest. */
export const MAX_COMPLETE_PATHS = 2_000;
const BINS = 40;

/** Per point, from its capture: what it wrote and what the kernel dropped. */
export interface PointCapture {
  captured: number;
  droppedByKernel: number;
}

/** What the page needs besides the paths, known at the end of the run. */
export interface ReportMeta {
  kind: ReportData['kind'];
  commandLine: string;
  startedAt: Date;
  vethcapVersion: string;
  summary: RunSummary;
  /** Per point (the topology's order), null where not known. */
  captures?: ReadonlyArray<PointCapture | null>;
  /** Bridge port states by port interface name (verify reads them). */
  portStates?: Record<string, string>;
  verify?: ReportVerify;
}

/**
 * Gathers what an HTML report shows while paths stream by, in bounded memory: every
 * path that is not complete (up to MAX_OTHER_PATHS), the first complete ones and a
 * uniform sample of the rest (MAX_COMPLETE_PATHS in all), each kept compact, and a
 * latency histogram per hop pair. Pure: no I/O; report-html.ts turns the result into a page.
 */
export class ReportCollector {
  private readonly complete: ReportPath[] = [];
  private readonly other: ReportPath[] = [];
  private completeTotal = 0;
  private otherTotal = 0;
  private seed = 0x9e3779b9;
  private readonly index = new Map<string, number>();
  private readonly hops = new Map<string, { from: string; to: string; count: number; bins: number[] }>();

  constructor(private readonly topology: Topology) {
    topology.points.forEach((p, i) => this.index.set(p.label, i));
  }

  add(path: PacketPath): void {
    if (path.verdict === 'complete' && path.notCaptured.length === 0 && path.branches.length === 0) this.addHops(path);
    if (path.verdict === 'complete' || path.verdict === null) {
      this.completeTotal++;
      if (this.complete.length < MAX_COMPLETE_PATHS) {
        this.complete.push(compact(path));
        return;
      }
      // Reservoir sampling: each complete path has the same chance to be kept.
      this.seed = (Math.imul(this.seed, 1664525) + 1013904223) >>> 0;
      const j = this.seed % this.completeTotal;
      if (j < MAX_COMPLETE_PATHS) this.complete[j] = compact(path);
      return;
    }
    this.otherTotal++;
    if (this.other.length < MAX_OTHER_PATHS) this.other.push(compact(path));
  }

  private addHops(path: PacketPath): void {
    let prev = '';
    for (const c of path.copies) {
      if (c.hop === 0) continue;
      if (prev !== '' && c.deltaNs !== null) {
        const key = `${prev}\u0000${c.label}`;
        let h = this.hops.get(key);
        if (!h) this.hops.set(key, (h = { from: prev, to: c.label, count: 0, bins: new Array<number>(BINS).fill(0) }));
        h.count++;
        h.bins[Math.min(BINS - 1, c.deltaNs <= 1 ? 0 : Math.floor(Math.log2(c.deltaNs)))]!++;
      }
      prev = c.label;
    }
  }

  result(meta: ReportMeta): ReportData {
    const s = meta.summary;
    const perPoint = new Map(s.points.map((p) => [p.point, p]));
    const points = this.topology.points.map((p, i): ReportPoint => {
      const cap = meta.captures?.[i] ?? null;
      const state = meta.portStates?.[p.ifname];
      return {
        label: p.label,
        role: p.role,
        ifname: p.ifname,
        ...(p.owner !== undefined ? { owner: p.owner } : {}),
        ...(p.bridge !== undefined ? { bridge: p.bridge } : {}),
        ...(p.peer !== undefined ? { peer: p.peer } : {}),
        ...(p.addresses !== undefined ? { addresses: [...p.addresses] } : {}),
        packets: perPoint.get(p.label)?.packets ?? 0,
        captured: cap ? cap.captured : null,
        droppedByKernel: cap ? cap.droppedByKernel : null,
        notCaptured: perPoint.get(p.label)?.notCaptured ?? 0,
        ...(state !== undefined && p.role === 'host-veth' ? { state } : {}),
      };
    });
    const hops = [...this.hops.values()].map((h): ReportHop => {
      const summed = s.hops.find((x) => x.from === h.from && x.to === h.to);
      return { from: h.from, to: h.to, count: h.count, p50Ns: summed?.p50Ns ?? null, p99Ns: summed?.p99Ns ?? null, bins: trim(h.bins) };
    });
    const paths = [...this.other, ...this.complete].sort((a, b) => a.id - b.id);
    return {
      version: 1,
      kind: meta.kind,
      commandLine: meta.commandLine,
      startedAt: meta.startedAt.toISOString(),
      vethcapVersion: meta.vethcapVersion,
      points,
      counts: {
        paths: s.paths,
        complete: s.complete,
        lost: s.lost,
        notCaptured: s.notCaptured,
        undetermined: s.undetermined,
        unknown: s.unknown,
        afterStop: s.afterStop,
      },
      hops,
      paths,
      kept: { complete: this.complete.length, completeTotal: this.completeTotal, other: this.other.length, otherTotal: this.otherTotal },
      ...(meta.verify ? { verify: meta.verify } : {}),
    };
  }
}

/** Trailing empty bins dropped. */
function trim(bins: number[]): number[] {
  let n = bins.length;
  while (n > 0 && bins[n - 1] === 0) n--;
  return bins.slice(0, n);
}

function compact(p: PacketPath): ReportPath {
  const first = p.copies[0];
  const sec = first?.ts.tsSec ?? 0;
  const nsec = first?.ts.tsNsec ?? 0;
  const copies = p.copies.map((c): ReportCopy => [c.point, (c.ts.tsSec - sec) * 1e9 + (c.ts.tsNsec - nsec), c.hop, c.deltaNs, c.branch]);
  return {
    id: p.id,
    summary: p.summary,
    protocol: p.protocol,
    length: p.length,
    verdict: p.verdict,
    ts: first ? `${first.ts.tsSec}.${String(first.ts.tsNsec).padStart(9, '0')}` : '0.000000000',
    copies,
    expected: p.expected,
    findings: pathFindings(p),
  };
}
