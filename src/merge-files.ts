import { CorrelationSession } from './correlate/session.js';
import type { Writable } from 'node:stream';
import { planFileSources, pumpFiles, type CaptureReader, type FileInput } from './sources/file-sources.js';
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

/**
 * `vethcap merge`: reads the inputs, merges and correlates them, and writes the timeline
 * or NDJSON, the summary, and the merged pcapng.
 */
export async function mergeFiles(inputs: readonly FileInput[], options: MergeOptions): Promise<MergeResult> {
  const stdout = options.stdout ?? process.stdout;
  const sources = await planFileSources(inputs, options.read);
  const topology = { points: sources.points };
  const out = await PathOutput.open(topology, options, stdout);
  const session = new CorrelationSession(topology, out.onPath, { windowNs: options.windowNs ?? 100_000_000 });
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
  const summary = await out.close(
    sources.stats.flatMap((s, point) => (s.received === null && s.dropped === null ? [] : [{ point, ...(s.received !== null ? { ifRecv: s.received } : {}), ...(s.dropped !== null ? { ifDrop: s.dropped } : {}) }])),
  );
  // The summary, unless nobody reads stdout any more.
  if (!out.readerGone) {
    if (options.format === 'json') stdout.write(JSON.stringify({ summary }) + '\n');
    else if (!out.pcapOnStdout) stdout.write((options.format === 'timeline' ? '\n' : '') + renderSummaryText(summary));
  }
  const notes: string[] = [];
  if (pumped.untimed > 0) notes.push(`${pumped.untimed} packets from Simple Packet Blocks carry no timestamp and were left out.`);
  if (options.pcapng && options.pcapng !== '-') notes.push(`wrote ${out.packetsWritten} packets to ${options.pcapng}.`);
  return { summary, packets: pumped.packets, notes, readerGone: out.readerGone };
}
