/**
 * `trace --save DIR` then `merge DIR`: the replay gives every path line the live trace gave,
 * byte for byte, and the same summary, whatever stopped the trace and whatever its points
 * dropped. Unprivileged: the points are fake tcpdumps (test/helpers/fake-session.ts).
 */
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { trace, type TraceOptions, type TraceResult } from '../../../src/trace/trace.js';
import { mergeFiles, type MergeResult } from '../../../src/offline/merge-files.js';
import { parseSessionManifest } from '../../../src/sources/session-manifest.js';
import { tempDir } from '../pcap/tools.js';
import { FAKE_POINTS, useFakeSession, writeFakeCaptures } from '../../helpers/fake-session.js';

const tmp = tempDir('vethcap-save-replay-');
afterAll(() => tmp.remove());
writeFakeCaptures(tmp.dir);
let restoreEnv: (() => void) | undefined;
afterEach(() => {
  restoreEnv?.();
  restoreEnv = undefined;
});

class Collect extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString('utf8');
    done();
  }
}

const pathLines = (text: string): string[] => text.split('\n').filter((l) => l.startsWith('{"id":'));

let sessions = 0;
async function traceAndReplay(options: Partial<TraceOptions> & { stopAfterMs?: number }, fakeVars: Record<string, string> = {}): Promise<{ live: TraceResult; liveLines: string[]; replay: MergeResult; replayLines: string[]; dir: string }> {
  restoreEnv = useFakeSession(tmp.dir, fakeVars);
  const dir = join(tmp.dir, `session-${++sessions}`);
  const stop = new AbortController();
  const liveOut = new Collect();
  const live = await trace({
    targets: [],
    points: FAKE_POINTS,
    output: { format: 'json' },
    stdout: liveOut,
    save: dir,
    signal: stop.signal,
    onArmed: () => {
      if (options.stopAfterMs !== undefined) setTimeout(() => stop.abort(), options.stopAfterMs);
    },
    ...options,
  });
  const replayOut = new Collect();
  const replay = await mergeFiles([{ path: dir }], { format: 'json', stdout: replayOut });
  return { live, liveLines: pathLines(liveOut.text), replay, replayLines: pathLines(replayOut.text), dir };
}

/** The summary keys trace --json and merge --json of the saved session share. */
function expectSameSummary(live: TraceResult, replay: MergeResult): void {
  const { order: _order, capture, stopReason, outsideWindow, ...replayed } = replay.summary;
  expect(replayed).toEqual(live.summary);
  expect(stopReason).toBe(live.stopReason);
  expect(outsideWindow).toBe(live.outsideWindow);
  expect(capture).toEqual(live.points.map((p, i) => ({ point: p.label, captured: live.stats[i]?.captured ?? null, droppedByKernel: live.stats[i]?.droppedByKernel ?? null })));
}

describe('trace --save, then merge DIR', () => {
  it('a stop by Ctrl-C: the same path lines and summary, the window and stop reason saved', async () => {
    const { live, liveLines, replay, replayLines, dir } = await traceAndReplay({ stopAfterMs: 1500 });
    expect(live.stopReason).toBe('signal');
    expect(liveLines.length).toBeGreaterThan(50);
    expect(replayLines).toEqual(liveLines);
    expectSameSummary(live, replay);
    // Some paths began after the stop, and some before every point was armed: the replay knew.
    expect(replay.summary.afterStop).toBe(live.afterStop);
    const manifest = parseSessionManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'), dir);
    expect(manifest.vethcap).toBe(2);
    if (manifest.vethcap !== 2) return;
    expect(manifest.window.stopReason).toBe('signal');
    expect(manifest.window.stopAtMs).toBeGreaterThan(manifest.window.armedAtMs);
    expect(manifest.points.map((p) => p.label)).toEqual(FAKE_POINTS.map((p) => p.label));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, manifest.points[0]!.file)).mode & 0o777).toBe(0o600);
  }, 20_000);

  it('-c N: the replay stops at the same N paths (the count is saved)', async () => {
    const { live, liveLines, replay, replayLines } = await traceAndReplay({ count: 7 });
    expect(live.stopReason).toBe('count');
    expect(liveLines).toHaveLength(7);
    expect(replayLines).toEqual(liveLines);
    expectSameSummary(live, replay);
  }, 20_000);

  it('kernel drops at a point: the replay calls the same copies not captured, with the drops saved over time', async () => {
    // The dropped copies are pings 300-319, about 3 s into the captures: late enough that every
    // point is armed by then even on a loaded machine (a copy before that is no path's),
    // and the trace (5 s from armed) still running when they come.
    const { live, liveLines, replay, replayLines } = await traceAndReplay({ durationS: 5 }, { FAKE_TCPDUMP_DROP: 'sp4:600-639' });
    expect(live.stats[4]?.droppedByKernel).toBe(40);
    expect(live.summary.notCaptured).toBeGreaterThan(0);
    expect(replayLines).toEqual(liveLines);
    expectSameSummary(live, replay);
  }, 20_000);

  it('a point that ends early: the paths after its end are not captured there in the replay too, not lost', async () => {
    const { live, liveLines, replay, replayLines } = await traceAndReplay({ durationS: 2 }, { FAKE_TCPDUMP_GONE: 'sp4:800' });
    expect(live.endedEarly.map((e) => e.label)).toEqual(['web:eth0']);
    expect(replay.summary.lost).toBe(0);
    expect(replayLines).toEqual(liveLines);
    expectSameSummary(live, replay);
  }, 20_000);

  it('a replay judged without the saved knowledge would differ: the drops case with a version 1 manifest calls losses', async () => {
    // The guard for the test above: the same captures and topology, without the window and the drops over time.
    const { live, dir } = await traceAndReplay({ durationS: 5 }, { FAKE_TCPDUMP_DROP: 'sp4:600-639' });
    const manifest = parseSessionManifest(readFileSync(join(dir, 'manifest.json'), 'utf8'), dir);
    const v1 = join(tmp.dir, `v1-${sessions}`);
    mkdirSync(v1);
    for (const p of manifest.points) copyFileSync(join(dir, p.file), join(v1, p.file));
    const points = manifest.points.map(({ coverage: _c, ...p }: (typeof manifest.points)[number] & { coverage?: unknown }) => p);
    writeFileSync(join(v1, 'manifest.json'), JSON.stringify({ vethcap: 1, points }));
    const plain = await mergeFiles([{ path: v1 }], { format: 'none', stdout: new Collect() });
    expect(live.summary.lost).toBe(0);
    expect(plain.summary.lost).toBeGreaterThan(0);
  }, 20_000);
});
