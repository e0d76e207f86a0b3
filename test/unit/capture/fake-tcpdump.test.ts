/**
 * The fake tcpdump (test/fake-tcpdump/tcpdump), checked with vethcap's own parsers: what
 * vethcap reads of a real tcpdump (its "listening on", its pcap, its statistics at exit
 * and on SIGUSR1, its failures) it must read of the fake alike. Unprivileged: no root,
 * no namespaces; the fake replays small pcap files built here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tcpdumpArgs, type TcpdumpOptions } from '../../../src/capture/tcpdump.js';
import { failureReason, isListening, parseStats, StderrLog } from '../../../src/capture/tcpdump-output.js';
import type { PacketEvent } from '../../../src/pcap/events.js';
import { CaptureParser } from '../../../src/pcap/parser.js';
import { concat, payload, pcapHeader, pcapRecord } from '../pcap/build.js';
import { tempDir } from '../pcap/tools.js';
import { FAKE_TCPDUMP } from '../../helpers/fake-tcpdump.js';

const tmp = tempDir('vethcap-fake-tcpdump-');
afterAll(() => tmp.remove());

/** A µs pcap of `count` 60-byte frames `gapMs` apart, as DIR/IFNAME.pcap; returns the frames. */
function writeCapture(ifname: string, count: number, gapMs: number): Uint8Array[] {
  const frames = Array.from({ length: count }, (_, i) => payload(60, i));
  const records = frames.map((f, i) => pcapRecord(true, 1_700_000_000, i * gapMs * 1000, f));
  writeFileSync(join(tmp.dir, `${ifname}.pcap`), concat(pcapHeader(true, false, 1), ...records));
  return frames;
}

interface Fake {
  child: ChildProcess;
  stdout: Buffer[];
  stderr: string;
  log: StderrLog;
  code: Promise<number | null>;
  /** Packets in what the fake wrote so far (the pcap parsed from the start). */
  packets(): PacketEvent[];
  until(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
}

function startFake(options: Partial<TcpdumpOptions> & { ifname: string }, env: Record<string, string> = {}, args?: string[]): Fake {
  // -U unless a test asks for stdio blocks: what the kernel's blocks do, seen at once.
  const child = spawn(FAKE_TCPDUMP, args ?? tcpdumpArgs({ label: options.ifname, blockWrites: false, ...options }), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FAKE_TCPDUMP_DIR: tmp.dir, ...env },
  });
  const fake: Fake = {
    child,
    stdout: [],
    stderr: '',
    log: new StderrLog(),
    code: new Promise((resolve) => child.once('close', (code) => resolve(code))),
    packets() {
      const parser = new CaptureParser();
      return parser.push(Buffer.concat(fake.stdout)).filter((e): e is PacketEvent => e.kind === 'packet');
    },
    async until(what, predicate, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`fake tcpdump: no ${what} within ${timeoutMs} ms; stderr: ${fake.stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
  child.stdout!.on('data', (c: Buffer) => fake.stdout.push(c));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => {
    fake.stderr += c;
    fake.log.push(c);
  });
  return fake;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const epochMs = (p: PacketEvent) => p.tsSec * 1000 + p.tsNsec / 1e6;

describe('the fake tcpdump', () => {
  it('says it is listening, writes a nanosecond pcap of the file stamped with the wall clock, and prints its statistics on SIGINT', async () => {
    const frames = writeCapture('imm0', 3, 10);
    const fake = startFake({ ifname: 'imm0', immediate: true, filter: 'icmp or arp', bufferSizeKiB: 4096, snaplen: 262144 });
    await fake.until('"listening on"', () => isListening(fake.stderr));
    const listenedAt = Date.now();
    expect(fake.stderr).toBe('tcpdump: listening on imm0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n');
    await fake.until('3 packets', () => fake.packets().length === 3);
    fake.child.kill('SIGINT');
    expect(await fake.code).toBe(0);

    const all = Buffer.concat(fake.stdout);
    expect(all.readUInt32LE(0)).toBe(0xa1b23c4d);
    const packets = fake.packets();
    expect(packets.map((p) => Buffer.from(p.data))).toEqual(frames.map((f) => Buffer.from(f)));
    expect(packets.every((p) => p.linkType === 1 && p.origLen === 60)).toBe(true);
    // Stamped with the moment each arrived: the first at listening, the others 10 ms apart, to the ns.
    expect(Math.abs(epochMs(packets[0]!) - listenedAt)).toBeLessThan(500);
    expect(packets.map((p) => (p.tsSec - packets[0]!.tsSec) * 1e9 + p.tsNsec - packets[0]!.tsNsec)).toEqual([0, 10_000_000, 20_000_000]);
    expect(parseStats(fake.stderr)).toEqual({ captured: 3, received: 3, droppedByKernel: 0, droppedByInterface: null });
  });

  it('in block mode hands packets over about 1 s after their block opened; immediate mode at once', async () => {
    writeCapture('blk0', 3, 10);
    const block = startFake({ ifname: 'blk0' });
    const immediate = startFake({ ifname: 'blk0', immediate: true });
    await block.until('"listening on"', () => isListening(block.stderr));
    const listenedAt = Date.now();
    await immediate.until('packets in immediate mode', () => immediate.packets().length === 3, 500);
    expect(block.packets()).toHaveLength(0);
    await block.until('a block', () => block.packets().length > 0, 2000);
    const late = Date.now() - listenedAt;
    expect(late).toBeGreaterThan(800);
    expect(late).toBeLessThan(1600);
    expect(block.packets()).toHaveLength(3); // one block, all at once
    block.child.kill('SIGTERM');
    immediate.child.kill('SIGTERM');
    expect(await block.code).toBe(0);
    expect(await immediate.code).toBe(0);
    expect(parseStats(block.stderr)).toMatchObject({ captured: 3, received: 3, droppedByKernel: 0 });
  });

  it('without -U holds its output in a 4 KiB stdio buffer: written when full, on SIGUSR2 and at exit', async () => {
    writeCapture('sto0', 60, 0);
    const args = tcpdumpArgs({ label: 'sto0', ifname: 'sto0', blockWrites: true });
    expect(args).not.toContain('-U');
    const fake = startFake({ ifname: 'sto0' }, { FAKE_TCPDUMP_BLOCK_PACKETS: '20' }, args);
    await fake.until('"listening on"', () => isListening(fake.stderr));
    // The file header and 60 packets of 60 bytes (76 with their headers), all at once in
    // blocks of 20: 4,584 bytes, of which one buffer (4,096) is written and 488 wait.
    await fake.until('the first 4 KiB', () => Buffer.concat(fake.stdout).length > 0);
    expect(Buffer.concat(fake.stdout).length).toBe(4096);
    fake.child.kill('SIGUSR2');
    await fake.until('the rest, on SIGUSR2', () => fake.packets().length === 60);
    expect(Buffer.concat(fake.stdout).length).toBe(24 + 60 * 76);
    fake.child.kill('SIGINT');
    expect(await fake.code).toBe(0);
  });

  it('loses the unretired block on SIGINT, and counts it received but not captured', async () => {
    writeCapture('lost0', 6, 5);
    const fake = startFake({ ifname: 'lost0' }, { FAKE_TCPDUMP_BLOCK_PACKETS: '4' });
    await fake.until('the first (full) block', () => fake.packets().length === 4);
    await sleep(100); // the last 2 have arrived, in a block that is not retired yet
    fake.child.kill('SIGINT');
    expect(await fake.code).toBe(0);
    expect(fake.packets()).toHaveLength(4);
    const stats = parseStats(fake.stderr)!;
    expect(stats).toEqual({ captured: 4, received: 6, droppedByKernel: 0, droppedByInterface: null });
    expect(stats.received - stats.captured - stats.droppedByKernel).toBe(2); // the lost block
  });

  it('answers SIGUSR1 with a line StderrLog.live reads, and goes on', async () => {
    writeCapture('usr0', 6, 5);
    const fake = startFake({ ifname: 'usr0' }, { FAKE_TCPDUMP_BLOCK_PACKETS: '4' });
    await fake.until('the first block', () => fake.packets().length === 4);
    await sleep(100);
    fake.child.kill('SIGUSR1');
    await fake.until('an answer to SIGUSR1', () => fake.log.live !== null);
    expect(fake.log.live).toEqual({ captured: 4, received: 6, droppedByKernel: 0, droppedByInterface: null });
    expect(parseStats(fake.stderr)).toBeNull(); // not the final statistics
    expect(fake.child.exitCode).toBeNull();
    fake.child.kill('SIGINT');
    expect(await fake.code).toBe(0);
    expect(parseStats(fake.stderr)).toMatchObject({ captured: 4, received: 6 });
  });

  it('drops the packets FAKE_TCPDUMP_DROP names: not written, counted as dropped by the kernel', async () => {
    const frames = writeCapture('drop0', 6, 2);
    const fake = startFake({ ifname: 'drop0', immediate: true }, { FAKE_TCPDUMP_DROP: 'other:0;drop0:1-2,4' });
    await fake.until('the packets kept', () => fake.packets().length === 3);
    await sleep(50);
    fake.child.kill('SIGINT');
    expect(await fake.code).toBe(0);
    expect(fake.packets().map((p) => Buffer.from(p.data))).toEqual([0, 3, 5].map((i) => Buffer.from(frames[i]!)));
    expect(parseStats(fake.stderr)).toEqual({ captured: 3, received: 6, droppedByKernel: 3, droppedByInterface: null });
  });

  it('fails before listening as FAKE_TCPDUMP_FAIL says, with the reason failureReason reads', async () => {
    const fake = startFake({ ifname: 'eth9' }, { FAKE_TCPDUMP_FAIL: 'eth9:eth9: No such device exists' });
    expect(await fake.code).toBe(1);
    expect(isListening(fake.stderr)).toBe(false);
    expect(failureReason(fake.stderr)).toBe('eth9: No such device exists');
  });

  it('rejects an option tcpdump does not know, as tcpdump does', async () => {
    const fake = startFake({ ifname: 'x0' }, {}, ['-i', 'x0', '-w', '-', '--bogus']);
    expect(await fake.code).toBe(1);
    expect(failureReason(fake.stderr)).toBe("unrecognized option '--bogus'");
  });

  it('waits FAKE_TCPDUMP_ARM_MS before listening, and stamps alike what fakes given one FAKE_TCPDUMP_EPOCH_MS capture', async () => {
    writeCapture('ep0', 2, 20);
    writeCapture('ep1', 2, 20);
    const epoch = String(Date.now() + 300);
    const env = { FAKE_TCPDUMP_EPOCH_MS: epoch, FAKE_TCPDUMP_ARM_MS: 'ep1:1500' };
    const a = startFake({ ifname: 'ep0', immediate: true }, env);
    const b = startFake({ ifname: 'ep1', immediate: true }, env);
    await a.until('"listening on"', () => isListening(a.stderr));
    expect(isListening(b.stderr)).toBe(false);
    await b.until('"listening on"', () => isListening(b.stderr));
    await a.until('packets', () => a.packets().length === 2);
    await b.until('packets', () => b.packets().length === 2);
    a.child.kill('SIGINT');
    b.child.kill('SIGINT');
    await Promise.all([a.code, b.code]);
    const stamps = (f: Fake) => f.packets().map((p) => [p.tsSec, p.tsNsec]);
    expect(stamps(a)).toEqual(stamps(b));
    expect(epochMs(a.packets()[0]!)).toBeCloseTo(Number(epoch), 3);
  });
});
