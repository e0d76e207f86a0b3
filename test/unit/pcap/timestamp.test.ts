import { describe, expect, it } from 'vitest';
import { classicToTs, nsToUnits64, tsResolution, unitsToTs } from '../../../src/pcap/timestamp.js';

/** A deterministic pseudo-random 32-bit sequence. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('timestamp arithmetic', () => {
  it('converts 64-bit unit counts exactly at every resolution (against bigint)', () => {
    const next = rng(42);
    const out = { tsSec: 0, tsNsec: 0 };
    let exactSeconds = 0;
    for (const raw of [0, 1, 3, 6, 9, 10, 12, 0x80, 0x81, 0x8a, 0x94, 0x9e, 0x9f, 0xa0, 0xa1, 0xbf]) {
      const res = tsResolution(raw);
      const per = raw & 0x80 ? 1n << BigInt(raw & 0x7f) : 10n ** BigInt(raw);
      for (let i = 0; i < 2000; i++) {
        const hi = i < 3 ? [0, 0xffffffff, 0x18788cd6][i]! : next();
        const lo = i === 1 ? 0xffffffff : next();
        unitsToTs(hi, lo, res, out);
        const v = (BigInt(hi) << 32n) | BigInt(lo);
        const sec = v / per;
        const ns = ((v % per) * 1_000_000_000n) / per;
        // Seconds beyond 2^53 have no exact number; the others must be exact (and are most).
        if (sec <= BigInt(Number.MAX_SAFE_INTEGER)) {
          expect(out.tsSec).toBe(Number(sec));
          exactSeconds++;
        }
        expect(out.tsNsec).toBe(Number(ns));
      }
    }
    expect(exactSeconds).toBeGreaterThan(16 * 1000);
  });

  it('encodes seconds and nanoseconds as a 64-bit count of ns exactly', () => {
    const next = rng(7);
    const out = { hi: 0, lo: 0 };
    for (let i = 0; i < 5000; i++) {
      const sec = i === 0 ? 2 ** 34 - 1 : (next() * 4) % 2 ** 34;
      const ns = next() % 1_000_000_000;
      nsToUnits64(sec, ns, out);
      const want = BigInt(sec) * 1_000_000_000n + BigInt(ns);
      expect((BigInt(out.hi) << 32n) | BigInt(out.lo)).toBe(want);
      expect(out.lo).toBeLessThan(2 ** 32);
    }
  });

  it('normalises classic pcap fractions past one second', () => {
    const out = { tsSec: 0, tsNsec: 0 };
    classicToTs(5, 3_000_001, 1e6, out);
    expect(out).toEqual({ tsSec: 8, tsNsec: 1000 });
    classicToTs(5, 999_999_999, 1e9, out);
    expect(out).toEqual({ tsSec: 5, tsNsec: 999_999_999 });
  });
});

describe('OutBuffer.utf8', () => {
  it('encodes like TextEncoder, including astral characters and lone surrogates', async () => {
    const { OutBuffer } = await import('../../../src/pcap/out-buffer.js');
    const enc = new TextEncoder();
    for (const s of ['', 'ascii', 'µs → ✓', '𝄞 music 😀', 'lone \ud800 high', 'lone \udc00 low', 'end \ud83d', '\u07ff\u0800\uffff']) {
      const b = new OutBuffer(64);
      b.ensure(s.length * 3);
      const n = b.utf8(0, s);
      b.pos = n;
      expect(Array.from(b.take())).toEqual(Array.from(enc.encode(s)));
    }
  });
});

describe('OutBuffer.recycle', () => {
  it('reuses a chunk given back once written, and never one still being filled or of another size', async () => {
    const { OutBuffer } = await import('../../../src/pcap/out-buffer.js');
    const b = new OutBuffer(64);
    b.ensure(8);
    b.u32(0, 0x11223344);
    b.pos = 4;
    const first = b.take();
    b.recycle(first);
    b.ensure(8);
    b.u32(0, 0x55667788);
    b.pos = 4;
    const second = b.take();
    // The same memory, now holding the new bytes.
    expect(second.buffer).toBe(first.buffer);
    expect(Array.from(second)).toEqual([0x88, 0x77, 0x66, 0x55]);
    // Bytes a writer skips (padding) read as zeros, as in a new buffer.
    b.recycle(second);
    b.ensure(8);
    b.u8(0, 1);
    b.pos = 4;
    expect(Array.from(b.take())).toEqual([1, 0, 0, 0]);
    // A chunk of a grown buffer is not kept.
    b.ensure(200);
    b.pos = 200;
    const big = b.take();
    b.recycle(big);
    b.ensure(8);
    b.pos = 1;
    expect(b.take().buffer).not.toBe(big.buffer);
  });
});
