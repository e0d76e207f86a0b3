import { TimestampMerge, type MergeOptions, type MergeStats } from '../merge/timestamp-merge.js';
import type { CaptureRecord } from '../model/record.js';
import type { Timestamp } from '../model/time.js';
import type { Topology } from '../model/topology.js';
import { Correlator, type CorrelateOptions, type CorrelateStats, type PathSink } from './correlator.js';

export type CorrelationOptions = MergeOptions & CorrelateOptions;

/**
 * Merge and correlation joined: push each point's records as they arrive, call
 * `release` now and then (with the capture clock's `now` when live), `end` each point
 * when its capture stops, and `finish` at the end. Paths come out through the sink in
 * id order, each once its window has passed.
 */
export class CorrelationSession {
  readonly merge: TimestampMerge;
  readonly correlator: Correlator;
  private readonly toCorrelator = (r: CaptureRecord): void => this.correlator.push(r);

  constructor(topology: Topology, sink: PathSink, options: CorrelationOptions = {}) {
    this.merge = new TimestampMerge(topology.points.length, options);
    this.correlator = new Correlator(topology, sink, options);
  }

  push(point: number, record: CaptureRecord): void {
    this.merge.push(point, record);
  }

  pushBatch(point: number, records: readonly CaptureRecord[]): void {
    this.merge.pushBatch(point, records);
  }

  /** Nothing stamped before `ts` will come from `point` any more (an idle capture, a file read this far). */
  advance(point: number, ts: Timestamp): void {
    this.merge.advance(point, ts);
  }

  end(point: number): void {
    this.merge.end(point);
  }

  /** Records the merge holds, waiting for the watermark. */
  get buffered(): number {
    return this.merge.stats.buffered;
  }

  /** Feed the correlator everything the watermark allows, and close the groups it passes. */
  release(now?: Timestamp): void {
    this.merge.release(this.toCorrelator, now);
    const w = this.merge.watermark(now);
    if (Number.isFinite(w.tsSec)) this.correlator.advance(w);
  }

  /** Everything pushed is final: merge it all and emit every path. */
  finish(): void {
    this.merge.flush(this.toCorrelator);
    this.correlator.end();
  }

  get stats(): { merge: Readonly<MergeStats>; correlate: Readonly<CorrelateStats> } {
    return { merge: this.merge.stats, correlate: this.correlator.stats };
  }
}
