import type { Writable } from 'node:stream';
import { CorrelationSession } from '../correlate/correlation-session.js';
import type { LearnedOrder } from '../correlate/learned-order.js';
import type { PacketPath } from '../correlate/path.js';
import { TopologyIndex } from '../correlate/topology-index.js';
import type { CaptureRecord } from '../model/record.js';
import type { RunSummary } from '../render/run-summary.js';
import type { ReportCollector } from '../report/collector.js';
import { PathOutput, type PathOutputOptions } from '../sinks/path-output.js';
import type { PacketSource, PointStatus, SourceEvents, SourceWindow } from './source.js';
import { BACKLOG_NOTICE_BYTES, type StopReason, type StopTrigger } from './stop.js';
import { VerdictGate } from './verdict-gate.js';

/** Records as a source hands them over, before the merge: a saved session's files (`trace --save`). */
export interface RecordTap {
  write(record: CaptureRecord): void;
  flush(): Promise<void>;
}

export interface RunOptions {
  output: PathOutputOptions;
  /** Where the timeline or NDJSON goes (default process.stdout); an EPIPE from it is "the reader went away". */
  stdout?: Writable;
  /** The correlation window (ns): copies of one packet further apart are not joined. */
  windowNs?: number;
  /** How equal timestamps are ordered where the topology cannot say (a merge of plain files). */
  learnedOrder?: LearnedOrder;
  /** Stop after this many packet paths. */
  count?: number;
  /** Armed once the window opens: a duration, the command after `--`. */
  triggers?: readonly StopTrigger[];
  tap?: RecordTap;
  /** Abort to stop cleanly (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Abort to skip what is left of a backlog of 4 MiB or more while stopping (a second Ctrl-C); a smaller one, and the drain, are still read. */
  urgentSignal?: AbortSignal;
  /** Each path as it is emitted, after the outputs saw it (verify collects them). */
  onPath?: (path: PacketPath) => void;
  /** The source is ready (live: every point armed). */
  onReady?: (window: SourceWindow) => void;
  /** Once, when a signal stops the run, with the capture not read yet (bytes): the stop takes a moment (the drain). */
  onStopping?: (unreadBytes: number) => void;
  /** Once, when the stop begins with at least 4 MiB of capture not read yet. */
  onBacklog?: (unreadBytes: number) => void;
  /**
   * Progress about twice a second, for a status line; `null` with `'text'` before text goes
   * to stdout (a status line on the same terminal is cleared first), and with `'end'` at the end.
   */
  onProgress?: (progress: RunProgress | null, why?: 'text' | 'end') => void;
  /** What the progress's elapsed time counts from (ms since the epoch; default: the run's start). */
  startedAtMs?: number;
}

/** How a run is doing (RunOptions.onProgress). */
export interface RunProgress {
  points: PointStatus[];
  paths: number;
  elapsedMs: number;
  /** Capture written and not read yet: how far the run is behind. */
  unreadBytes: number;
}

export interface RunResult {
  summary: RunSummary;
  stopReason: StopReason;
  endedEarly: Array<{ point: number; label: string; reason: string }>;
  packetsWritten: number;
  /** Copies of paths that began before the window opened: left out. */
  outsideWindow: number;
  /** Paths whose first copy came after the stop moment: in the pcapng, without a verdict, not in the timeline. */
  afterStop: number;
  /** How long the run waited after the stop moment for every point to hand over its last packets (ms). */
  drainedMs: number;
  /** Capture left unread: not wanted (-c reached, nobody reading stdout) or skipped (urgentSignal). */
  skippedBytes: number;
  /** The reader of stdout went away (`| head`). */
  readerGone: boolean;
  /** The HTML report's data, when the output asked for it. */
  report?: ReportCollector;
}

const TICK_MS = 100;
export { BACKLOG_NOTICE_BYTES } from './stop.js';

/**
 * Source → merge and correlation → verdicts → outputs, for the live trace and the offline
 * merge alike. The runner owns:
 * - the one backpressure rule (SourceEvents.handed): each chunk releases what the merge can;
 *   a flush starts once a flush's worth has gathered, and the source waits while the
 *   outputs are overfull;
 * - the stop: its reasons, the stop moment that closes the window, the drain (a live source
 *   hands over what it captured before the stop), and what is read after it;
 * - the end: whatever stops the run, the pcapng is completed and every path judged.
 */
export class Pipeline {
  /** The window the verdicts use (ms since the epoch); Infinity until it opens or closes. */
  readonly window = { openAtMs: Infinity, stopAtMs: Infinity };
  stopReason: StopReason | undefined;
  private readonly correlation: CorrelationSession;
  private readonly verdicts: VerdictGate;
  private readonly endedEarly: RunResult['endedEarly'] = [];
  private readonly startedAtMs: number;
  private paths = 0;
  private afterStop = 0;
  private skippedBytes = 0;
  /** The backlog was skipped (a second signal): nothing more is read. */
  private skipped = false;
  private streamError: unknown;
  private ready = false;
  private wake: (() => void) | undefined;
  private flushing: Promise<void> | null = null;
  private gateOpen = false;
  private gateWaiters: Array<() => void> = [];
  private progressShown = false;
  private lastProgress = 0;
  private backlogNoticed = false;

  private constructor(
    private readonly source: PacketSource,
    private readonly out: PathOutput,
    private readonly options: RunOptions,
  ) {
    const topology = { points: [...source.points] };
    this.startedAtMs = options.startedAtMs ?? Date.now();
    this.verdicts = new VerdictGate(new TopologyIndex(topology), source.coverage, this.onJudged);
    this.correlation = new CorrelationSession(topology, this.verdicts.push, {
      windowNs: options.windowNs ?? 100_000_000,
      ...(options.learnedOrder ? { learnedOrder: options.learnedOrder } : {}),
    });
  }

  /** Opens the outputs (a bad -w path fails here, before anything starts). */
  static async open(source: PacketSource, options: RunOptions): Promise<Pipeline> {
    const out = await PathOutput.open({ points: [...source.points] }, options.output, options.stdout);
    return new Pipeline(source, out, options);
  }

  /** Asks the run to stop; the first reason counts, and for a live source its moment closes the window. */
  readonly requestStop = (reason: StopReason, atMs = Date.now()): void => {
    if (this.stopReason === undefined) {
      this.stopReason = reason;
      if (this.source.live) this.closeWindow(atMs);
    }
    this.wake?.();
  };

  private closeWindow(atMs: number): void {
    this.verdicts.close(atMs);
    this.window.stopAtMs = this.verdicts.stopAtMs;
  }

  private readonly onJudged = (path: PacketPath): void => {
    const count = this.options.count;
    if (path.verdict === 'after-stop') {
      // In the pcapng, marked; not a path of the run (not counted by -c, not shown).
      if (count === undefined || this.paths < count) this.out.onPath(path);
      this.afterStop++;
      return;
    }
    // -c N: N paths, however many more the backlog still holds.
    if (count !== undefined && this.paths >= count) return;
    this.out.onPath(path);
    this.options.onPath?.(path);
    this.paths++;
    if (count !== undefined && this.paths >= count) this.requestStop('count');
  };

  private readonly events: SourceEvents = {
    packet: (point, record) => {
      this.options.tap?.write(record);
      this.correlation.push(point, record);
    },
    advance: (point, ts) => this.correlation.advance(point, ts),
    handed: () => {
      this.moveOn();
      if (this.out.overfull && !this.gateOpen) {
        void this.flush();
        this.wake?.();
        return new Promise<void>((resolve) => this.gateWaiters.push(resolve));
      }
      if (this.out.shouldFlush) void this.flush();
      return undefined;
    },
    ended: (point, early) => {
      if (early) this.endedEarly.push({ point, label: this.source.points[point]!.label, reason: early.reason });
      this.correlation.end(point);
      if (this.source.status().every((p) => p.ended)) this.requestStop('points-ended');
      else if (this.source.targetsGone?.()) this.requestStop('targets-gone');
      this.wake?.();
    },
    // A record cut short as a capture ended is expected once the stop began: what came before is kept.
    error: (error, atEnd) => {
      if (!atEnd || this.stopReason === undefined) this.streamError ??= error;
      this.wake?.();
    },
  };

  /**
   * Moves paths on: the merge releases what its watermark allows, the gate what it can
   * judge. Not before the source is ready: until then the window is not known.
   */
  private moveOn(): void {
    if (!this.ready) return;
    this.correlation.release();
    this.verdicts.release();
  }

  /** Writes what the outputs hold (one flush at a time), then lets waiting sources read on. */
  private flush(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        // On one terminal the timeline would go on from the end of the status line: it is
        // cleared first, and drawn again under the new text.
        const redraw = this.progressShown && this.out.hasText;
        if (redraw) this.options.onProgress?.(null, 'text');
        await Promise.all([this.out.flush(), this.options.tap?.flush()]);
        if (redraw) this.showProgress();
      } finally {
        this.flushing = null;
        this.openGate();
      }
    })();
    return this.flushing;
  }

  private openGate(): void {
    const waiting = this.gateWaiters;
    this.gateWaiters = [];
    for (const resume of waiting) resume();
  }

  /** Waits `ms`, or less if something calls wake() (a stop, the end of a stream, a full output). */
  private async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
    this.wake = undefined;
  }

  private showProgress(): void {
    if (!this.options.onProgress) return;
    this.options.onProgress({ points: this.source.status(), paths: this.paths, elapsedMs: Date.now() - this.startedAtMs, unreadBytes: this.source.unreadBytes() });
    this.progressShown = true;
    this.lastProgress = Date.now();
  }

  /** A backlog (the run fell behind a burst) is read before it ends: worth a word when it takes a while. */
  private noticeBacklog(): void {
    if (this.backlogNoticed || !this.options.onBacklog) return;
    const unread = this.source.unreadBytes();
    if (unread < BACKLOG_NOTICE_BYTES) return;
    this.backlogNoticed = true;
    this.options.onBacklog(unread);
  }

  private readonly onAbort = (): void => {
    this.requestStop('signal');
    this.options.onStopping?.(this.source.unreadBytes());
    this.noticeBacklog();
  };

  /**
   * A second signal skips what is left to read, once that is a backlog worth skipping (at
   * least BACKLOG_NOTICE_BYTES, which the stop announced). Below that it changes nothing: the
   * drain (1.5 s, 3 s at most) is what keeps the verdicts at the stop true, and a second
   * Ctrl-C pressed because the first seemed slow must not turn it into false claims.
   */
  private readonly skipIfBehind = (): void => {
    if (this.skipped || !this.options.urgentSignal?.aborted || this.source.unreadBytes() < BACKLOG_NOTICE_BYTES) return;
    this.skipped = true;
    this.source.markStopping(); // the streams end now: not "ended before the run did"
    this.skippedBytes += this.source.abandon();
    this.wake?.();
  };

  /** Nothing more is wanted of the source: -c reached, or nobody reads what it would feed. */
  private get unwanted(): boolean {
    return this.stopReason === 'count' || (this.out.readerGone && !this.out.writesFile);
  }

  /** Runs until a stop, then ends the source and the outputs. Throws what failed, once the pcapng is complete. */
  async run(): Promise<RunResult> {
    const { signal, urgentSignal } = this.options;
    const triggers = this.options.triggers ?? [];
    signal?.addEventListener('abort', this.onAbort, { once: true });
    urgentSignal?.addEventListener('abort', this.skipIfBehind, { once: true });
    let failure: unknown;
    let drainedMs = 0;
    try {
      const window = await this.source.start(this.events, signal);
      this.ready = true;
      this.window.openAtMs = window.openAtMs;
      this.verdicts.open(window.openAtMs);
      // A replay brings its stop moment: the same window the live trace judged by.
      if (window.stopAtMs !== undefined) this.closeWindow(window.stopAtMs);
      this.options.onReady?.(window);
      const fail = (error: unknown): void => {
        this.streamError ??= error;
        this.requestStop('command');
      };
      for (const t of triggers) t.arm(this.requestStop, fail);
      await this.follow();
      drainedMs = await this.drain();
    } catch (error) {
      failure = error;
    } finally {
      signal?.removeEventListener('abort', this.onAbort);
      for (const t of triggers) t.disarm();
      failure = await this.endSource(failure);
      urgentSignal?.removeEventListener('abort', this.skipIfBehind);
      if (this.progressShown) this.options.onProgress?.(null, 'end');
    }
    failure ??= this.streamError;
    // Whatever ended the run, the pcapng is completed up to the last packet received. Every
    // capture has ended, so every point's drops are known: what is held is judged now.
    this.correlation.finish();
    this.verdicts.flush();
    const order = this.options.learnedOrder?.report();
    if (order !== undefined) this.out.summary.order = order;
    const summary = await this.out.close(this.source.interfaceStats());
    if (failure !== undefined) {
      if (!this.ready) await this.out.discard();
      throw failure;
    }
    return {
      summary,
      stopReason: this.stopReason ?? 'signal',
      endedEarly: this.endedEarly,
      packetsWritten: this.out.packetsWritten,
      outsideWindow: this.verdicts.outside,
      afterStop: this.afterStop,
      drainedMs,
      skippedBytes: this.skippedBytes,
      readerGone: this.out.readerGone,
      ...(this.out.report ? { report: this.out.report } : {}),
    };
  }

  /** Ticks until a stop is wanted: idle points, drop questions, paths on to the outputs, progress. */
  private async follow(): Promise<void> {
    while (this.stopReason === undefined) {
      await this.sleep(TICK_MS);
      if (this.streamError) throw this.streamError;
      this.source.tick(Date.now());
      this.moveOn();
      await this.flush();
      if (this.out.readerGone) this.requestStop('output-closed');
      if (Date.now() - this.lastProgress >= 500) this.showProgress();
    }
  }

  /**
   * The drain: a live source is stopped only once each point has handed over what it
   * captured before the stop moment (PacketSource.drained). Not when nothing more is wanted.
   * Returns how long it took after the stop moment (ms).
   */
  private async drain(): Promise<number> {
    if (!this.source.live) return 0;
    const stopAt = this.window.stopAtMs;
    while (!this.unwanted && !this.skipped && !this.streamError && !this.source.drained(stopAt, Date.now())) {
      await this.sleep(Math.min(TICK_MS, Math.max(1, this.source.drainLeftMs(stopAt, Date.now()))));
      this.skipIfBehind();
      this.source.tick(Date.now());
      this.moveOn();
      await this.flush();
    }
    return Math.max(0, Date.now() - stopAt);
  }

  /**
   * Ends the source: what it captured before the stop and the run has not read yet (it fell
   * behind a burst) is read now, unless nobody wants it; meanwhile the outputs go on taking
   * paths, so the backlog is not held in memory. Returns the failure to report.
   */
  private async endSource(failure: unknown): Promise<unknown> {
    this.source.markStopping();
    // A failure stops a live run too: its moment closes the window.
    if (this.source.live) this.closeWindow(Date.now());
    if (failure !== undefined || this.unwanted) this.skippedBytes += this.source.abandon();
    else this.noticeBacklog();
    const stopped = this.source.stop();
    let streamsDone = false;
    const done = (): void => {
      streamsDone = true;
      this.wake?.();
    };
    void stopped.then(done, done);
    try {
      while (!streamsDone) {
        await this.sleep(TICK_MS);
        this.moveOn();
        await this.flush();
        this.skipIfBehind();
        if (this.unwanted) this.skippedBytes += this.source.abandon();
      }
    } catch (error) {
      failure ??= error;
      this.source.abandon();
    } finally {
      this.gateOpen = true;
      this.openGate();
    }
    await stopped;
    return failure;
  }
}
