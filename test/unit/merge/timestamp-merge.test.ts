import { describe, expect, it } from 'vitest';
import { TimestampMerge } from '../../../src/merge/index.js';
import type { CaptureRecord } from '../../../src/model/record.js';
import { isVethcapError } from '../../../src/errors.js';
import { nsOf, rec } from '../../helpers/records.js';

function collect(m: TimestampMerge, now?: { tsSec: number; tsNsec: number }): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  m.release((r) => out.push([r.point, nsOf(r)]), now);
  return out;
}

function flushAll(m: TimestampMerge): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  m.flush((r) => out.push([r.point, nsOf(r)]));
  return out;
}

describe('TimestampMerge', () => {
  it('holds records until every live stream has passed them', () => {
    const m = new TimestampMerge(2);
    m.pushBatch(0, [rec(0, 10), rec(0, 20), rec(0, 30)]);
    expect(collect(m)).toEqual([]); // stream 1 has shown nothing yet
    m.push(1, rec(1, 15));
    expect(collect(m)).toEqual([[0, 10]]);
    m.push(1, rec(1, 40));
    expect(collect(m)).toEqual([[1, 15], [0, 20]]); // stream 0 may still send another record at 30
    expect(m.stats.buffered).toBe(2);
    m.end(0);
    m.end(1);
    expect(collect(m)).toEqual([[0, 30], [1, 40]]);
    expect(m.stats).toMatchObject({ buffered: 0, released: 5, late: 0 });
  });

  it('merges in timestamp order when streams arrive out of order', () => {
    const m = new TimestampMerge(3);
    m.pushBatch(2, [rec(2, 5), rec(2, 25), rec(2, 45)]);
    m.pushBatch(1, [rec(1, 1), rec(1, 30)]);
    m.pushBatch(0, [rec(0, 3), rec(0, 20), rec(0, 50)]);
    [0, 1, 2].forEach((s) => m.end(s));
    expect(collect(m).map(([, t]) => t)).toEqual([1, 3, 5, 20, 25, 30, 45, 50]);
  });

  it('releases equal timestamps in stream-index order whatever the arrival order', () => {
    const m = new TimestampMerge(3);
    m.push(2, rec(2, 100));
    m.push(0, rec(0, 100));
    m.push(1, rec(1, 100));
    expect(collect(m)).toEqual([]); // strictly earlier than the watermark only
    m.push(1, rec(1, 101));
    m.push(0, rec(0, 101));
    m.push(2, rec(2, 101));
    expect(collect(m)).toEqual([[0, 100], [1, 100], [2, 100]]);
  });

  it('gives the same output however the input is batched', () => {
    const streams: CaptureRecord[][] = [[], [], []];
    let seed = 7;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let s = 0; s < 3; s++) {
      let t = 0;
      for (let i = 0; i < 300; i++) {
        t += Math.floor(rand() * 3); // many ties
        streams[s]!.push(rec(s, t));
      }
    }
    const run = (batch: number): Array<[number, number]> => {
      const m = new TimestampMerge(3);
      const out: Array<[number, number]> = [];
      const pos = [0, 0, 0];
      while (pos.some((p, s) => p < streams[s]!.length)) {
        for (let s = 0; s < 3; s++) {
          const take = streams[s]!.slice(pos[s], pos[s]! + 1 + Math.floor(rand() * batch));
          pos[s]! += take.length;
          m.pushBatch(s, take);
        }
        m.release((r) => out.push([r.point, nsOf(r)]));
      }
      [0, 1, 2].forEach((s) => m.end(s));
      m.release((r) => out.push([r.point, nsOf(r)]));
      return out;
    };
    const a = run(1);
    const b = run(50);
    expect(a).toHaveLength(900);
    expect(b).toEqual(a);
    for (let i = 1; i < a.length; i++) {
      const [ps, pt] = a[i - 1]!;
      const [s, t] = a[i]!;
      expect(pt < t || (pt === t && ps <= s)).toBe(true);
    }
  });

  it('releases runs of one stream in the order of timestamp, then stream index, never at or past the watermark', () => {
    // Long runs of one stream (3 streams, one much denser), ties at the run's bounds and
    // at the watermark, heartbeats that land exactly on buffered timestamps.
    let seed = 11;
    const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const streams: CaptureRecord[][] = [[], [], []];
    const steps = [1, 5, 9];
    for (let s = 0; s < 3; s++) {
      let t = 0;
      for (let i = 0; i < (s === 0 ? 600 : 120); i++) {
        t += Math.floor(rand() * steps[s]!);
        streams[s]!.push(rec(s, t));
      }
    }
    const reference = streams.flatMap((rs, s) => rs.map((r, i) => ({ s, i, t: nsOf(r) })))
      .sort((a, b) => a.t - b.t || a.s - b.s || a.i - b.i)
      .map(({ s, t }) => [s, t] as [number, number]);
    const m = new TimestampMerge(3);
    const out: Array<[number, number]> = [];
    const pos = [0, 0, 0];
    while (pos.some((p, s) => p < streams[s]!.length)) {
      for (let s = 0; s < 3; s++) {
        const take = streams[s]!.slice(pos[s], pos[s]! + Math.floor(rand() * 40));
        pos[s]! += take.length;
        m.pushBatch(s, take);
        const last = take[take.length - 1];
        if (last !== undefined && rand() < 0.5) m.advance(s, last);
        if (pos[s] === streams[s]!.length) m.end(s);
      }
      const w = m.watermark();
      const before = out.length;
      m.release((r) => out.push([r.point, nsOf(r)]));
      for (const [, t] of out.slice(before)) expect(w.tsSec === Infinity || t < nsOf(w)).toBe(true);
    }
    m.flush((r) => out.push([r.point, nsOf(r)]));
    expect(out).toEqual(reference);
  });

  it('stops waiting for a silent stream after the idle bound', () => {
    const m = new TimestampMerge(2, { idleNs: 1_000_000 });
    m.pushBatch(0, [rec(0, 1_000), rec(0, 2_000_000)]);
    expect(collect(m, rec(0, 500_000))).toEqual([]); // now - idle < first record
    expect(collect(m, rec(0, 1_500_000))).toEqual([[0, 1_000]]);
    // Silent since 2 ms: by 5 ms, anything stream 0 still delivers is at least 4 ms.
    expect(collect(m, rec(0, 5_000_000))).toEqual([[0, 2_000_000]]);
    m.push(1, rec(1, 9_000_000));
    expect(collect(m, rec(0, 9_500_000))).toEqual([]);
    expect(collect(m, rec(0, 10_500_000))).toEqual([[1, 9_000_000]]);
  });

  it('moves the watermark on a heartbeat and when a stream ends', () => {
    const m = new TimestampMerge(2);
    m.push(0, rec(0, 10));
    m.advance(1, rec(1, 11));
    expect(collect(m)).toEqual([]); // stream 0 itself is only at 10
    m.advance(0, rec(0, 12));
    expect(collect(m)).toEqual([[0, 10]]);
    m.push(0, rec(0, 20));
    m.end(1);
    expect(nsOf(m.watermark())).toBe(20);
    m.end(0);
    expect(m.allEnded).toBe(true);
    expect(m.watermark().tsSec).toBe(Infinity);
    expect(flushAll(m)).toEqual([[0, 20]]);
  });

  it('sorts a stream that is itself slightly out of order, and counts late records', () => {
    const m = new TimestampMerge(1);
    m.pushBatch(0, [rec(0, 10), rec(0, 30), rec(0, 20)]);
    expect(collect(m)).toEqual([[0, 10], [0, 20]]);
    m.push(0, rec(0, 5)); // older than what was released
    expect(m.stats.late).toBe(1);
    expect(flushAll(m)).toEqual([[0, 5], [0, 30]]);
  });

  it('keeps memory bounded by the window, not the capture length', () => {
    const m = new TimestampMerge(2);
    let out = 0;
    for (let i = 0; i < 100_000; i++) {
      m.push(0, rec(0, i * 10));
      m.push(1, rec(1, i * 10 + 5));
      if (i % 100 === 0) out += m.release(() => undefined);
    }
    [0, 1].forEach((s) => m.end(s));
    out += m.flush(() => undefined);
    expect(out).toBe(200_000);
    expect(m.stats.maxBuffered).toBeLessThanOrEqual(202);
  });

  it('rejects a bad stream index with a VethcapError', () => {
    const m = new TimestampMerge(2);
    let caught: unknown;
    try {
      m.push(2, rec(2, 1));
    } catch (e) {
      caught = e;
    }
    expect(isVethcapError(caught) && caught.code === 'USAGE').toBe(true);
    m.end(0);
    expect(() => m.push(0, rec(0, 1))).toThrow(/ended/);
  });
});
