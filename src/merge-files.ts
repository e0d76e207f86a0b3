import { CorrelationSession } from './correlate/session.js';
import type { Writable } from 'node:stream';
import { OrderLearner, type LearnedOrder } from './correlate/learned-order.js';
import { TopologyIndex } from './correlate/topology-index.js';
import type { Topology } from './model/topology.js';
import { VethcapError } from './errors.js';
import { planFileSources, pumpFiles, type CaptureReader, type FileInput, type FileSources } from './sources/file-sources.js';
import { PathOutput, type PathOutputOptions } from './sinks/path-output.js';
import { renderSummaryText, type RunSummary } from './render/run-summary.js';

export interface MergeOptions extends PathOutputOptions {
  windowNs?: number;
  /** Where text goes (default process.stdout). */
  stdout?: Writable;
  /** How inputs are read (default: from the file system; the fuzzer feeds memory). */
  read?: CaptureReader;
}

export interface MergeResult {
  summary: RunSummary;
  packets: number;
  /** Things the user should know (untimed packets skipped, ...). */
  notes: string[];
  /** The reader of stdout went away (`| head`); reading stopped early unless a file was being written. */
  readerGone: boolean;
}

/** Thrown through the pump to stop reading once nothing is left to write to. */
const READER_GONE = Symbol('the reader of stdout went away');
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
    push: (point, record) => session.push(point, record),
    advance: (point, ts) => session.merge.advance(point, ts),
    end: (point) => session.end(point),
    release: () => session.release(),
    drain: async () => {
      if (enough()) throw LEARNED_ENOUGH;
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
 * `vethcap merge`: reads the inputs, merges and correlates them, and writes the timeline
 * or NDJSON, the summary, and the merged pcapng.
 */
export async function mergeFiles(inputs: readonly FileInput[], options: MergeOptions): Promise<MergeResult> {
  const stdout = options.stdout ?? process.stdout;
  const sources = await planFileSources(inputs, options.read);
  const topology = { points: sources.points };
  const windowNs = options.windowNs ?? 100_000_000;
  // Without a topology, ties follow the order the captures show (a pre-pass learns it).
  const learnedOrder = new TopologyIndex(topology).hasTopology
    ? undefined
    : await learnFileOrder(sources, topology, windowNs, options.read);
  const out = await PathOutput.open(topology, options, stdout);
  const session = new CorrelationSession(topology, out.onPath, { windowNs, ...(learnedOrder ? { learnedOrder } : {}) });
  const pumped = await pumpFiles(sources, {
    push: (point, record) => session.push(point, record),
    advance: (point, ts) => session.merge.advance(point, ts),
    end: (point) => session.end(point),
    release: () => session.release(),
    drain: async () => {
      if (out.shouldFlush) await out.flush();
      if (out.readerGone && !out.writesFile) throw READER_GONE;
    },
  }, options.read).catch(async (error: unknown) => {
    if (error === READER_GONE) return { packets: 0, untimed: 0 };
    // A damaged input: keep what came before it, then report.
    session.finish();
    await out.close().catch(() => undefined);
    throw error;
  });
  session.finish();
  const order = learnedOrder?.report();
  if (order !== undefined) out.summary.order = order;
  const summary = await out.close(
    sources.stats.flatMap((s, point) => (s.received === null && s.dropped === null ? [] : [{ point, ...(s.received !== null ? { ifRecv: s.received } : {}), ...(s.dropped !== null ? { ifDrop: s.dropped } : {}) }])),
  );
  // The summary, unless nobody reads stdout any more.
  if (!out.readerGone) {
    if (options.format === 'json') stdout.write(JSON.stringify({ summary }) + '\n');
    else if (!out.pcapOnStdout) stdout.write((options.format === 'timeline' ? '\n' : '') + renderSummaryText(summary));
  }
  const notes: string[] = [];
  if (order !== undefined && !order.learned) {
    const pairs = order.unresolved.slice(0, MAX_NOTED_PAIRS).map(([a, b]) => `${a} and ${b}`);
    if (order.unresolved.length > MAX_NOTED_PAIRS) pairs.push(`${order.unresolved.length - MAX_NOTED_PAIRS} more pairs (see "order" in --json)`);
    notes.push(`equal timestamps at ${pairs.join(', ')} could not be ordered from the captures; they keep the command-line order.`);
  }
  if (pumped.untimed > 0) notes.push(`${pumped.untimed} packets from Simple Packet Blocks carry no timestamp and were left out.`);
  if (options.pcapng && options.pcapng !== '-') notes.push(`wrote ${out.packetsWritten} packets to ${options.pcapng}.`);
  return { summary, packets: pumped.packets, notes, readerGone: out.readerGone };
}
