import { VethcapError } from '../errors.js';
import { requireTools } from '../exec/tools.js';
import { requireCapabilities } from '../exec/privileges.js';
import { resolveTargets } from '../resolve/resolve.js';
import { planPoints, type PlanOptions, type PlannedPoint } from '../plan/plan.js';
import { CaptureSession } from '../capture/session.js';
import { checkSpoolSpace } from '../capture/spool.js';
import { failureReason, type CaptureStats } from '../capture/tcpdump-output.js';
import { CaptureParser } from '../pcap/parser.js';
import type { CaptureEvent } from '../pcap/events.js';
import { CorrelationSession } from '../correlate/session.js';
import { TopologyIndex } from '../correlate/topology-index.js';
import { TraceCoverage } from './coverage.js';
import { VerdictGate } from './verdict-gate.js';
import { PathOutput, type PathOutputOptions } from '../sinks/path-output.js';
import type { RunSummary } from '../render/run-summary.js';
import type { PacketPath } from '../correlate/path.js';
import type { Timestamp } from '../model/time.js';
import type { ResolveResult } from '../resolve/types.js';
import { runInNamespace, type CommandRun } from './command.js';
import { renderStatusLine } from './status-line.js';

export interface TraceOptions extends PlanOptions {
  targets: string[];
  output: PathOutputOptions;
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
  /** Show the status line on stderr (a TTY). */
  status?: boolean;
  /** Already resolved targets (skips the look-up). */
  resolved?: ResolveResult;
  /**
   * The capture points, planned already: skips the checks for tools and privileges, the
   * look-up and the plan (`targets` and `resolved` are then unused). Points without
   * `netnsPath` run `tcpdump` from PATH directly: the stop paths' tests put a fake first.
   */
  points?: PlannedPoint[];
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

/**
 * Live watermark slack. A point that has delivered no bytes at all for this long (wall
 * clock) is vouched for up to now minus this: longer than a packet can wait in a kernel
 * block before tcpdump sees it (libpcap's 1 s timeout). A point that is delivering is
 * never vouched for: when vethcap falls behind a burst, its streams are late, not idle,
 * and releasing by the clock would split the copies of one packet into several paths.
 */
const IDLE_MS_BLOCKS = 1500;
const IDLE_MS_IMMEDIATE = 250;

/**
 * Kernel capture buffer per point unless -B says otherwise. The spool keeps tcpdump as fast
 * as a bare one, but vethcap's own parsing competes for the CPU: at trafgen's top rate with
 * node slowed further (profiling), tcpdump's default 2 MiB dropped 0.4 % at one point and
 * 8 MiB nothing. 8 MiB costs no measurable start time; 32 MiB cost +17 ms for 3 points.
 */
export const DEFAULT_BUFFER_KIB = 8 * 1024;
const TICK_MS = 100;
/** How often each tcpdump is asked for its kernel drops: bounds the interval a drop is placed in. */
const STATS_EVERY_MS = 250;
/**
 * The drain after the stop moment: until every point has handed over a packet stamped
 * after it, or this long has passed (a kernel block is handed over after at most libpcap's
 * 1 s timeout, so by then everything stamped before the stop has been), and never longer
 * than DRAIN_MAX_MS (a point whose capture vethcap is still reading).
 */
const DRAIN_BLOCKS_MS = 1500;
const DRAIN_IMMEDIATE_MS = 300;
const DRAIN_MAX_MS = 3000;
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
  const out = await PathOutput.open(topology, options.output);
  let paths = 0;
  let afterStop = 0;
  let stopWanted: StopReason | undefined;
  let wake: (() => void) | undefined;
  const coverage = new TraceCoverage(points.length);
  // The stop moment closes the window: what begins after it gets no verdict.
  const requestStop = (reason: StopReason, atMs = Date.now()) => {
    if (stopWanted === undefined) {
      stopWanted = reason;
      verdicts.close(atMs);
    }
    wake?.();
  };
  const verdicts = new VerdictGate(new TopologyIndex(topology), coverage, (path) => {
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
  let stopping = false;
  const parsers = points.map(() => new CaptureParser());
  const packets = points.map(() => 0);
  const lastDataAt = points.map(() => Date.now());
  const idleMs = options.immediate ? IDLE_MS_IMMEDIATE : IDLE_MS_BLOCKS;
  const ended = points.map(() => false);
  let streamError: unknown;
  /** Per point, the newest kernel timestamp read (ms since the epoch): the drain waits for one past the stop. */
  const lastTsMs = points.map(() => -Infinity);
  const feed = (point: number, events: CaptureEvent[]) => {
    for (const ev of events) {
      if (ev.kind !== 'packet') continue;
      const t = ev.tsSec * 1000 + ev.tsNsec / 1e6;
      if (t > lastTsMs[point]!) lastTsMs[point] = t;
      ev.point = point;
      correlation.push(point, ev);
      packets[point]!++;
    }
  };
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
  const session = new CaptureSession(
    points.map((p) => ({
      label: p.label,
      ifname: p.ifname,
      ...(p.netnsPath ? { netns: p.netnsPath } : {}),
      ...(p.filter ? { filter: p.filter } : {}),
      ...(p.snaplen ? { snaplen: p.snaplen } : {}),
      bufferSizeKiB: options.bufferSizeKiB ?? DEFAULT_BUFFER_KIB,
      immediate: options.immediate ?? false,
    })),
    {
      onData(point, chunk) {
        lastDataAt[point] = Date.now();
        try {
          feed(point, parsers[point]!.push(chunk));
          if (correlation.merge.stats.buffered > RELEASE_AT_RECORDS) correlation.release();
        } catch (error) {
          streamError ??= error;
        }
      },
      onEnd(point, readError) {
        if (readError !== undefined) streamError ??= readError;
        try {
          feed(point, parsers[point]!.end());
        } catch (error) {
          // tcpdump stopped mid-record (killed): what came before is kept.
          if (!stopWanted) streamError ??= error;
        }
        ended[point] = true;
        if (!stopping) {
          const log = session.processes[point]?.log ?? '';
          endedEarly.push({ label: points[point]!.label, reason: failureReason(log) });
          // Its capture covers what it handed over, no more: later paths crossing it are not judged there.
          coverage.cut(point, lastTsMs[point]!, 'point-ended');
        }
        correlation.end(point);
        if (ended.every(Boolean)) requestStop('points-ended');
        // Every target's namespace end is gone: the containers stopped; the bridge and
        // other host points would only wait for nothing.
        const nsEnds = points.flatMap((p, i) => (p.netnsPath ? [i] : []));
        if (nsEnds.length > 0 && nsEnds.every((i) => ended[i])) requestStop('targets-gone');
        wake?.();
      },
    },
    { gate },
  );

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
  let statusShown = false;
  // A backlog (vethcap fell behind a burst) is read before the trace ends: worth a word when
  // it takes a while, said as the stop begins. A second Ctrl-C (urgentSignal) skips it.
  let backlogNoticed = false;
  const noticeBacklog = () => {
    if (backlogNoticed || !options.onBacklog) return;
    const unread = session.unreadBytes();
    if (unread < BACKLOG_NOTICE_BYTES) return;
    backlogNoticed = true;
    options.onBacklog(unread);
  };
  let skippedBytes = 0;
  /** Nothing more is read: each point's capture covers only what was read of it. */
  const abandon = (): number => {
    points.forEach((_, i) => {
      if (!ended[i] && session.unreadBytes(i) > 0) coverage.cut(i, lastTsMs[i]!, 'not-read');
    });
    return session.abandonBacklog();
  };
  const skip = () => {
    stopping = true; // the streams end now: not "ended before the trace did"
    skippedBytes += abandon();
    wake?.();
  };
  const onAbort = () => {
    requestStop('signal');
    noticeBacklog();
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  options.urgentSignal?.addEventListener('abort', skip, { once: true });
  const showStatus = () => {
    if (!options.status) return;
    const line = renderStatusLine(
      points.map((p, i) => ({
        label: p.label,
        packets: packets[i]!,
        armed: true,
        ended: ended[i]!,
        dropped: session.processes[i]?.liveStats?.droppedByKernel ?? null,
      })),
      paths,
      Date.now() - started,
      process.stderr.columns || 120,
      session.unreadBytes(),
    );
    process.stderr.write(`\r\x1b[K${line}`);
    statusShown = true;
  };
  let lastAsked = 0;
  /** Asks every running tcpdump for its drops (one question at a time each), often enough to place them. */
  const askForDrops = () => {
    const now = Date.now();
    if (now - lastAsked < STATS_EVERY_MS) return;
    lastAsked = now;
    session.processes.forEach((proc, i) => {
      if (!coverage.drops[i]!.asked(now)) return;
      if (!proc.requestStats()) coverage.drops[i]!.answered(coverage.drops[i]!.total, now); // not running: nothing to ask
    });
  };
  /** Moves paths on to the outputs (the merge, the judging, the writes). */
  const moveOn = async () => {
    correlation.release();
    verdicts.release();
    // On one terminal the timeline would go on from the end of the status line: clear
    // the line first, and draw it again under the new text.
    const redraw = statusShown && out.hasText && Boolean(process.stdout.isTTY);
    if (redraw) process.stderr.write('\r\x1b[K');
    await out.flush();
    if (redraw) showStatus();
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
    await session.start(options.signal);
    const tArmed = performance.now();
    armedAfterMs = Date.now() - started;
    timing = { lookupMs: tStart - t0, startMs: tArmed - tStart, sinceProcessStartMs: tArmed };
    armed = true;
    verdicts.open(Date.now());
    lastDataAt.fill(Date.now());
    session.processes.forEach((proc, i) => {
      proc.onLiveStats = (s) => coverage.drops[i]!.answered(s.droppedByKernel, Date.now());
      void proc.exited.then((s) => coverage.drops[i]!.ended(s?.droppedByKernel ?? null, Date.now()));
    });
    options.onArmed?.(points, timing);
    if (options.durationS !== undefined) timer = setTimeout(() => requestStop('duration'), options.durationS * 1000);
    if (options.command && options.command.length > 0) {
      const netns = points.find((p) => p.netnsPath)?.netnsPath;
      if (!netns) throw new VethcapError('USAGE', 'the command after -- runs in the first target\'s namespace, and the targets have none.');
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
      const nowMs = Date.now();
      for (let i = 0; i < points.length; i++) {
        // Idle means nothing read for a while *and* nothing left to read: a point whose spool
        // still holds capture is late, not idle (vethcap was busy, or stopped: SIGSTOP, a
        // stdout that blocked), and vouching for it by the clock would split paths.
        if (!ended[i] && nowMs - lastDataAt[i]! > idleMs && session.unreadBytes(i) === 0) correlation.merge.advance(i, msToTs(nowMs - idleMs));
      }
      askForDrops();
      await moveOn();
      if (out.readerGone) requestStop('output-closed');
      if (options.status && Date.now() - lastStatus >= 500) {
        showStatus();
        lastStatus = Date.now();
      }
    }
    // The drain: a SIGINT makes tcpdump drop the kernel block it has not been handed yet,
    // so each point is stopped only once it has handed over a packet stamped after the stop
    // moment, or once its last block must have come (DRAIN_BLOCKS_MS).
    const stopAt = verdicts.stopAtMs;
    const wanted = stopWanted !== 'count' && !(out.readerGone && !out.writesFile);
    const soft = stopAt + (options.immediate ? DRAIN_IMMEDIATE_MS : DRAIN_BLOCKS_MS);
    const hard = stopAt + DRAIN_MAX_MS;
    while (wanted && !options.urgentSignal?.aborted && !streamError) {
      const now = Date.now();
      const waiting = points.flatMap((_, i) => (!ended[i] && lastTsMs[i]! <= stopAt ? [i] : []));
      if (waiting.length === 0 || now >= hard) break;
      // Past the block timeout a point with nothing more to read has nothing more to give.
      if (now >= soft && waiting.every((i) => session.unreadBytes(i) === 0)) break;
      await sleepOrWake(Math.min(TICK_MS, Math.max(1, hard - now)));
      askForDrops();
      await moveOn();
    }
    drainedMs = Math.max(0, Date.now() - stopAt);
  } catch (error) {
    failure = error;
  } finally {
    stopping = true;
    options.signal?.removeEventListener('abort', onAbort);
    clearTimeout(timer);
    command?.kill();
    // A failure stops the trace too: its moment closes the window.
    verdicts.close(Date.now());
    // What tcpdump wrote before the stop and vethcap has not read yet (it fell behind a
    // burst) is read now, unless nobody wants it.
    const unwanted = failure !== undefined || stopWanted === 'count' || (out.readerGone && !out.writesFile);
    if (unwanted) skippedBytes += abandon();
    else noticeBacklog();
    const stopped = session.stop();
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
        if (out.readerGone && !out.writesFile) skippedBytes += abandon();
      }
    } catch (error) {
      failure ??= error;
      abandon();
    } finally {
      gateOpen = true;
      openGate();
    }
    const result = await stopped;
    options.urgentSignal?.removeEventListener('abort', skip);
    stats = result.stats;
    if (statusShown) process.stderr.write('\r\x1b[K');
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
