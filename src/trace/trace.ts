import type { Writable } from 'node:stream';
import { VethcapError } from '../errors.js';
import { requireTools } from '../exec/tools.js';
import { requireCapabilities } from '../exec/privileges.js';
import { resolveTargets } from '../resolve/resolve.js';
import { planPoints, type PlanOptions, type PlannedPoint } from '../plan/plan.js';
import { checkSpoolSpace } from '../capture/spool.js';
import type { CaptureStats } from '../capture/tcpdump-output.js';
import { CorrelationSession } from '../correlate/session.js';
import { TopologyIndex } from '../correlate/topology-index.js';
import { LiveSource } from '../capture/live-source.js';
export { DEFAULT_BUFFER_KIB } from '../capture/live-source.js';
import { VerdictGate } from './verdict-gate.js';
import { PathOutput, type PathOutputOptions } from '../sinks/path-output.js';
import type { RunSummary } from '../render/run-summary.js';
import type { PacketPath } from '../correlate/path.js';
import type { Timestamp } from '../model/time.js';
import type { ResolveResult } from '../resolve/types.js';
import { runInNamespace, type CommandRun } from './command.js';
import type { PointStatus } from './status-line.js';

export interface TraceOptions extends PlanOptions {
  targets: string[];
  output: PathOutputOptions;
  /** Where the timeline or NDJSON goes (default process.stdout); an EPIPE from it is "the reader went away". */
  stdout?: Writable;
  /** Stop after this many packet paths. */
  count?: number;
  /** Stop after this many seconds. */
  durationS?: number;
  /** Run this inside the first target's namespace once every point is armed; stop when it exits. */
  command?: string[];
  /**
   * How long after the command exits the trace still counts as running (ms): packets that
   * begin by then get a verdict (a TCP close, a late reply). Default 200.
   */
  drainMs?: number;
  windowNs?: number;
  bufferSizeKiB?: number;
  /** Called with each packet path as it is emitted, after the outputs saw it (verify collects them). */
  onPath?: (path: PacketPath) => void;
  /** Called once every point is armed (e.g. to start traffic in tests), with how long each stage took. */
  onArmed?: (points: readonly PlannedPoint[], timing: ArmTiming) => void;
  /** Abort to stop the trace cleanly (SIGINT/SIGTERM in the CLI). */
  signal?: AbortSignal;
  /**
   * Abort to skip what is left of the backlog while stopping (a second Ctrl-C): the
   * tcpdumps are still ended and the pcapng closed, but capture not read yet is dropped.
   */
  urgentSignal?: AbortSignal;
  /** Called once when the stop begins with this many bytes of capture not read yet (at least 4 MiB). */
  onBacklog?: (unreadBytes: number) => void;
  /** Called with a sentence worth telling the user before the capture starts (little room for the spool). */
  onWarning?: (message: string) => void;
  /** tcpdump --immediate-mode: lower display latency, but drops at high packet rates. */
  immediate?: boolean;
  /**
   * Progress, about twice a second, for a status line; `null` with `'text'` before text goes
   * to stdout (a status line on the same terminal is cleared first), and with `'end'` when
   * the trace ends.
   */
  onProgress?: (progress: TraceProgress | null, why?: 'text' | 'end') => void;
  /** Already resolved targets (skips the look-up). */
  resolved?: ResolveResult;
  /**
   * The capture points, planned already: skips the checks for tools and privileges, the
   * look-up and the plan (`targets` and `resolved` are then unused). Points without
   * `netnsPath` run `tcpdump` from PATH directly: the stop paths' tests put a fake first.
   */
  points?: PlannedPoint[];
}

/** How a running trace is doing (TraceOptions.onProgress). */
export interface TraceProgress {
  points: PointStatus[];
  paths: number;
  elapsedMs: number;
  /** Capture written by the tcpdumps and not read yet: how far vethcap is behind. */
  unreadBytes: number;
}

/** Where the time to "armed" went, in milliseconds. */
export interface ArmTiming {
  /** Checks (tools, privileges), the look-up of the targets (Docker, netlink) and the plan. */
  lookupMs: number;
  /** From starting the tcpdumps until every one said it is listening: bare tcpdump's own start. */
  startMs: number;
  /** Since the process started (node's own start-up and module loading included). */
  sinceProcessStartMs: number;
}

/** `output-closed`: the reader of stdout went away (`vethcap trace … | head`). */
export type StopReason = 'count' | 'duration' | 'command' | 'signal' | 'targets-gone' | 'points-ended' | 'output-closed';

export interface TraceResult {
  points: PlannedPoint[];
  summary: RunSummary;
  stats: Array<CaptureStats | null>;
  stopReason: StopReason;
  /** Milliseconds from the call until every point was armed. */
  armedAfterMs: number;
  timing: ArmTiming;
  commandExitCode: number | null;
  /** Points whose capture ended before the trace did, with tcpdump's last words. */
  endedEarly: Array<{ label: string; reason: string }>;
  packetsWritten: number;
  /** Copies of packets that began before every point was armed: left out (a point still starting may have missed them). */
  outsideWindow: number;
  /** Paths whose first copy came after the stop moment: in the pcapng, without a verdict, not in the timeline. */
  afterStop: number;
  /** How long the trace waited after the stop moment for every point to hand over its last packets (ms). */
  drainedMs: number;
  /**
   * Capture left unread when the trace stopped, in bytes: not wanted (-c reached, nobody
   * reading stdout) or skipped (urgentSignal).
   */
  skippedBytes: number;
}

const TICK_MS = 100;
/** Default grace after the command after -- exits (see TraceOptions.drainMs). */
const COMMAND_GRACE_MS = 200;
/**
 * Records the merge may hold before a spool read releases them at once rather than at the
 * next tick: while vethcap catches up with a burst, reads come far faster than ticks.
 */
const RELEASE_AT_RECORDS = 50_000;
/** A backlog this large when the stop begins is worth a word (reading it takes a while). */
const BACKLOG_NOTICE_BYTES = 4 * 1024 * 1024;

function msToTs(ms: number): Timestamp {
  return { tsSec: Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1e6 };
}

function nowTs(): Timestamp {
  return msToTs(Date.now());
}

/**
 * `vethcap trace`: resolve the targets, plan the points, start one tcpdump per point, and
 * once every point is armed stream their output through the codec into the merge,
 * correlation and outputs, until a stop condition. Everything started is stopped, and
 * the pcapng closed, whatever ends the trace.
 */
export async function trace(options: TraceOptions): Promise<TraceResult> {
  const started = Date.now();
  const t0 = performance.now();
  let points: PlannedPoint[];
  if (options.points) {
    // A plan brought along (tests with a fake tcpdump, tools with their own topology): no
    // look-up, and its caller answers for the tools and privileges it needs.
    points = options.points;
  } else {
    await requireTools(['ip', 'nsenter', 'tcpdump']);
    await requireCapabilities(['SYS_ADMIN', 'NET_ADMIN', 'NET_RAW'], 'capturing in network namespaces');
    const resolved = options.resolved ?? (await resolveTargets(options.targets, { discoverOwners: false }));
    points = planPoints(resolved.targets, options);
  }
  const spaceWarning = await checkSpoolSpace();
  if (spaceWarning) options.onWarning?.(spaceWarning);
  const topology = { points };
  const out = await PathOutput.open(topology, options.output, options.stdout);
  let paths = 0;
  let afterStop = 0;
  let stopWanted: StopReason | undefined;
  let wake: (() => void) | undefined;
  // The stop moment closes the window: what begins after it gets no verdict.
  const requestStop = (reason: StopReason, atMs = Date.now()) => {
    if (stopWanted === undefined) {
      stopWanted = reason;
      verdicts.close(atMs);
    }
    wake?.();
  };
  let streamError: unknown;
  const source: LiveSource = new LiveSource(
    points,
    { ...(options.bufferSizeKiB !== undefined ? { bufferSizeKiB: options.bufferSizeKiB } : {}), immediate: options.immediate ?? false, gate: () => gate() },
    {
      packet: (point, ev) => correlation.push(point, ev),
      chunkRead: () => {
        if (correlation.merge.stats.buffered > RELEASE_AT_RECORDS) correlation.release();
      },
      ended: (point, early) => {
        if (early) endedEarly.push({ label: points[point]!.label, reason: early.reason });
        correlation.end(point);
        if (source.ended.every(Boolean)) requestStop('points-ended');
        // Every target's namespace end is gone: the containers stopped; the bridge and
        // other host points would only wait for nothing.
        const nsEnds = points.flatMap((p, i) => (p.netnsPath ? [i] : []));
        if (nsEnds.length > 0 && nsEnds.every((i) => source.ended[i])) requestStop('targets-gone');
        wake?.();
      },
      // A record cut short as tcpdump ended is expected once the stop began: what came before is kept.
      error: (error, atEnd) => {
        if (!atEnd || !stopWanted) streamError ??= error;
      },
    },
  );
  const verdicts = new VerdictGate(new TopologyIndex(topology), source.coverage, (path) => {
    if (path.verdict === 'after-stop') {
      // In the pcapng, marked; not a path of the trace (not counted by -c, not shown).
      if (options.count === undefined || paths < options.count) out.onPath(path);
      afterStop++;
      return;
    }
    // -c N: N paths, however many more the backlog still holds.
    if (options.count !== undefined && paths >= options.count) return;
    out.onPath(path);
    options.onPath?.(path);
    paths++;
    if (options.count !== undefined && paths >= options.count) requestStop('count');
  });
  const correlation = new CorrelationSession(topology, verdicts.push, { windowNs: options.windowNs ?? 100_000_000 });
  const endedEarly: TraceResult['endedEarly'] = [];
  // Backpressure: while the outputs hold far more than a flush takes (stdout is stuck: a
  // pager, a slow terminal), the spool readers wait for the next flush; the backlog stays
  // on disk. Not at every full buffer: readers held that often fell out of step with each
  // other (one ahead, one behind the merge's watermark), and the merge held 1.5 M records.
  let gateOpen = false;
  let gateWaiters: Array<() => void> = [];
  const openGate = () => {
    const waiting = gateWaiters;
    gateWaiters = [];
    for (const resume of waiting) resume();
  };
  const gate = (): Promise<void> | undefined => {
    if (gateOpen || !out.overfull) return undefined;
    wake?.();
    return new Promise<void>((resolve) => gateWaiters.push(resolve));
  };

  let command: CommandRun | undefined;
  let commandExitCode: number | null = null;
  let ticker: NodeJS.Timeout | undefined;
  let timer: NodeJS.Timeout | undefined;
  /** Waits `ms`, or less if something calls wake() (a stop, the end of a stream, a full output). */
  const sleepOrWake = async (ms: number): Promise<void> => {
    await new Promise<void>((resolve) => {
      wake = resolve;
      ticker = setTimeout(resolve, ms);
    });
    clearTimeout(ticker);
    wake = undefined;
  };
  // A backlog (vethcap fell behind a burst) is read before the trace ends: worth a word when
  // it takes a while, said as the stop begins. A second Ctrl-C (urgentSignal) skips it.
  let backlogNoticed = false;
  const noticeBacklog = () => {
    if (backlogNoticed || !options.onBacklog) return;
    const unread = source.unreadBytes();
    if (unread < BACKLOG_NOTICE_BYTES) return;
    backlogNoticed = true;
    options.onBacklog(unread);
  };
  let skippedBytes = 0;
  const skip = () => {
    source.markStopping(); // the streams end now: not "ended before the trace did"
    skippedBytes += source.abandon();
    wake?.();
  };
  const onAbort = () => {
    requestStop('signal');
    noticeBacklog();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  options.urgentSignal?.addEventListener('abort', skip, { once: true });
  let progressShown = false;
  const showProgress = () => {
    if (!options.onProgress) return;
    options.onProgress({
      points: points.map((p, i) => ({ label: p.label, packets: source.packets[i]!, armed: true, ended: source.ended[i]!, dropped: source.liveDrops(i) })),
      paths,
      elapsedMs: Date.now() - started,
      unreadBytes: source.unreadBytes(),
    });
    progressShown = true;
  };
  /** Moves paths on to the outputs (the merge, the judging, the writes). */
  const moveOn = async () => {
    correlation.release();
    verdicts.release();
    // On one terminal the timeline would go on from the end of the status line: it is
    // cleared first, and drawn again under the new text.
    const redraw = progressShown && out.hasText;
    if (redraw) options.onProgress?.(null, 'text');
    await out.flush();
    if (redraw) showProgress();
    openGate();
  };
  let drainedMs = 0;
  let stats: Array<CaptureStats | null> = [];
  let armedAfterMs = 0;
  let timing: ArmTiming = { lookupMs: 0, startMs: 0, sinceProcessStartMs: 0 };
  let armed = false;
  let failure: unknown;
  try {
    const tStart = performance.now();
    await source.start(options.signal);
    const tArmed = performance.now();
    armedAfterMs = Date.now() - started;
    timing = { lookupMs: tStart - t0, startMs: tArmed - tStart, sinceProcessStartMs: tArmed };
    armed = true;
    verdicts.open(Date.now());
    options.onArmed?.(points, timing);
    if (options.durationS !== undefined) timer = setTimeout(() => requestStop('duration'), options.durationS * 1000);
    if (options.command && options.command.length > 0) {
      // In the first target's namespace; on the host only for a plan brought along that has
      // no namespace at all (host points: what the stop paths' tests trace).
      const netns = points.find((p) => p.netnsPath)?.netnsPath;
      if (!netns && !options.points) throw new VethcapError('USAGE', 'the command after -- runs in the first target\'s namespace, and the targets have none.');
      command = runInNamespace(netns, options.command);
      command.done.then(
        (code) => {
          commandExitCode = code;
          const grace = options.drainMs ?? COMMAND_GRACE_MS;
          setTimeout(() => requestStop('command'), grace);
        },
        (error: unknown) => {
          streamError ??= error;
          requestStop('command');
        },
      );
    }
    let lastStatus = 0;
    while (!stopWanted) {
      await sleepOrWake(TICK_MS);
      if (streamError) throw streamError;
      source.idle(Date.now(), (point, ts) => correlation.merge.advance(point, ts));
      source.askForDrops();
      await moveOn();
      if (out.readerGone) requestStop('output-closed');
      if (options.onProgress && Date.now() - lastStatus >= 500) {
        showProgress();
        lastStatus = Date.now();
      }
    }
    // The drain: each point is stopped only once it has handed over what it captured
    // before the stop moment (LiveSource.drained). Not when nothing more is wanted.
    const stopAt = verdicts.stopAtMs;
    const wanted = stopWanted !== 'count' && !(out.readerGone && !out.writesFile);
    while (wanted && !options.urgentSignal?.aborted && !streamError && !source.drained(stopAt)) {
      await sleepOrWake(Math.min(TICK_MS, Math.max(1, source.drainLeftMs(stopAt))));
      source.askForDrops();
      await moveOn();
    }
    drainedMs = Math.max(0, Date.now() - stopAt);
  } catch (error) {
    failure = error;
  } finally {
    source.markStopping();
    options.signal?.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    command?.kill();
    // A failure stops the trace too: its moment closes the window.
    verdicts.close(Date.now());
    // What tcpdump wrote before the stop and vethcap has not read yet (it fell behind a
    // burst) is read now, unless nobody wants it.
    const unwanted = failure !== undefined || stopWanted === 'count' || (out.readerGone && !out.writesFile);
    if (unwanted) skippedBytes += source.abandon();
    else noticeBacklog();
    const stopped = source.stop();
    let streamsDone = false;
    const done = () => {
      streamsDone = true;
      wake?.();
    };
    void stopped.then(done, done);
    // Meanwhile the outputs go on taking paths, so the backlog is not held in memory.
    try {
      while (!streamsDone) {
        await sleepOrWake(TICK_MS);
        correlation.release();
        verdicts.release();
        await out.flush();
        openGate();
        if (out.readerGone && !out.writesFile) skippedBytes += source.abandon();
      }
    } catch (error) {
      failure ??= error;
      source.abandon();
    } finally {
      gateOpen = true;
      openGate();
    }
    const result = await stopped;
    options.urgentSignal?.removeEventListener('abort', skip);
    stats = result.stats;
    if (progressShown) options.onProgress?.(null, 'end');
  }
  if (failure === undefined && streamError !== undefined) failure = streamError;
  // Whatever ended the trace, the pcapng is completed up to the last packet received. Every
  // tcpdump has ended, so every point's drops are known: what is held is judged now.
  correlation.finish();
  verdicts.flush();
  const summary = await out.close(
    stats.map((s, point) => ({ point, ...(s ? { ifRecv: s.received, ifDrop: s.droppedByKernel } : {}), endTime: nowTs() })),
  );
  if (failure) {
    if (!armed) await out.discard();
    throw failure;
  }
  return {
    points,
    summary,
    stats,
    stopReason: stopWanted ?? 'signal',
    armedAfterMs,
    timing,
    commandExitCode,
    endedEarly,
    packetsWritten: out.packetsWritten,
    outsideWindow: verdicts.outside,
    afterStop,
    drainedMs,
    skippedBytes,
  };
}
