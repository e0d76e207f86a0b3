import type { InterfaceStatsInput } from '../pcap/pcapng-writer.js';
import type { PacketSource, PointStatus, SourceCoverage, SourceEvents, SourceWindow } from '../pipeline/source.js';

/** As the runner ticks its source. */
const TICK_MS = 100;

/**
 * A live source started before the runner is there: trace() starts the tcpdumps as soon as
 * the points are planned, and loads the runner and opens the outputs while they arm (a
 * tcpdump takes tens of milliseconds to say it listens, during which node would be idle).
 * What the source reports before the runner attaches (the first packets, a point that ended)
 * is held and handed over, in order, when it does. The runner's start() then only waits for
 * the arming already under way.
 */
export class EarlyStart implements PacketSource {
  private events: SourceEvents | undefined;
  private held: Array<(events: SourceEvents) => void> = [];
  private launched: Promise<SourceWindow> | undefined;
  /** performance.now() when every point was armed. */
  armedAt: number | undefined;
  /** Ticks the source while armed and the runner not there yet (see launch). */
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly inner: PacketSource) {}

  get points() {
    return this.inner.points;
  }
  get coverage(): SourceCoverage | null {
    return this.inner.coverage;
  }
  get live(): boolean {
    return this.inner.live;
  }

  /** Starts the source now; start() later attaches the runner to it. */
  launch(signal?: AbortSignal): void {
    this.launched ??= this.inner.start(this.relay, signal).then((window) => {
      this.armedAt = performance.now();
      // Armed before the runner attached: the source is ticked as the runner would (every
      // 100 ms), so that its points' kernel drops are asked for, and placed in time, from now.
      if (!this.events) this.ticker = setInterval(() => this.inner.tick(Date.now()), TICK_MS);
      return window;
    });
    this.launched.catch(() => undefined); // the runner's start() reports it
  }

  start(events: SourceEvents, signal?: AbortSignal): Promise<SourceWindow> {
    this.events = events;
    clearInterval(this.ticker);
    for (const hand of this.held.splice(0)) hand(events);
    this.launch(signal);
    return this.launched!;
  }

  private readonly relay: SourceEvents = {
    packet: (point, record) => (this.events ? this.events.packet(point, record) : this.hold((e) => e.packet(point, record))),
    advance: (point, ts) => (this.events ? this.events.advance(point, ts) : this.hold((e) => e.advance(point, ts))),
    // No backpressure before the runner is there: it takes what was held at once.
    handed: () => this.events?.handed(),
    ended: (point, early) => (this.events ? this.events.ended(point, early) : this.hold((e) => e.ended(point, early))),
    error: (error, atEnd) => (this.events ? this.events.error(error, atEnd) : this.hold((e) => e.error(error, atEnd))),
  };

  private hold(hand: (events: SourceEvents) => void): void {
    this.held.push(hand);
  }

  tick(nowMs: number): void {
    this.inner.tick(nowMs);
  }
  drained(stopAtMs: number, nowMs: number): boolean {
    return this.inner.drained(stopAtMs, nowMs);
  }
  drainLeftMs(stopAtMs: number, nowMs: number): number {
    return this.inner.drainLeftMs(stopAtMs, nowMs);
  }
  markStopping(): void {
    this.inner.markStopping();
  }
  abandon(): number {
    return this.inner.abandon();
  }
  unreadBytes(): number {
    return this.inner.unreadBytes();
  }
  targetsGone(): boolean {
    return this.inner.targetsGone?.() ?? false;
  }
  status(): PointStatus[] {
    return this.inner.status();
  }
  stop(): Promise<void> {
    clearInterval(this.ticker);
    return this.inner.stop();
  }
  interfaceStats(): InterfaceStatsInput[] {
    return this.inner.interfaceStats();
  }
}
