import type { CaptureCoverage } from '../correlate/verdict.js';
import type { CaptureRecord } from '../model/record.js';
import type { Timestamp } from '../model/time.js';
import type { CapturePoint } from '../model/topology.js';
import type { InterfaceStatsInput } from '../pcap/pcapng-writer.js';

/** What a source tells the runner as it reads (see PacketSource.start). */
export interface SourceEvents {
  /** A packet read at `point` (its `point` is set). */
  packet(point: number, record: CaptureRecord): void;
  /** Nothing stamped before `ts` will come from `point` any more: the merge need not wait for it. */
  advance(point: number, ts: Timestamp): void;
  /**
   * A chunk or batch was handed over. The one backpressure rule: the runner releases what
   * the merge can, and returns a promise while its outputs are overfull (a reader that does
   * not read); the source waits for it before it reads on.
   */
  handed(): Promise<void> | undefined;
  /** `point`'s stream ended; `early` with the reason when the run was not stopping. */
  ended(point: number, early: { reason: string } | null): void;
  /** Reading or parsing failed; `atEnd`: a record cut short as a live capture ended (expected once stopping). */
  error(error: unknown, atEnd: boolean): void;
}

/** What a source knows of its own captures, for the verdicts (null on a source: every capture whole). */
export interface SourceCoverage extends CaptureCoverage {
  /** True when every point's drops are known past `ms`: a path ending then can be judged. */
  knows(ms: number): boolean;
}

/**
 * The capture window: only paths that began inside it get a verdict. Live, it opens when
 * every point is armed and closes at the stop moment; a replayed session brings both.
 */
export interface SourceWindow {
  /** ms since the epoch; -Infinity: no window (plain files). */
  openAtMs: number;
  /** ms since the epoch, when the source knows it already (a replay). */
  stopAtMs?: number;
}

/** One point's progress, for a status line. */
export interface PointStatus {
  label: string;
  packets: number;
  armed: boolean;
  ended: boolean;
  /** Packets the kernel dropped at this point so far (tcpdump's count), null before it answered. */
  dropped: number | null;
}

/**
 * Where the runner's records come from: live tcpdumps (capture/live-source.ts) or capture
 * files (sources/file-source.ts). A source pushes; the runner (pipeline/runner.ts) merges,
 * correlates, judges and writes, and decides when to stop.
 */
export interface PacketSource {
  readonly points: readonly CapturePoint[];
  /** null: every capture counts as whole (files without a saved session's knowledge). */
  readonly coverage: SourceCoverage | null;
  /** Whether the source captures as it runs (a stop moment, a drain) or reads what was captured. */
  readonly live: boolean;
  /**
   * Starts reading into `events`; resolves once the source is ready (live: every point
   * armed) with its window. Records may come before it resolves.
   */
  start(events: SourceEvents, signal?: AbortSignal): Promise<SourceWindow>;
  /** Called about every 100 ms while running: idle points, questions for drops. */
  tick(nowMs: number): void;
  /** Whether each point has handed over what it captured before the stop moment. */
  drained(stopAtMs: number, nowMs: number): boolean;
  /** How long the drain may still take, in ms from `nowMs`. */
  drainLeftMs(stopAtMs: number, nowMs: number): number;
  /** The run is stopping: streams that end from now on did not end early. */
  markStopping(): void;
  /** Read nothing more; returns the bytes left unread. */
  abandon(): number;
  /** Bytes captured and not read yet (how far the runner is behind). */
  unreadBytes(): number;
  /** Live: every target's own capture ended (its container stopped), so the other points would wait for nothing. */
  targetsGone?(): boolean;
  /** Per point, for a status line. */
  status(): PointStatus[];
  /** Ends the capture and waits for every stream to end (idempotent). */
  stop(): Promise<void>;
  /** The points' capture statistics once stopped (pcapng ISB values). */
  interfaceStats(): InterfaceStatsInput[];
}
