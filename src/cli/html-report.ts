import type { RunSummary } from '../render/run-summary.js';
import type { ReportCollector, ReportMeta } from '../report/collector.js';
import type { ReportFile } from '../sinks/report-file.js';
import type { TraceResult } from '../trace/trace.js';
import { VETHCAP_VERSION } from '../version.js';

/** `--html FILE`, shared by trace, merge, verify and demo. */
export const HTML_OPTION = {
  type: 'string',
  describe: 'Also write a self-contained HTML report here (0600): the topology, each path as a ladder diagram, hop latency; it opens from disk in any browser, nothing fetched.',
} as const;

/** Opens the report file before the run (a bad path is said before anything is captured); undefined without --html. */
export async function openReport(path: string | undefined): Promise<ReportFile | undefined> {
  if (path === undefined) return undefined;
  // Loaded only when asked for: the page's script and style are not part of every start.
  const { ReportFile } = await import('../sinks/report-file.js');
  return ReportFile.open(path);
}

/**
 * Writes the report at the end of the run (a Ctrl-C included) and says so on stderr;
 * without gathered data (the run failed first) the file is abandoned.
 */
export async function finishReport(
  file: ReportFile | undefined,
  collector: ReportCollector | undefined,
  meta: Omit<ReportMeta, 'vethcapVersion' | 'commandLine'> & { summary: RunSummary },
  quiet = false,
): Promise<void> {
  if (!file) return;
  if (!collector) {
    await file.abandon();
    return;
  }
  const bytes = await file.write(collector.result({ ...meta, vethcapVersion: VETHCAP_VERSION, commandLine: ['vethcap', ...process.argv.slice(2)].map(shellWord).join(' ') }));
  if (!quiet) process.stderr.write(`vethcap: wrote the HTML report ${file.path} (${bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`}).\n`);
}

/** The report of a trace (trace, demo): its points' capture statistics and bridge ports' states beside the paths. */
export async function finishTraceReport(file: ReportFile | undefined, result: TraceResult, kind: 'trace' | 'demo', startedAt: Date): Promise<void> {
  if (!file) return;
  const { readPortStates } = await import('../verify/host-snapshot.js');
  await finishReport(file, result.report, {
    kind,
    startedAt,
    summary: result.summary,
    captures: result.stats.map((s) => (s ? { captured: s.captured, droppedByKernel: s.droppedByKernel } : null)),
    portStates: await readPortStates(result.points.filter((p) => p.role === 'bridge').map((p) => p.ifname)),
  });
}

/** A word as a shell would need it quoted. */
function shellWord(w: string): string {
  return /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}
