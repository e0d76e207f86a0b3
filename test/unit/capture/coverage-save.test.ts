/**
 * A saved session's coverage answers as the live trace's did: TraceCoverage.save() →
 * JSON → TraceCoverage.restore() gives the same gapAt for every query, over generated
 * histories of tcpdump questions and answers, final counts (known or not), cuts and
 * clock steps.
 */
import { describe, expect, it } from 'vitest';
import { DropTimeline } from '../../../src/capture/drop-timeline.js';
import { TraceCoverage } from '../../../src/capture/coverage.js';
import type { SavedCoverage } from '../../../src/model/manifest.js';
import { mulberry32, type Rand } from '../../helpers/random.js';

const T0 = 1_764_333_971_000;
/** The kinds of answer the generated queries met, so a generator that stopped making some is noticed. */
const seen = new Set<string>();

/** Through JSON, as a manifest carries it. */
function viaJson(saved: SavedCoverage[]): SavedCoverage[] {
  return JSON.parse(JSON.stringify(saved)) as SavedCoverage[];
}

/**
 * Plays a random life of one point's tcpdump: questions (SIGUSR1) every ~250 ms, answers
 * with a cumulative count that mostly grows (sometimes goes down: another tcpdump's
 * answer), answers nobody asked for, a clock that now and then steps back; and returns
 * the moments it used, so queries can hit the boundaries exactly.
 */
function play(rand: Rand, t: DropTimeline, end: 'known' | 'unknown' | 'none'): number[] {
  const moments: number[] = [];
  let now = T0 + rand() * 1000;
  let total = 0;
  const steps = Math.floor(rand() * 12);
  for (let s = 0; s < steps; s++) {
    now += rand() < 0.1 ? -rand() * 300 : rand() * 300;
    // Fractional ms, as performance-based clocks give.
    if (rand() < 0.5) now = Math.round(now);
    const r = rand();
    if (r < 0.45) {
      t.asked(now);
    } else {
      if (rand() < 0.6) total += Math.floor(rand() * 5);
      else if (rand() < 0.1) total = Math.max(0, total - 3);
      t.answered(total, now);
    }
    moments.push(now);
  }
  now += rand() * 300;
  if (end === 'known') t.ended(total + Math.floor(rand() * 3), now);
  else if (end === 'unknown') t.ended(null, now);
  if (end !== 'none') moments.push(now);
  return moments;
}

/** Query moments: every moment used, a hair either side, far out, and random ones in between. */
function queryMoments(rand: Rand, moments: readonly number[]): number[] {
  const out = [-Infinity, Infinity, T0 - 1e6, T0 + 1e7];
  for (const m of moments) out.push(m, m - 0.001, m + 0.001, m - 1e-9 * Math.abs(m) * 1e-6, nextUp(m), nextDown(m));
  for (let i = 0; i < 20; i++) out.push(T0 + rand() * 5000);
  return out;
}

function nextUp(x: number): number {
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = x >= 0 ? b[0]! + 1n : b[0]! - 1n;
  return f[0]!;
}

function nextDown(x: number): number {
  return -nextUp(-x);
}

interface Case {
  original: TraceCoverage;
  moments: number[];
}

function randomCase(seed: number, ended: boolean): Case {
  const rand = mulberry32(seed);
  const points = 1 + Math.floor(rand() * 4);
  const original = new TraceCoverage(points);
  const moments: number[] = [];
  for (let p = 0; p < points; p++) {
    const r = rand();
    const end = !ended && r < 0.6 ? 'none' : rand() < 0.25 ? 'unknown' : 'known';
    moments.push(...play(rand, original.drops[p]!, end));
    if (rand() < 0.3) {
      // A cut at the last packet's stamp; -Infinity when the point ended before its first.
      const at = rand() < 0.2 ? -Infinity : T0 + rand() * 3000;
      original.cut(p, at, rand() < 0.5 ? 'point-ended' : 'not-read');
      // A second cut never moves the first.
      if (rand() < 0.3) original.cut(p, at + 10, 'not-read');
      if (Number.isFinite(at)) moments.push(at);
    }
  }
  return { original, moments };
}

function expectSameAnswers(seed: number, original: TraceCoverage, restored: TraceCoverage, moments: readonly number[]): void {
  const rand = mulberry32(seed ^ 0x5eed);
  const qs = queryMoments(rand, moments);
  for (let p = 0; p < original.drops.length; p++) {
    expect(restored.drops[p]!.total, `seed ${seed} point ${p} total`).toBe(original.drops[p]!.total);
    for (let n = 0; n < 300; n++) {
      let from = qs[Math.floor(rand() * qs.length)]!;
      let to = qs[Math.floor(rand() * qs.length)]!;
      if (from > to) [from, to] = [to, from];
      const want = original.gapAt(p, from, to);
      const got = restored.gapAt(p, from, to);
      seen.add(want === null ? 'whole' : `${want.reason}:${want.dropped === null ? 'unknown' : 'counted'}`);
      // expect() only on a difference: 300 queries a point over 1,000 traces.
      if (got?.reason !== want?.reason || got?.dropped !== want?.dropped) expect(got, `seed ${seed} point ${p} gapAt(${from}, ${to})`).toEqual(want);
    }
  }
  for (const m of qs) expect(restored.knows(m), `seed ${seed} knows(${m})`).toBe(true);
}

describe('coverage saved and restored', () => {
  it('answers gapAt as the trace did once every tcpdump ended (500 generated traces)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const { original, moments } = randomCase(seed, true);
      for (const m of moments) expect(original.knows(m)).toBe(true);
      const restored = TraceCoverage.restore(viaJson(original.save()));
      expectSameAnswers(seed, original, restored, moments);
      // The restored timelines answer dropsBetween as the originals do, too.
      for (let p = 0; p < original.drops.length; p++) {
        for (const m of moments) expect(restored.drops[p]!.dropsBetween(m - 100, m)).toBe(original.drops[p]!.dropsBetween(m - 100, m));
      }
    }
  });

  it('answers as the trace did at its end while tcpdumps had not ended yet (a failed trace; 500 generated traces)', () => {
    for (let seed = 1001; seed <= 1500; seed++) {
      const { original, moments } = randomCase(seed, false);
      const restored = TraceCoverage.restore(viaJson(original.save()));
      expectSameAnswers(seed, original, restored, moments);
    }
  });

  it('met every kind of answer: whole, counted drops, unknown drops, both cuts', () => {
    expect([...seen].sort()).toEqual(['kernel-drops:counted', 'kernel-drops:unknown', 'not-read:unknown', 'point-ended:unknown', 'whole']);
  });

  it('saves what JSON can hold: open ends and unknown counts as null', () => {
    const c = new TraceCoverage(3);
    c.drops[0]!.answered(4, T0 + 100); // unasked: drops since the beginning
    c.drops[0]!.ended(null, T0 + 500); // killed: unknown drops to the end
    c.drops[1]!.ended(0, T0 + 500);
    c.cut(1, -Infinity, 'point-ended');
    c.drops[2]!.asked(T0 + 1);
    c.drops[2]!.answered(2, T0 + 2);
    c.drops[2]!.ended(2, T0 + 3);
    c.cut(2, T0 + 2.5, 'not-read');
    expect(c.save()).toEqual([
      { drops: [[null, T0 + 100, 4], [null, null, null]], cut: null },
      { drops: [], cut: { atMs: null, reason: 'point-ended' } },
      { drops: [[null, T0 + 2, 2]], cut: { atMs: T0 + 2.5, reason: 'not-read' } },
    ]);
  });

  it('a restored timeline is finished: it knows every moment and takes no more questions', () => {
    const t = DropTimeline.restore([[T0, T0 + 10, 3], [T0 + 10, null, null]]);
    expect(t.knows(Infinity)).toBe(true);
    expect(t.total).toBe(3);
    expect(t.dropsBetween(T0 - 5, T0 - 1)).toBe(0);
    expect(t.dropsBetween(T0 - 5, T0 + 5)).toBe(3);
    expect(t.dropsBetween(T0 + 20, T0 + 30)).toBeNull();
    expect(t.asked(T0 + 40)).toBe(false);
    t.answered(100, T0 + 41);
    expect(t.total).toBe(3);
  });

  it('leaves a live timeline as it was', () => {
    const t = new DropTimeline();
    t.asked(T0);
    t.answered(1, T0 + 5);
    const before = { total: t.total, knows: t.knows(T0), pending: t.pendingSince };
    t.toSaved();
    expect({ total: t.total, knows: t.knows(T0), pending: t.pendingSince }).toEqual(before);
    expect(t.asked(T0 + 10)).toBe(true);
  });
});
