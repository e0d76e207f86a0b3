import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../../helpers/cli.js';
import { concat, ether, ipv4 } from '../../helpers/frames.js';
import { pcapHeader, pcapRecord } from '../pcap/build.js';

const dir = mkdtempSync(join(tmpdir(), 'vethcap-reader-gone-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const N = 20_000;

/** Two points that saw the same N UDP datagrams, the second 5 µs later: a timeline of megabytes. */
function writeInputs(): [string, string] {
  const files: [string, string] = [join(dir, 'a.pcap'), join(dir, 'b.pcap')];
  files.forEach((file, k) => {
    const parts: Uint8Array[] = [pcapHeader(true, true, 1)];
    for (let i = 0; i < N; i++) {
      const udp = Uint8Array.of(4, 0, 0, 53, 0, 12, 0, 0, i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255);
      const frame = ether({ src: '02:42:c6:12:00:02', dst: '02:42:c6:12:00:03', type: 0x0800 }, ipv4({ src: '198.18.0.2', dst: '198.18.0.3', proto: 17, id: i & 0xffff }, udp));
      parts.push(pcapRecord(true, 1_764_000_000 + Math.floor(i / 1000), (i % 1000) * 1_000_000 + k * 5000, frame));
    }
    writeFileSync(file, concat(...parts));
  });
  return files;
}

/** Runs `vethcap merge ARGS | head -c 1`: reads the first chunk of stdout, then closes the pipe. */
async function mergeIntoClosedPipe(args: string[]) {
  const child = execa(process.execPath, [BIN, 'merge', ...args], { reject: false, buffer: { stdout: false } });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  child.stdout!.destroy();
  return child;
}

describe('merge when the reader of stdout goes away (| head)', () => {
  const [a, b] = writeInputs();

  it('stops quietly with exit 141', async () => {
    const r = await mergeIntoClosedPipe([a, b]);
    expect(r.exitCode, String(r.stderr)).toBe(141);
    expect(r.stderr).toBe('');
  });

  it('still writes the whole pcapng when one was asked for', async () => {
    const out = join(dir, 'out.pcapng');
    const r = await mergeIntoClosedPipe([a, b, '-w', out]);
    expect(r.exitCode, String(r.stderr)).toBe(141);
    expect(r.stderr).toBe(`vethcap: wrote ${2 * N} packets to ${out}.`);
    const { stdout } = await execa('capinfos', ['-M', '-c', out]);
    expect(stdout).toMatch(new RegExp(`Number of packets:\\s+${2 * N}\\b`));
  });
});
