/** The I/O edge: files, pipes and in-memory streams as batches of events. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { VethcapError } from '../../../src/errors.js';
import type { CaptureEvent } from '../../../src/pcap/events.js';
import { readCaptureFile, readCaptureStream } from '../../../src/sources/read-capture.js';
import { concat, mixedPcapng, payload, pcapHeader, pcapRecord } from './build.js';
import { tempDir } from './tools.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

async function collect(it: AsyncIterable<CaptureEvent[]>): Promise<{ batches: number; events: CaptureEvent[]; error: unknown }> {
  const events: CaptureEvent[] = [];
  let batches = 0;
  try {
    for await (const b of it) {
      expect(b.length).toBeGreaterThan(0);
      batches++;
      events.push(...b);
    }
    return { batches, events, error: undefined };
  } catch (error) {
    return { batches, events, error };
  }
}

function bigPcap(n: number): Uint8Array {
  const recs: Uint8Array[] = [pcapHeader(true, true, 1)];
  for (let i = 0; i < n; i++) recs.push(pcapRecord(true, 1000 + i, i, payload(60, i)));
  return concat(...recs);
}

describe('readCaptureFile / readCaptureStream', () => {
  it('reads a file larger than one read in several batches', async () => {
    const file = bigPcap(40_000); // ~3 MiB: several 1 MiB reads, records spanning them
    const path = tmp.file('big.pcap');
    writeFileSync(path, file);
    const r = await collect(readCaptureFile(path));
    expect(r.error).toBeUndefined();
    expect(r.batches).toBeGreaterThan(2);
    const pk = r.events.filter((e) => e.kind === 'packet');
    expect(pk).toHaveLength(40_000);
    expect(pk.every((p, i) => p.kind === 'packet' && p.tsSec === 1000 + i && p.tsNsec === i && p.data[0] === (i & 0xff))).toBe(true);
  });

  it('reads a pipe (a child process stdout), as from stdin', async () => {
    const path = tmp.file('mixed.pcapng');
    writeFileSync(path, mixedPcapng());
    const child = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const r = await collect(readCaptureStream(child.stdout, 'cat'));
    expect(r.error).toBeUndefined();
    expect(r.events.filter((e) => e.kind === 'packet')).toHaveLength(4);
  });

  it('yields the complete records, then throws BAD_CAPTURE, for a truncated stream', async () => {
    const file = bigPcap(3);
    const r = await collect(readCaptureStream(Readable.from([file.slice(0, 50), file.slice(50, file.length - 1)])));
    expect(r.events.filter((e) => e.kind === 'packet')).toHaveLength(2);
    expect(r.error).toBeInstanceOf(VethcapError);
    expect((r.error as VethcapError).message).toBe(`truncated pcap record at byte ${24 + 2 * 76}: header says 76 bytes, 75 remain`);
  });

  it('stops at garbage without reading the rest', async () => {
    let pulled = 0;
    async function* source(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled++;
        yield new TextEncoder().encode('GET / HTTP/1.1\r\n');
      }
    }
    const r = await collect(readCaptureStream(source()));
    expect((r.error as VethcapError).message).toBe('not a pcap or pcapng file: starts with 47 45 54 20');
    expect(pulled).toBe(1);
  });

  it('turns file-system errors into IO errors, and refuses text-mode streams', async () => {
    const r = await collect(readCaptureFile(tmp.file('missing.pcap')));
    expect((r.error as VethcapError).code).toBe('IO');
    expect((r.error as VethcapError).message).toMatch(/no such file/);
    const t = await collect(readCaptureStream(Readable.from(['text'])));
    expect((t.error as VethcapError).code).toBe('USAGE');
  });

  it('lets the consumer stop early and closes the file', async () => {
    const path = tmp.file('big2.pcap');
    writeFileSync(path, bigPcap(30_000));
    let n = 0;
    for await (const batch of readCaptureFile(path)) {
      n += batch.length;
      break;
    }
    expect(n).toBeGreaterThan(0);
  });
});
