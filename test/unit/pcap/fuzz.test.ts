/**
 * Damaged input: random byte mutations of small files. Whatever the damage, the parser
 * either reads or throws one VethcapError('BAD_CAPTURE'), quickly, and gives the same
 * events however the input is cut into chunks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VethcapError } from '../../../src/errors.js';
import type { CaptureEvent } from '../../../src/pcap/events.js';
import { CaptureParser } from '../../../src/pcap/parser.js';
import { mixedPcap, mixedPcapng } from './build.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function run(bytes: Uint8Array, cuts: number[]): { events: string[]; error: string | undefined } {
  const p = new CaptureParser();
  const events: CaptureEvent[] = [];
  let o = 0;
  try {
    for (const c of [...cuts, bytes.length]) {
      if (c <= o) continue;
      events.push(...p.push(bytes.slice(o, c)));
      o = c;
    }
    events.push(...p.end());
  } catch (e) {
    if (!(e instanceof VethcapError) || e.code !== 'BAD_CAPTURE') throw e;
    return { events: events.map(describe1), error: e.message };
  }
  return { events: events.map(describe1), error: undefined };
}

function describe1(e: CaptureEvent): string {
  return e.kind === 'packet'
    ? `p${e.interfaceId}:${e.tsSec}.${e.tsNsec}:${e.origLen}:${Array.from(e.data).join(',')}:${e.comment}:${e.packetId}:${e.flags}`
    : JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

import { CORPUS } from '../../helpers/corpus.js';

const corpusFiles = [
  `${CORPUS}/pcapng-test-generator/le__difficult__test202.pcapng`,
  `${CORPUS}/pcapng-test-generator/be__advanced__test102.pcapng`,
  `${CORPUS}/tcpdump/time_2107.pcapng`,
];
const samples: [string, Uint8Array][] = [['mixed pcapng', mixedPcapng()], ['mixed pcap', mixedPcap()]];
for (const f of corpusFiles) {
  try {
    samples.push([f.split('/').pop()!, new Uint8Array(readFileSync(f))]);
  } catch {
    // The corpus is optional here; corpus.test.ts insists on it in CI.
  }
}

describe('mutated input', () => {
  it.each(samples)('%s: 1500 mutations read or fail with BAD_CAPTURE, the same for any chunking', (_name, original) => {
    const rand = rng(original.length);
    const start = Date.now();
    for (let iter = 0; iter < 1500; iter++) {
      const b = original.slice();
      const flips = 1 + Math.floor(rand() * 4);
      for (let k = 0; k < flips; k++) {
        const at = Math.floor(rand() * b.length);
        b[at] = rand() < 0.3 ? 0 : rand() < 0.5 ? 0xff : Math.floor(rand() * 256);
      }
      const whole = run(b, []);
      const cuts = Array.from({ length: 3 }, () => Math.floor(rand() * b.length)).sort((x, y) => x - y);
      const chunked = run(b, cuts);
      expect(chunked).toEqual(whole);
    }
    expect(Date.now() - start).toBeLessThan(20_000);
  });
});
