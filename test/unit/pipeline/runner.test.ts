import { Writable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pipeline } from '../../../src/pipeline/runner.js';
import type { PacketSource, PointStatus, SourceCoverage, SourceEvents, SourceWindow } from '../../../src/pipeline/source.js';
import type { CaptureRecord } from '../../../src/model/record.js';
import type { CapturePoint } from '../../../src/model/topology.js';
import type { InterfaceStatsInput } from '../../../src/pcap/pcapng-writer.js';
import { readCaptureFile } from '../../../src/sources/read-capture.js';
import { VethcapError } from '../../../src/errors.js';
import { icmpFrame } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints } from '../../helpers/topology.js';

// Points: 0 box:eth0, 1 host:vethA, 2 host:docker0 (bridge), 3 host:vethB, 4 web:eth0.
const ALL = [0, 1, 2, 3, 4];
const AT: Record<number, number> = { 0: 0, 1: 4_000, 2: 4_000, 3: 20_000, 4: 22_000 };
/** requestAt(seq)'s first copy, in ms since the epoch (rec() counts from 1,764,333,971 s). */
const T0 = (1_764_333_971 + 1000) * 1000;
function requestAt(seq: number, points = ALL, payload = 0): CaptureRecord[] {
  const frame = icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 100 + seq, id: 7 + payload, seq });
  return points.map((p) => rec(p, 1000e9 + seq * 100e6 + AT[p]!, frame));
}

/**
 * A source that hands over scripted batches as a real one would (each batch followed by
 * the backpressure point), with a given window and coverage: the runner cannot tell it
 * from live tcpdumps or files.
 */
class ScriptedSource implements PacketSource {
  readonly points: CapturePoint[] = fivePoints().points;
  /** How often the runner made it wait (handed() returned a promise). */
  waited = 0;
  abandoned = false;
  handedOver = 0;
  private readonly ended = this.points.map(() => false);
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly batches: CaptureRecord[][],
    readonly live: boolean,
    readonly coverage: SourceCoverage | null,
    private readonly window: SourceWindow,
    private readonly failAfter?: { batches: number; error: Error },
  ) {}

  start(events: SourceEvents): Promise<SourceWindow> {
    this.done = (async () => {
      for (const [i, batch] of this.batches.entries()) {
        if (this.abandoned) return;
        if (this.failAfter && i === this.failAfter.batches) throw this.failAfter.error;
        for (const r of batch) {
          events.packet(r.point, r);
          this.handedOver++;
        }
        const last = batch[batch.length - 1];
        if (last) for (let p = 0; p < this.points.length; p++) events.advance(p, last);
        const wait = events.handed();
        if (wait) {
          this.waited++;
          await wait;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      this.points.forEach((_, p) => {
        this.ended[p] = true;
        events.ended(p, null);
      });
    })().catch((error: unknown) => events.error(error, false));
    return Promise.resolve(this.window);
  }
  tick(): void {}
  drained(): boolean {
    return true;
  }
  drainLeftMs(): number {
    return 0;
  }
  markStopping(): void {}
  abandon(): number {
    this.abandoned = true;
    return 0;
  }
  unreadBytes(): number {
    return 0;
  }
  status(): PointStatus[] {
    return this.points.map((p, i) => ({ label: p.label, packets: 0, armed: true, ended: this.ended[i]!, dropped: null }));
  }
  stop(): Promise<void> {
    return this.done;
  }
  interfaceStats(): InterfaceStatsInput[] {
    return [];
  }
}

/** A stdout that collects what it is given; `blocked` holds every write until released. */
class Collector extends Writable {
  text = '';
  private held: Array<() => void> = [];
  blocked = false;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString('utf8');
    if (this.blocked) this.held.push(() => done());
    else done();
  }
  release(): void {
    this.blocked = false;
    for (const done of this.held.splice(0)) done();
  }
}

/** Points 3 and 4 (web's side) dropped packets around requestAt(6) (seq 6 is 600 ms after T0). */
const dropsAtWebAround6: SourceCoverage = {
  gapAt: (p, fromMs, toMs) => ([3, 4].includes(p) && fromMs <= T0 + 600 && toMs >= T0 + 600 ? { reason: 'kernel-drops', dropped: 3 } : null),
  knows: () => true,
};

interface Line {
  id: number;
  verdict: string | null;
  lost?: { before: string } | null;
}
function lines(text: string): Line[] {
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => typeof l.id === 'number');
}

const dir = mkdtempSync(join(tmpdir(), 'vethcap-runner-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the pipeline runner, handed any source', () => {
  // seq 0-1 begin before the window, 9 after the stop; 4 vanishes after the bridge; 6 too,
  // where web's points were dropping.
  const batches = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((seq) => requestAt(seq, seq === 4 || seq === 6 ? [0, 1, 2] : ALL));
  const window = { openAtMs: T0 + 150, stopAtMs: T0 + 850 };

  it('judges by the source\'s window and coverage: left out before it, no verdict after it, no loss claimed where points dropped', async () => {
    const stdout = new Collector();
    const source = new ScriptedSource(batches, false, dropsAtWebAround6, window);
    const run = await (await Pipeline.open(source, { output: { format: 'json' }, stdout })).run();
    const verdicts = lines(stdout.text).map((l) => l.verdict);
    expect(verdicts).toEqual(['complete', 'complete', 'lost', 'complete', 'undetermined', 'complete', 'complete']);
    expect(lines(stdout.text)[2]!.lost?.before).toBe('host:vethB');
    expect(run.outsideWindow).toBe(10);
    expect(run.afterStop).toBe(1);
    expect(run.summary).toMatchObject({ paths: 7, complete: 5, lost: 1, undetermined: 1, afterStop: 1 });
    expect(run.stopReason).toBe('points-ended');
  });

  it('without coverage every capture counts as whole: the same gap is a loss', async () => {
    const stdout = new Collector();
    const source = new ScriptedSource(batches, false, null, window);
    await (await Pipeline.open(source, { output: { format: 'json' }, stdout })).run();
    expect(lines(stdout.text).map((l) => l.verdict)).toEqual(['complete', 'complete', 'lost', 'complete', 'lost', 'complete', 'complete']);
  });

  it('one backpressure rule: while stdout takes nothing the source waits, and nothing is lost', async () => {
    const many = Array.from({ length: 400 }, (_, b) => Array.from({ length: 50 }, (_, k) => requestAt(b * 50 + k, ALL, b)).flat());
    const stdout = new Collector();
    stdout.blocked = true;
    const source = new ScriptedSource(many, false, null, { openAtMs: -Infinity });
    const running = (await Pipeline.open(source, { output: { format: 'timeline' }, stdout })).run();
    for (let waitedMs = 0; source.waited === 0 && waitedMs < 20_000; waitedMs += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    // Held at the gate, not read to the end into memory, and reading no further while held.
    expect(source.waited).toBe(1);
    const held = source.handedOver;
    expect(held).toBeLessThan(many.flat().length);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(source.handedOver).toBe(held);
    stdout.release();
    const run = await running;
    expect(run.summary.paths).toBe(20_000);
    expect(run.summary.complete).toBe(20_000);
  });

  it('stops at -c N, asks the source to read no more, and says why', async () => {
    const stdout = new Collector();
    const source = new ScriptedSource(batches, false, null, { openAtMs: -Infinity });
    const run = await (await Pipeline.open(source, { output: { format: 'json' }, stdout, count: 3 })).run();
    expect(run.stopReason).toBe('count');
    expect(lines(stdout.text)).toHaveLength(3);
    expect(source.abandoned).toBe(true);
  });

  it('a source that fails: the error is thrown once the pcapng holds every packet read before it', async () => {
    const pcapng = join(dir, 'failed.pcapng');
    const error = new VethcapError('BAD_CAPTURE', 'damaged');
    const source = new ScriptedSource(batches, false, null, { openAtMs: -Infinity }, { batches: 5, error });
    const pipeline = await Pipeline.open(source, { output: { format: 'none', pcapng }, stdout: new Collector() });
    await expect(pipeline.run()).rejects.toBe(error);
    let packets = 0;
    for await (const batch of readCaptureFile(pcapng)) packets += batch.filter((e) => e.kind === 'packet').length;
    expect(packets).toBe(batches.slice(0, 5).flat().length);
  });

  it('a live source: the stop moment closes the window, and the signal is the reason', async () => {
    const stdout = new Collector();
    const controller = new AbortController();
    // Far in the future: began after any stop moment of this run.
    const late = requestAt(0).map((r) => ({ ...r, tsSec: r.tsSec + 1e9 }));
    const source = new ScriptedSource([late], true, { gapAt: () => null, knows: () => true }, { openAtMs: -Infinity });
    const pipeline = await Pipeline.open(source, { output: { format: 'json' }, stdout, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    const run = await pipeline.run();
    expect(['signal', 'points-ended']).toContain(run.stopReason);
    expect(run.afterStop).toBe(1);
    expect(pipeline.window.stopAtMs).toBeLessThanOrEqual(Date.now());
  });
});
