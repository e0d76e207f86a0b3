import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { runCli } from '../helpers/cli.js';
import { parseNdjson } from '../helpers/paths.js';
import { run } from '../../src/exec/run.js';
import { readAllEvents } from '../../src/sources/read-capture.js';
import type { PacketEvent } from '../../src/pcap/events.js';
import { HEADERS_SNAPLEN } from '../../src/plan/headers-only.js';

const dir = mkdtempSync(join(tmpdir(), 'vethcap-headers-only-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pcapng's packets by interface name, and the interface names in file order. */
async function packetsByPoint(file: string): Promise<Map<string, PacketEvent[]>> {
  const names = new Map<number, string>();
  const byPoint = new Map<string, PacketEvent[]>();
  for (const e of await readAllEvents(file)) {
    if (e.kind === 'interface') {
      names.set(e.interfaceId, e.name ?? String(e.interfaceId));
      byPoint.set(e.name ?? String(e.interfaceId), []);
    } else if (e.kind === 'packet') {
      byPoint.get(names.get(e.interfaceId)!)!.push(e);
    }
  }
  return byPoint;
}

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'iperf3']))('trace --headers-only', () => {
  const lab = useLab({ hosts: ['box', 'web'] });
  const targets = () => [`box=netns:${lab().host('box').netns}`, `web=netns:${lab().host('web').netns}`];

  it.each([
    [[], 'box:eth0'],
    [['--full-at', 'web:eth0'], 'web:eth0'],
  ])('%j: whole packets at %s, HEADERS_SNAPLEN bytes at the other points, every path complete', async (flags, fullPoint) => {
    const web = lab().host('web');
    const file = join(dir, `${fullPoint.replace(':', '-')}.pcapng`);
    const pidfile = join(dir, 'iperf3.pid');
    await lab().exec('web', 'iperf3', ['-s', '-1', '-D', '-B', web.ip, '-I', pidfile]);
    try {
      // A small bulk transfer at a rate no point drops at (4 MB at 200 Mbit/s, segments up to 64 KiB).
      const r = await runCli(['trace', ...targets(), '--headers-only', ...flags, '--filter', 'tcp', '-w', file, '--json', '--', 'iperf3', '-c', web.ip, '-n', '4M', '-b', '200M'], { timeoutMs: 120_000 });
      expect(r.exitCode, r.stderr.slice(-2000)).toBe(0);
      const { paths, summary } = parseNdjson(r.stdout);
      expect(summary.capture.map((c) => c.droppedByKernel)).toEqual([0, 0, 0, 0, 0]);
      expect(paths.length).toBeGreaterThan(100);
      expect(summary.complete).toBe(paths.length);
      expect(summary.lost).toBe(0);
      for (const p of paths) {
        expect(p.verdict, `path ${p.id}`).toBe('complete');
        expect(p.hops.map((h) => h.point)).toHaveLength(5);
        // No rewrite found because copies differ in length: nothing but what the headers say.
        expect(p.findings, `path ${p.id}`).toEqual([]);
        expect([p.nat, p.ttl, p.macRewrites]).toEqual([[], [], []]);
      }

      const byPoint = await packetsByPoint(file);
      expect([...byPoint.keys()]).toContain(fullPoint);
      expect(byPoint.size).toBe(5);
      for (const [point, packets] of byPoint) {
        expect(packets.length, point).toBe(paths.length);
        if (point === fullPoint) {
          for (const p of packets) expect(p.data.length, `${point} #${p.packetId}`).toBe(p.origLen);
        } else {
          for (const p of packets) expect(p.data.length, `${point} #${p.packetId}`).toBe(Math.min(p.origLen, HEADERS_SNAPLEN));
        }
      }
      // The bulk segments, longer than the snap: cut at every other point, whole at the full one.
      const big = (point: string) => byPoint.get(point)!.filter((p) => p.origLen > HEADERS_SNAPLEN);
      expect(big(fullPoint).length).toBeGreaterThan(50);
      for (const [point] of byPoint) {
        if (point === fullPoint) continue;
        expect(big(point).length, point).toBe(big(fullPoint).length);
        for (const p of big(point)) {
          expect(p.data.length).toBe(HEADERS_SNAPLEN);
          expect(p.origLen).toBeGreaterThan(p.data.length);
        }
      }
      // Each cut copy carries the packet id of the whole copy of its path.
      const wholeIds = new Set(big(fullPoint).map((p) => p.packetId));
      for (const [point] of byPoint) for (const p of big(point)) expect(wholeIds.has(p.packetId), `${point} #${p.packetId}`).toBe(true);
    } finally {
      await run('sh', ['-c', `test -s ${pidfile} && kill $(cat ${pidfile}) 2>/dev/null; rm -f ${pidfile}; true`]);
    }
  }, 150_000);

  it('refuses a --full-at that names no point, listing the points (exit 2, nothing captured)', async () => {
    const r = await runCli(['trace', ...targets(), '--full-at', 'host:nope', '-c', '1']);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--full-at host:nope: no such capture point; the points are box:eth0, host:\S+, host:\S+, host:\S+, web:eth0\./);
  }, 60_000);
});
