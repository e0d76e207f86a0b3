/**
 * CaptureSession and TcpdumpProcess against the fake tcpdump (test/fake-tcpdump), first on
 * PATH: host points only (no netns, so no nsenter), no root. What flows through the spool
 * files, what stop() returns, and how a failing or vanishing point is reported.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { CaptureSession, type PointCapture } from '../../../src/capture/capture-session.js';
import { TcpdumpProcess, tcpdumpArgs, type TcpdumpOptions } from '../../../src/capture/tcpdump.js';
import type { CaptureStats } from '../../../src/capture/tcpdump-output.js';
import type { PacketEvent } from '../../../src/pcap/events.js';
import { CaptureParser } from '../../../src/pcap/parser.js';
import { VethcapError } from '../../../src/errors.js';
import { concat, payload, pcapHeader, pcapRecord } from '../pcap/build.js';
import { tempDir } from '../pcap/tools.js';
import { useFakeTcpdump } from '../../helpers/fake-tcpdump.js';

const tmp = tempDir('vethcap-session-fake-');
afterAll(() => tmp.remove());
let restoreEnv: (() => void) | undefined;
afterEach(() => {
  restoreEnv?.();
  restoreEnv = undefined;
});

function fake(vars: Record<string, string> = {}): void {
  restoreEnv = useFakeTcpdump({ FAKE_TCPDUMP_DIR: tmp.dir, ...vars });
}

function writeCapture(ifname: string, count: number, gapMs: number): Buffer[] {
  const frames = Array.from({ length: count }, (_, i) => payload(60 + i, i));
  writeFileSync(join(tmp.dir, `${ifname}.pcap`), concat(pcapHeader(true, false, 1), ...frames.map((f, i) => pcapRecord(true, 1_700_000_000, i * gapMs * 1000, f))));
  return frames.map((f) => Buffer.from(f));
}

/** A sink that keeps each point's bytes and says when each stream ended. */
class Sink implements PointCapture {
  readonly bytes: Buffer[][] = [];
  readonly ended: Array<{ error: unknown } | undefined> = [];
  onData(point: number, chunk: Buffer): void {
    (this.bytes[point] ??= []).push(Buffer.from(chunk));
  }
  onEnd(point: number, error?: unknown): void {
    this.ended[point] = { error };
  }
  packets(point: number): PacketEvent[] {
    return new CaptureParser().push(Buffer.concat(this.bytes[point] ?? [])).filter((e): e is PacketEvent => e.kind === 'packet');
  }
}

/** Waits for `predicate`, giving `session`'s quiet points their flush each 10 ms, as LiveSource's tick does. */
async function until(what: string, predicate: () => boolean, timeoutMs = 3000, session?: CaptureSession): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((session?.flushQuiet(), !predicate())) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const stats = (captured: number, received: number, droppedByKernel = 0): CaptureStats => ({ captured, received, droppedByKernel, droppedByInterface: null });

describe('CaptureSession with the fake tcpdump', () => {
  it('arms every point, reads each capture back through its spool, and stop() returns each tcpdump statistics', async () => {
    const a = writeCapture('fa0', 3, 10);
    const b = writeCapture('fb0', 4, 10);
    fake({ FAKE_TCPDUMP_DROP: 'fb0:2' });
    const sink = new Sink();
    const points: TcpdumpOptions[] = [
      { label: 'host:fa0', ifname: 'fa0', immediate: true },
      { label: 'host:fb0', ifname: 'fb0', filter: 'not arp' },
    ];
    const session = new CaptureSession(points, sink);
    await session.start();
    expect(session.pids()).toHaveLength(2);
    await until('point 0 packets (immediate)', () => sink.packets(0).length === 3, 1000);
    // Point 1 writes in stdio blocks: its block reaches the spool only through flushQuiet().
    await until('point 1 packets (one block, ~1 s late)', () => sink.packets(1).length === 3, 2500, session);
    const result = await session.stop();
    expect(result.stats).toEqual([stats(3, 3), stats(3, 4, 1)]);
    expect(sink.ended).toEqual([{ error: undefined }, { error: undefined }]);
    expect(sink.packets(0).map((p) => Buffer.from(p.data))).toEqual(a);
    expect(sink.packets(1).map((p) => Buffer.from(p.data))).toEqual([b[0], b[1], b[3]]);
  });

  it('stopped at once, loses a block-mode point open block: received, not captured', async () => {
    writeCapture('fc0', 3, 1);
    fake();
    const sink = new Sink();
    const session = new CaptureSession([{ label: 'host:fc0', ifname: 'fc0' }], sink);
    await session.start();
    await new Promise((r) => setTimeout(r, 100));
    const result = await session.stop();
    expect(result.stats).toEqual([stats(0, 3)]);
    expect(sink.packets(0)).toHaveLength(0);
  });

  it('answers requestStats through liveStats and onLiveStats', async () => {
    writeCapture('fd0', 5, 1);
    fake({ FAKE_TCPDUMP_BLOCK_PACKETS: '2' });
    const sink = new Sink();
    const session = new CaptureSession([{ label: 'host:fd0', ifname: 'fd0' }], sink);
    await session.start();
    const live: CaptureStats[] = [];
    session.processes[0]!.onLiveStats = (s) => live.push(s);
    await until('two blocks', () => sink.packets(0).length === 4, 3000, session);
    await new Promise((r) => setTimeout(r, 50));
    session.requestStats();
    await until('an answer', () => live.length === 1);
    expect(live[0]).toEqual(stats(4, 5));
    expect(session.processes[0]!.liveStats).toEqual(stats(4, 5));
    expect((await session.stop()).stats).toEqual([stats(4, 5)]);
  });

  it('a point that fails to start: start() rejects with its reason and the other points are stopped', async () => {
    writeCapture('fe0', 2, 1);
    fake({ FAKE_TCPDUMP_FAIL: 'fe9:fe9: No such device exists', FAKE_TCPDUMP_ARM_MS: 'fe0:100' });
    const sink = new Sink();
    const session = new CaptureSession([{ label: 'host:fe0', ifname: 'fe0' }, { label: 'host:fe9', ifname: 'fe9' }], sink);
    const error = await session.start().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(VethcapError);
    expect(error).toMatchObject({ code: 'CAPTURE_FAILED', message: 'capture point host:fe9 failed to start: fe9: No such device exists.' });
    expect(await Promise.all(session.processes.map((p) => p.exited))).toHaveLength(2);
    expect(sink.ended).toHaveLength(2);
  });

  it('a point whose interface goes away ends alone: its stream ends with its statistics, the others go on', async () => {
    writeCapture('ff0', 2, 1);
    writeCapture('ff1', 2, 1);
    fake({ FAKE_TCPDUMP_GONE: 'ff1:150' });
    const sink = new Sink();
    const session = new CaptureSession([{ label: 'host:ff0', ifname: 'ff0', immediate: true }, { label: 'host:ff1', ifname: 'ff1', immediate: true }], sink);
    await session.start();
    await expect(session.processes[1]!.exited).resolves.toEqual(stats(2, 2));
    await until('the end of point 1 stream', () => sink.ended[1] !== undefined);
    expect(sink.ended[0]).toBeUndefined();
    expect(session.processes[1]!.log).toContain('tcpdump: pcap_loop: The interface disappeared');
    expect((await session.stop()).stats).toEqual([stats(2, 2), stats(2, 2)]);
  });
});

describe('TcpdumpProcess with the fake tcpdump', () => {
  it('runs "tcpdump" from PATH with the argv tcpdumpArgs() makes', async () => {
    const log = join(tmp.dir, 'argv.log');
    fake({ FAKE_TCPDUMP_ARGV_LOG: log });
    const options: TcpdumpOptions = { label: 'host:fg0', ifname: 'fg0', filter: 'icmp', bufferSizeKiB: 8192, snaplen: 128, immediate: true };
    const p = new TcpdumpProcess(options);
    await p.armed;
    expect(p.log).toBe('tcpdump: listening on fg0, link-type EN10MB (Ethernet), snapshot length 128 bytes\n');
    expect(await p.stop()).toEqual(stats(0, 0));
    expect(readFileSync(log, 'utf8')).toBe(`${JSON.stringify(tcpdumpArgs(options))}\n`);
  });
});
