import type { CaptureRecord } from '../model/record.js';
import type { Timestamp } from '../model/time.js';
import type { InterfaceStatsInput } from '../pcap/pcapng-writer.js';
import { readCaptureFile } from './read-capture.js';
import type { PacketSource, PointStatus, SourceCoverage, SourceEvents, SourceWindow } from '../pipeline/source.js';
import type { CaptureReader, FileSources } from './file-sources.js';

/** What the pump feeds (a runner's SourceEvents, or the merge's pre-pass). */
export interface RecordTarget {
  packet(point: number, record: CaptureRecord): void;
  advance(point: number, ts: Timestamp): void;
  ended(point: number): void;
  /** After each batch: where backpressure reaches the reader (a promise to wait for; a rejection stops the pump). */
  handed(): Promise<void> | undefined;
}

export interface PumpResult {
  packets: number;
  /** Simple Packet Blocks carry no timestamp: they cannot be placed in a timeline. */
  untimed: number;
}

/**
 * Reads every file as a stream and feeds the target in timestamp order across files:
 * the file that is furthest behind is read next, so the merge's window, not the
 * inputs' length, bounds memory. After each batch every point of that file is vouched
 * for up to the batch's last timestamp (a pcapng interface with no packets for a while
 * does not hold the merge back). Stops early, between batches, once `abandoned()` says so.
 */
export async function pumpFiles(sources: FileSources, target: RecordTarget, read: CaptureReader = readCaptureFile, abandoned: () => boolean = () => false): Promise<PumpResult> {
  const result: PumpResult = { packets: 0, untimed: 0 };
  const streams = sources.files.map((file) => ({
    file,
    iterator: read(file.path),
    lastSec: -Infinity,
    lastNsec: 0,
    done: false,
  }));
  try {
    while (!abandoned()) {
      let next: (typeof streams)[number] | undefined;
      for (const s of streams) {
        if (s.done) continue;
        if (!next || s.lastSec < next.lastSec || (s.lastSec === next.lastSec && s.lastNsec < next.lastNsec)) next = s;
      }
      if (!next) break;
      const step = await next.iterator.next();
      if (step.done === true) {
        next.done = true;
        for (const point of next.file.pointOf.values()) target.ended(point);
        await target.handed();
        continue;
      }
      for (const ev of step.value) {
        if (ev.kind === 'packet') {
          if (!ev.hasTimestamp) {
            result.untimed++;
            continue;
          }
          const point = next.file.pointOf.get(ev.interfaceId);
          if (point === undefined) continue;
          ev.point = point;
          target.packet(point, ev);
          result.packets++;
          if (ev.tsSec > next.lastSec || (ev.tsSec === next.lastSec && ev.tsNsec > next.lastNsec)) {
            next.lastSec = ev.tsSec;
            next.lastNsec = ev.tsNsec;
          }
        } else if (ev.kind === 'stats') {
          const point = next.file.pointOf.get(ev.interfaceId);
          const slot = point === undefined ? undefined : sources.stats[point];
          if (slot) {
            slot.received = ev.ifRecv ?? slot.received;
            slot.dropped = ev.ifDrop ?? slot.dropped;
          }
        }
      }
      if (Number.isFinite(next.lastSec)) {
        const ts = { tsSec: next.lastSec, tsNsec: next.lastNsec };
        for (const point of next.file.pointOf.values()) target.advance(point, ts);
      }
      await target.handed();
    }
  } finally {
    await Promise.all(streams.map((s) => s.iterator.return(undefined)));
  }
  return result;
}

/**
 * Capture files as a runner's source (`vethcap merge`): read as fast as the outputs take
 * them, in timestamp order across files. Without a saved session's knowledge every capture
 * counts as whole and there is no window; a session saved by `trace --save` brings the
 * live trace's window and coverage, so its replay judges as the trace did.
 */
export class FileSource implements PacketSource {
  readonly live = false;
  readonly points: FileSources['points'];
  readonly coverage: SourceCoverage | null;
  /** What the pump read, once stopped. */
  result: PumpResult = { packets: 0, untimed: 0 };
  private readonly packets: number[];
  private readonly ended: boolean[];
  private abandoned = false;
  private pump: Promise<void> = Promise.resolve();

  constructor(
    private readonly sources: FileSources,
    private readonly read: CaptureReader = readCaptureFile,
  ) {
    this.points = sources.points;
    this.coverage = sources.session?.coverage ?? null;
    this.packets = sources.points.map(() => 0);
    this.ended = sources.points.map(() => false);
  }

  start(events: SourceEvents): Promise<SourceWindow> {
    const target: RecordTarget = {
      packet: (point, record) => {
        this.packets[point]!++;
        events.packet(point, record);
      },
      advance: events.advance,
      ended: (point) => {
        this.ended[point] = true;
        events.ended(point, null);
      },
      handed: events.handed,
    };
    this.pump = pumpFiles(this.sources, target, this.read, () => this.abandoned).then(
      (result) => {
        this.result = result;
      },
      (error: unknown) => events.error(error, false),
    );
    return Promise.resolve(this.sources.session?.window ?? { openAtMs: -Infinity });
  }

  tick(): void {}

  drained(): boolean {
    return true;
  }

  drainLeftMs(): number {
    return 0;
  }

  markStopping(): void {}

  /** Reads no further (nobody wants the rest); files have no backlog to count. */
  abandon(): number {
    this.abandoned = true;
    return 0;
  }

  unreadBytes(): number {
    return 0;
  }

  status(): PointStatus[] {
    return this.points.map((p, i) => ({ label: p.label, packets: this.packets[i]!, armed: true, ended: this.ended[i]!, dropped: null }));
  }

  stop(): Promise<void> {
    return this.pump;
  }

  interfaceStats(): InterfaceStatsInput[] {
    return this.sources.stats.flatMap((s, point) =>
      s.received === null && s.dropped === null ? [] : [{ point, ...(s.received !== null ? { ifRecv: s.received } : {}), ...(s.dropped !== null ? { ifDrop: s.dropped } : {}) }],
    );
  }
}
