import type { Writable } from 'node:stream';
import { CorrelationSession } from '../correlate/correlation-session.js';
import { OrderLearner, type LearnedOrder } from '../correlate/learned-order.js';
import { TopologyIndex } from '../correlate/topology-index.js';
import type { Topology } from '../model/topology.js';
import { VethcapError } from '../errors.js';
import { planFileSources, type CaptureReader, type FileInput, type FileSources } from '../sources/file-sources.js';
import { FileSource, pumpFiles } from '../sources/file-source.js';
import { Pipeline } from '../pipeline/runner.js';
import type { ReportCollector } from '../report/collector.js';
import type { PathOutputOptions } from '../sinks/path-output.js';
import { renderSummaryText, type RunSummary } from '../render/run-summary.js';

export interface MergeOptions extends PathOutputOptions {
  windowNs?: number;
  /** Where text goes (default process.stdout). */
  stdout?: Writable;
  /** How inputs are read (default: from the file system; the fuzzer feeds memory). */
  read?: CaptureReader;
}

/** The summary of a merge; a replayed session adds what its live trace knew (the keys trace --json gives). */
export type MergeSummary = RunSummary & {
  capture?: Array<{ point: string; captured: number | null; droppedByKernel: number | null }>;
  stopReason?: string;
  outsideWindow?: number;
};

export interface MergeResult {
  summary: MergeSummary;
  packets: number;
  /** Things the user should know (untimed packets skipped, ...). */
  notes: string[];
  /** The reader of stdout went away (`| head`); reading stopped early unless a file was being written. */
  readerGone: boolean;
  /** The HTML report's data (options.report). */
  report?: ReportCollector;
  /** Per point: what its capture wrote and the kernel dropped, as a saved session says; null for plain files. */
  captures: Array<{ captured: number; droppedByKernel: number } | null>;
}

/** Thrown through the pre-pass's pump once it has seen enough. */
const LEARNED_ENOUGH = Symbol('the pre-pass has seen enough');

/**
 * The pre-pass of a merge without a topology reads the inputs' first records through a
 * throwaway correlation to learn the order of points (`learned-order.ts`): this many
 * records correlated, or this long, whichever comes first. A few thousand paths show
 * every direction of ordinary traffic many times over, and the window plus one read
 * chunk per file bounds the memory.
 */
export const PREPASS_RECORDS = 5000;
const PREPASS_MS = 2000;
/** Unresolved pairs the stderr note names (it stays one line; --json lists them all). */
const MAX_NOTED_PAIRS = 3;

/**
 * Reads the start of the inputs (a second time: files can be read again) and learns,
 * per direction, the order of the points from who came first and who tied.
 */
export async function learnFileOrder(sources: FileSources, topology: Topology, windowNs: number, read?: CaptureReader, maxRecords = PREPASS_RECORDS): Promise<LearnedOrder> {
  const learner = new OrderLearner(topology.points.map((p) => p.label));
  const session = new CorrelationSession(topology, learner.observe, { windowNs });
  const started = Date.now();
  const enough = (): boolean => session.correlator.stats.records >= maxRecords || Date.now() - started > PREPASS_MS;
  await pumpFiles(sources, {
    packet: (point, record) => session.push(point, record),
    advance: (point, ts) => session.advance(point, ts),
    ended: (point) => session.end(point),
    handed: () => {
      session.release();
      return enough() ? Promise.reject(LEARNED_ENOUGH) : undefined;
    },
  }, read).then(
    () => session.finish(),
    (error: unknown) => {
      // Stopped early (enough seen, or a damaged input, which the merge itself reports
      // later): the groups the merge released, without the records it still holds back.
      if (error !== LEARNED_ENOUGH && !(error instanceof VethcapError)) throw error;
      session.correlator.end();
    },
  );
  return learner.result();
}

/**
 * `vethcap merge`: reads the inputs, merges and correlates them (the runner, with the
 * files as its source), and writes the timeline or NDJSON, the summary, and the merged pcapng.
 */
export async function mergeFiles(inputs: readonly FileInput[], options: MergeOptions): Promise<MergeResult> {
  const stdout = options.stdout ?? process.stdout;
  const sources = await planFileSources(inputs, options.read);
  const topology = { points: sources.points };
  const windowNs = options.windowNs ?? sources.session?.windowNs ?? 100_000_000;
  // Without a topology, ties follow the order the captures show (a pre-pass learns it).
  const learnedOrder = new TopologyIndex(topology).hasTopology
    ? undefined
    : await learnFileOrder(sources, topology, windowNs, options.read);
  const source = new FileSource(sources, options.read);
  // A session saved by trace -c N replays to the same N paths.
  const count = sources.session?.count;
  const pipeline = await Pipeline.open(source, { output: options, stdout, windowNs, ...(learnedOrder ? { learnedOrder } : {}), ...(count !== undefined ? { count } : {}) });
  const run = await pipeline.run();
  const summary: MergeSummary = run.summary;
  if (sources.session) {
    summary.capture = sources.points.map((p, i) => {
      const s = sources.stats[i];
      return { point: p.label, captured: s?.received != null ? Number(s.received) : null, droppedByKernel: s?.dropped != null ? Number(s.dropped) : null };
    });
    summary.stopReason = sources.session.stopReason;
    summary.outsideWindow = run.outsideWindow;
  }
  // The summary, unless nobody reads stdout any more.
  if (!run.readerGone) {
    if (options.format === 'json') stdout.write(JSON.stringify({ summary }) + '\n');
    else if (options.pcapng !== '-') stdout.write((options.format === 'timeline' ? '\n' : '') + renderSummaryText(summary));
  }
  const notes: string[] = [];
  const order = summary.order;
  if (order !== undefined && !order.learned) {
    const pairs = order.unresolved.slice(0, MAX_NOTED_PAIRS).map(([a, b]) => `${a} and ${b}`);
    if (order.unresolved.length > MAX_NOTED_PAIRS) pairs.push(`${order.unresolved.length - MAX_NOTED_PAIRS} more pairs (see "order" in --json)`);
    notes.push(`equal timestamps at ${pairs.join(', ')} could not be ordered from the captures; they keep the command-line order.`);
  }
  if (source.result.untimed > 0) notes.push(`${source.result.untimed} packets from Simple Packet Blocks carry no timestamp and were left out.`);
  if (options.pcapng && options.pcapng !== '-') notes.push(`wrote ${run.packetsWritten} packets to ${options.pcapng}.`);
  const captures = sources.points.map((_, i) => {
    const st = sources.session ? sources.stats[i] : undefined;
    return st?.received != null && st.dropped != null ? { captured: Number(st.received), droppedByKernel: Number(st.dropped) } : null;
  });
  return { summary, packets: source.result.packets, notes, readerGone: run.readerGone, captures, ...(run.report ? { report: run.report } : {}) };
}
