import type { Writable } from 'node:stream';
import { VethcapError } from '../errors.js';
import { requireTools } from '../exec/tools.js';
import { requireCapabilities } from '../exec/privileges.js';
import { inOrder, resolveTargets } from '../resolve/resolve.js';
import { planPoints, type PlanOptions, type PlannedPoint } from '../plan/plan.js';
import type { CaptureStats } from '../capture/tcpdump-output.js';
import type { LiveSource } from '../capture/live-source.js';
import type { Pipeline, RunProgress, RunResult } from '../pipeline/runner.js';
import { afterDuration, type StopReason } from '../pipeline/stop.js';
export type { StopReason } from '../pipeline/stop.js';
import type { PathOutputOptions } from '../sinks/path-output.js';
import type { SessionCloseInfo, SessionFolder } from '../sinks/session-folder.js';
import { EarlyStart } from './early-start.js';
import type { PacketPath } from '../correlate/path.js';
import type { ResolveResult } from '../resolve/types.js';
import { afterCommand, type CommandTrigger } from './command.js';

/**
 * Most of vethcap's code, loaded only once a trace begins, while its look-up runs (it mostly
 * waits on Docker and `ip`): the capture, needed to start the tcpdumps, and the runner and the
 * sinks, needed once they are armed. Not while they arm: compiling the runner's chunk then
 * competes with reading their "listening" lines (bench/start.js, 9 interleaved pairs, load
 * ~6: arming 1.07× bare loaded here, 1.16× loaded after the spawns; look-up 206 vs 182 ms).
 */
function loadCapture() {
  return Promise.all([import('../capture/live-source.js'), import('../capture/spool.js')]).then(([live, spool]) => ({ LiveSource: live.LiveSource, checkSpoolSpace: spool.checkSpoolSpace }));
}
function loadRunner() {
  return Promise.all([import('../pipeline/runner.js'), import('../sinks/session-folder.js')]).then(([runner, folder]) => ({ Pipeline: runner.Pipeline, SessionFolder: folder.SessionFolder }));
}

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
   * Abort to skip what is left of a backlog of 4 MiB or more while stopping (a second
   * Ctrl-C): the tcpdumps are still ended and the pcapng closed, but capture not read yet
   * is dropped. A smaller one, and the drain after the stop, are read all the same.
   */
  urgentSignal?: AbortSignal;
  /** Called once when a signal stops the trace, with the bytes of capture not read yet (the drain follows). */
  onStopping?: (unreadBytes: number) => void;
  /** Where the output of the command after -- goes (default: vethcap's stderr). */
  commandOutput?: Writable;
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
  /**
   * Save the session here (`--save DIR`): one pcap per point as tcpdump handed it over, and
   * a manifest with the topology, the window and each point's drops, so that
   * `vethcap merge DIR` replays it to the same verdicts.
   */
  save?: string;
  /** vethcap's command line, for the saved manifest. */
  argv?: readonly string[];
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
export type TraceProgress = RunProgress;

/** Where the time to "armed" went, in milliseconds. */
export interface ArmTiming {
  /** Checks (tools, privileges), the look-up of the targets (Docker, netlink) and the plan. */
  lookupMs: number;
  /** After the look-up, before the tcpdumps start: the capture's code loaded, the spool's space checked. */
  prepareMs: number;
  /**
   * From starting the tcpdumps until every one said it is listening: bare tcpdump's own start.
   * The runner is loaded and the outputs opened meanwhile.
   */
  startMs: number;
  /** Since the process started (node's own start-up and module loading included). */
  sinceProcessStartMs: number;
}

export interface TraceResult extends Omit<RunResult, 'readerGone'> {
  points: PlannedPoint[];
  stats: Array<CaptureStats | null>;
  stopReason: StopReason;
  /** Milliseconds from the call until every point was armed. */
  armedAfterMs: number;
  timing: ArmTiming;
  commandExitCode: number | null;
}

/** Default grace after the command after -- exits (see TraceOptions.drainMs). */
const COMMAND_GRACE_MS = 200;

/**
 * `vethcap trace`: resolve the targets, plan the points, and run the live source (one
 * tcpdump per point, armed together) through the pipeline until a stop condition.
 * Everything started is stopped, and the pcapng closed, whatever ends the trace.
 */
export async function trace(options: TraceOptions): Promise<TraceResult> {
  const started = Date.now();
  const t0 = performance.now();
  const capture = loadCapture();
  const runner = loadRunner();
  capture.catch(() => undefined); // awaited below, unless the look-up fails first
  runner.catch(() => undefined);
  const points = options.points ?? (await lookUp(options));
  const tLookedUp = performance.now();
  const { LiveSource, checkSpoolSpace } = await capture;
  const spaceWarning = await checkSpoolSpace();
  if (spaceWarning) options.onWarning?.(spaceWarning);
  const command = options.command && options.command.length > 0 ? commandTrigger(points, options) : undefined;
  const live = new LiveSource(points, { ...(options.bufferSizeKiB !== undefined ? { bufferSizeKiB: options.bufferSizeKiB } : {}), immediate: options.immediate ?? false });
  // The tcpdumps start now; the runner and the outputs are made ready while they arm.
  const source = new EarlyStart(live);
  const tStart = performance.now();
  source.launch(options.signal);
  let timing: ArmTiming = { lookupMs: 0, prepareMs: 0, startMs: 0, sinceProcessStartMs: 0 };
  let armedAfterMs = 0;
  const windowNs = options.windowNs ?? 100_000_000;
  let folder: SessionFolder | undefined;
  let pipeline: Pipeline;
  try {
    const { Pipeline, SessionFolder } = await runner;
    folder = options.save !== undefined ? await SessionFolder.create(options.save, points) : undefined;
    pipeline = await Pipeline.open(source, {
      output: options.output,
      ...(options.stdout ? { stdout: options.stdout } : {}),
      windowNs,
      ...(folder ? { tap: folder } : {}),
      ...(options.count !== undefined ? { count: options.count } : {}),
      triggers: [...(options.durationS !== undefined ? [afterDuration(options.durationS)] : []), ...(command ? [command] : [])],
      ...pick(options, ['signal', 'urgentSignal', 'onPath', 'onBacklog', 'onStopping', 'onProgress']),
      startedAtMs: started,
      onReady: () => {
        const tArmed = source.armedAt ?? performance.now();
        armedAfterMs = Date.now() - started;
        timing = { lookupMs: tLookedUp - t0, prepareMs: tStart - tLookedUp, startMs: tArmed - tStart, sinceProcessStartMs: tArmed };
        options.onArmed?.(points, timing);
      },
    });
  } catch (error) {
    // The tcpdumps started already: stopped, as a run that fails stops them.
    await source.stop();
    await folder?.discard();
    throw error;
  }
  let run: RunResult;
  try {
    run = await pipeline.run();
  } catch (error) {
    // Never armed: no session to keep (as the pcapng is removed then). Else what was captured is.
    if (!Number.isFinite(pipeline.window.openAtMs)) await folder?.discard();
    else await folder?.close(savedSession(pipeline, live, options, windowNs, true)).catch(() => undefined);
    throw error;
  }
  await folder?.close(savedSession(pipeline, live, options, windowNs));
  return { ...run, points, stats: live.stats, armedAfterMs, timing, commandExitCode: command?.exitCode ?? null };
}

/** What the saved session's manifest needs from the run, at its end (a failed one too). */
function savedSession(pipeline: Pipeline, source: LiveSource, options: TraceOptions, windowNs: number, failed = false): SessionCloseInfo {
  const { openAtMs: armedAtMs, stopAtMs } = pipeline.window;
  return {
    window: { armedAtMs, stopAtMs: Number.isFinite(stopAtMs) ? stopAtMs : null, stopReason: failed ? 'failed' : (pipeline.stopReason ?? 'failed') },
    stats: source.points.map((_, i) => {
      const s = source.stats[i];
      return s ? { captured: s.captured, droppedByKernel: s.droppedByKernel } : null;
    }),
    coverage: source.coverage.save(),
    windowNs,
    ...(options.count !== undefined ? { count: options.count } : {}),
    ...(options.argv ? { argv: options.argv } : {}),
  };
}

/**
 * The checks, the look-up of the targets and the plan (skipped for a plan brought along).
 * The checks run alongside the look-up, and a failed check is what is reported: the
 * look-up fails too without a tool or the privileges, in less clear words.
 */
async function lookUp(options: TraceOptions): Promise<PlannedPoint[]> {
  const checks = inOrder([requireTools(['ip', 'nsenter', 'tcpdump']), requireCapabilities(['SYS_ADMIN', 'NET_ADMIN', 'NET_RAW'], 'capturing in network namespaces')]);
  const resolving = options.resolved ? Promise.resolve(options.resolved) : resolveTargets(options.targets, { discoverOwners: false, checks: false });
  resolving.catch(() => undefined); // a failed check comes first
  await checks;
  return planPoints((await resolving).targets, options);
}

/**
 * The command after `--`, in the first target's namespace; on the host only for a plan
 * brought along that has no namespace at all (host points: what the stop paths' tests trace).
 */
function commandTrigger(points: readonly PlannedPoint[], options: TraceOptions): CommandTrigger {
  const netns = points.find((p) => p.netnsPath)?.netnsPath;
  if (!netns && !options.points) throw new VethcapError('USAGE', "the command after -- runs in the first target's namespace, and the targets have none.");
  return afterCommand(netns, options.command ?? [], options.drainMs ?? COMMAND_GRACE_MS, options.commandOutput);
}

/** The keys of `from` that are set, for options objects under exactOptionalPropertyTypes. */
function pick<T extends object, K extends keyof T>(from: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const k of keys) if (from[k] !== undefined) picked[k] = from[k];
  return picked;
}
