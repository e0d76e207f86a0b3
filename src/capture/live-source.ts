import type { PlannedPoint } from '../plan/plan.js';
import { CaptureParser } from '../pcap/parser.js';
import type { CaptureEvent } from '../pcap/events.js';
import type { InterfaceStatsInput } from '../pcap/pcapng-writer.js';
import type { Timestamp } from '../model/time.js';
import type { PacketSource, PointStatus, SourceEvents, SourceWindow } from '../pipeline/source.js';
import { TraceCoverage } from './coverage.js';
import { CaptureSession } from './capture-session.js';
import { failureReason, type CaptureStats } from './tcpdump-output.js';
import { restoreCpu, yieldCpu } from '../exec/priority.js';

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
/**
 * How far past the stop moment a point's newest packet must be stamped before the drain
 * calls it done. A packet is stamped when it is queued, and reaches the ring a little later
 * (another CPU's backlog), so the ring's order is not quite the timestamps' order: one
 * packet stamped just after the stop does not prove every packet stamped before it was
 * handed over. 50 ms of margin does.
 */
const DRAIN_PAST_MS = 50;

export interface LiveSourceOptions {
  bufferSizeKiB?: number;
  /** tcpdump --immediate-mode: lower display latency, but drops at high packet rates. */
  immediate?: boolean;
  /**
   * While capturing, run vethcap's own thread at the lowest CPU priority (see
   * exec/priority.ts): the traffic and the tcpdumps first, the parsing from the spool after.
   * Default true.
   */
  yieldCpu?: boolean;
}

function msToTs(ms: number): Timestamp {
  return { tsSec: Math.floor(ms / 1000), tsNsec: (ms % 1000) * 1e6 };
}

/**
 * The live source of a trace: one tcpdump per point (CaptureSession: armed together, each
 * writing into a spool vethcap reads back), their pcap parsed into packets, and what the
 * source knows of its own capture:
 * - each point's kernel drops over time and where its capture was cut short
 *   (`coverage`, for the verdicts);
 * - which points are idle (nothing delivered for a while and nothing left to read), so the
 *   merge may be told how far they are;
 * - the newest timestamp read per point, so the drain after a stop knows when every point
 *   has handed over what it captured before it.
 */
export class LiveSource implements PacketSource {
  readonly live = true;
  readonly coverage: TraceCoverage;
  /** Packets read per point. */
  readonly packets: number[];
  /** Per point, the newest kernel timestamp read (ms since the epoch). */
  readonly lastTsMs: number[];
  readonly ended: boolean[];
  private readonly lastDataAt: number[];
  private readonly parsers: CaptureParser[];
  private readonly session: CaptureSession;
  private readonly idleMs: number;
  private readonly drainSoftMs: number;
  /** Per point, tcpdump's statistics once stopped (null where it printed none). */
  stats: Array<CaptureStats | null> = [];
  private stopping = false;
  private lastAsked = 0;
  private events: SourceEvents | undefined;
  private stopped: Promise<void> | undefined;
  private readonly yields: boolean;

  constructor(
    readonly points: readonly PlannedPoint[],
    options: LiveSourceOptions = {},
  ) {
    const n = points.length;
    this.coverage = new TraceCoverage(n);
    this.packets = new Array<number>(n).fill(0);
    this.lastTsMs = new Array<number>(n).fill(-Infinity);
    this.ended = new Array<boolean>(n).fill(false);
    this.lastDataAt = new Array<number>(n).fill(Date.now());
    this.parsers = points.map(() => new CaptureParser());
    this.idleMs = options.immediate ? IDLE_MS_IMMEDIATE : IDLE_MS_BLOCKS;
    this.drainSoftMs = options.immediate ? DRAIN_IMMEDIATE_MS : DRAIN_BLOCKS_MS;
    this.yields = options.yieldCpu ?? true;
    this.session = new CaptureSession(
      points.map((p) => ({
        label: p.label,
        ifname: p.ifname,
        ...(p.netnsPath ? { netns: p.netnsPath } : {}),
        ...(p.filter ? { filter: p.filter } : {}),
        ...(p.snaplen ? { snaplen: p.snaplen } : {}),
        bufferSizeKiB: options.bufferSizeKiB ?? p.bufferSizeKiB ?? DEFAULT_BUFFER_KIB,
        immediate: options.immediate ?? false,
      })),
      {
        onData: (point, chunk) => {
          this.lastDataAt[point] = Date.now();
          try {
            this.feed(point, this.parsers[point]!.push(chunk));
          } catch (error) {
            this.events?.error(error, false);
          }
        },
        onEnd: (point, readError) => {
          if (readError !== undefined) this.events?.error(readError, false);
          try {
            this.feed(point, this.parsers[point]!.end());
          } catch (error) {
            // tcpdump stopped mid-record (killed): what came before is kept.
            this.events?.error(error, true);
          }
          this.ended[point] = true;
          let early: { reason: string } | null = null;
          if (!this.stopping) {
            early = { reason: failureReason(this.session.processes[point]?.log ?? '') };
            // Its capture covers what it handed over, no more: later paths crossing it are not judged there.
            this.coverage.cut(point, this.lastTsMs[point]!, 'point-ended');
          }
          this.events?.ended(point, early);
        },
      },
      // Before each read of a spool: the runner's backpressure (SourceEvents.handed).
      { gate: () => this.events?.handed() },
    );
  }

  private feed(point: number, events: CaptureEvent[]): void {
    for (const ev of events) {
      if (ev.kind !== 'packet') continue;
      const t = ev.tsSec * 1000 + ev.tsNsec / 1e6;
      if (t > this.lastTsMs[point]!) this.lastTsMs[point] = t;
      ev.point = point;
      this.events?.packet(point, ev);
      this.packets[point]!++;
    }
  }

  /** Starts every tcpdump; resolves once every point is armed (see CaptureSession.start): the window opens then. */
  async start(events: SourceEvents, signal?: AbortSignal): Promise<SourceWindow> {
    this.events = events;
    await this.session.start(signal);
    if (this.yields) yieldCpu();
    this.lastDataAt.fill(Date.now());
    this.session.processes.forEach((proc, i) => {
      proc.onLiveStats = (s) => this.coverage.drops[i]!.answered(s.droppedByKernel, Date.now());
      void proc.exited.then((s) => this.coverage.drops[i]!.ended(s?.droppedByKernel ?? null, Date.now()));
    });
    return { openAtMs: Date.now() };
  }

  /** About every 100 ms: quiet points' buffered tails flushed, idle points vouched for, and the tcpdumps asked for their drops. */
  tick(nowMs: number): void {
    const events = this.events;
    this.session.flushQuiet(nowMs);
    if (events) this.idle(nowMs, (point, ts) => events.advance(point, ts));
    this.askForDrops(nowMs);
  }

  /** Tells `advance` how far each idle point is known to be: nothing read for a while, nothing left to read. */
  idle(nowMs: number, advance: (point: number, ts: Timestamp) => void): void {
    for (let i = 0; i < this.points.length; i++) {
      // A point whose spool still holds capture is late, not idle (vethcap was busy, or
      // stopped: SIGSTOP, a stdout that blocked), and vouching for it by the clock would split paths.
      // A point writing in blocks is vouched for only up to its last settled flush: what it
      // captured after that may still wait in tcpdump's buffer (see CaptureSession.flushQuiet).
      if (!this.ended[i] && nowMs - this.lastDataAt[i]! > this.idleMs && this.session.unreadBytes(i) === 0) {
        const upTo = Math.min(nowMs, this.session.flushedUntil(i, nowMs)) - this.idleMs;
        if (Number.isFinite(upTo)) advance(i, msToTs(upTo));
      }
    }
  }

  /** Asks every running tcpdump for its drops (one question at a time each), often enough to place them. */
  askForDrops(nowMs = Date.now()): void {
    if (nowMs - this.lastAsked < STATS_EVERY_MS) return;
    this.lastAsked = nowMs;
    this.session.processes.forEach((proc, i) => {
      const timeline = this.coverage.drops[i]!;
      if (!timeline.asked(nowMs)) return;
      if (!proc.requestStats()) timeline.answered(timeline.total, nowMs); // not running: nothing to ask
    });
  }

  /**
   * Whether the drain after the stop moment `stopAtMs` is over: a SIGINT makes tcpdump drop
   * the kernel block it has not been handed yet, so a point is stopped only once it has
   * handed over a packet stamped after the stop moment, or once its last block must have
   * come (and it has nothing more to read), or at the latest DRAIN_MAX_MS after the stop.
   */
  drained(stopAtMs: number, nowMs = Date.now()): boolean {
    const waiting = this.points.flatMap((_, i) => (!this.ended[i] && this.lastTsMs[i]! <= stopAtMs + DRAIN_PAST_MS ? [i] : []));
    if (waiting.length === 0 || nowMs >= stopAtMs + DRAIN_MAX_MS) return true;
    return nowMs >= stopAtMs + this.drainSoftMs && waiting.every((i) => this.session.unreadBytes(i) === 0);
  }

  /** How long until the drain must end, in ms from `nowMs`. */
  drainLeftMs(stopAtMs: number, nowMs = Date.now()): number {
    return stopAtMs + DRAIN_MAX_MS - nowMs;
  }

  /** The trace is stopping: streams that end from now on did not end early. */
  markStopping(): void {
    this.stopping = true;
  }

  /**
   * Read nothing more (what is left of the backlog is not wanted): each point's capture then
   * covers only what was read of it. Returns the bytes left unread.
   *
   * A point with nothing left to read is cut too: its tcpdump has not been handed the
   * kernel block it waits for (abandon comes before the drain is over, e.g. a second
   * Ctrl-C), and drops it when stopped. Its capture covers what it handed over, and
   * anything stamped before the block timeout (drainSoftMs), for an idle point.
   */
  abandon(nowMs = Date.now()): number {
    this.points.forEach((_, i) => {
      if (this.ended[i]) return;
      const last = this.lastTsMs[i]!;
      // Writing in blocks: what came after its last settled flush may be in tcpdump's buffer, unread.
      const flushed = Math.min(nowMs, this.session.flushedUntil(i, nowMs));
      this.coverage.cut(i, this.session.unreadBytes(i) > 0 ? last : Math.max(last, flushed - this.drainSoftMs), 'not-read');
    });
    return this.session.abandonBacklog();
  }

  /** Capture written and not read yet, in bytes (one point's, or all). */
  unreadBytes(point?: number): number {
    return this.session.unreadBytes(point);
  }

  /** The kernel drops tcpdump last reported at `point`, or null. */
  liveDrops(point: number): number | null {
    return this.session.processes[point]?.liveStats?.droppedByKernel ?? null;
  }

  /** tcpdump's last words at `point` (for a capture that ended early). */
  log(point: number): string {
    return this.session.processes[point]?.log ?? '';
  }

  /** Every target's namespace end has ended (its container or process stopped): the host points would wait for nothing. */
  targetsGone(): boolean {
    const ends = this.points.flatMap((p, i) => (p.role === 'namespace-end' && p.netnsPath ? [i] : []));
    return ends.length > 0 && ends.every((i) => this.ended[i]);
  }

  status(): PointStatus[] {
    return this.points.map((p, i) => ({ label: p.label, packets: this.packets[i]!, armed: true, ended: this.ended[i]!, dropped: this.liveDrops(i) }));
  }

  /** Ends every tcpdump and waits for every stream to end. */
  stop(): Promise<void> {
    // What is left to read is read at vethcap's normal priority: the user waits for it now.
    if (this.yields) restoreCpu();
    this.stopped ??= this.session.stop().then((result) => {
      this.stats = result.stats;
    });
    return this.stopped;
  }

  interfaceStats(): InterfaceStatsInput[] {
    const end = msToTs(Date.now());
    return this.stats.map((s, point) => ({ point, ...(s ? { ifRecv: s.received, ifDrop: s.droppedByKernel } : {}), endTime: end }));
  }
}
