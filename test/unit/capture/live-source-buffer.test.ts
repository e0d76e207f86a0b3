import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_BUFFER_KIB, LiveSource } from '../../../src/capture/live-source.js';
import type { SourceEvents } from '../../../src/pipeline/source.js';
import type { PlannedPoint } from '../../../src/plan/plan.js';
import { FULL_POINT_BUFFER_KIB } from '../../../src/plan/headers-only.js';
import { pcapHeader } from '../pcap/build.js';
import { tempDir } from '../pcap/tools.js';
import { useFakeTcpdump } from '../../helpers/fake-tcpdump.js';

// --headers-only gives its full point a bigger kernel buffer (PlannedPoint.bufferSizeKiB);
// the tcpdump of that point, and only that one, must get it as -B, and a -B the user gave wins.

const tmp = tempDir('vethcap-live-buffer-');
afterAll(() => tmp.remove());
let restoreEnv: (() => void) | undefined;
afterEach(() => {
  restoreEnv?.();
  restoreEnv = undefined;
});

const events: SourceEvents = { packet: () => undefined, advance: () => undefined, handed: () => undefined, ended: () => undefined, error: () => undefined };

function point(ifname: string, bufferSizeKiB?: number): PlannedPoint {
  return { label: `host:${ifname}`, description: ifname, role: 'host-veth', ifname, ...(bufferSizeKiB !== undefined ? { bufferSizeKiB } : {}) };
}

/** The -B each point's tcpdump was started with, in point order. */
async function buffersOf(points: PlannedPoint[], bufferSizeKiB?: number): Promise<string[]> {
  const log = join(tmp.dir, `argv-${points[0]!.ifname}.log`);
  for (const p of points) writeFileSync(join(tmp.dir, `${p.ifname}.pcap`), pcapHeader(true, false, 1));
  restoreEnv = useFakeTcpdump({ FAKE_TCPDUMP_DIR: tmp.dir, FAKE_TCPDUMP_ARGV_LOG: log });
  const source = new LiveSource(points, { ...(bufferSizeKiB !== undefined ? { bufferSizeKiB } : {}), yieldCpu: false });
  await source.start(events);
  await source.stop();
  const runs = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  return points.map((p) => {
    const argv = runs.find((a) => a[a.indexOf('-i') + 1] === p.ifname)!;
    return argv[argv.indexOf('-B') + 1]!;
  });
}

describe('LiveSource: a kernel buffer per point', () => {
  it("gives the point the plan's buffer and the others the default", async () => {
    expect(await buffersOf([point('lb0', FULL_POINT_BUFFER_KIB), point('lb1'), point('lb2')])).toEqual([String(FULL_POINT_BUFFER_KIB), String(DEFAULT_BUFFER_KIB), String(DEFAULT_BUFFER_KIB)]);
  });

  it('lets a -B given by the user set every point', async () => {
    expect(await buffersOf([point('lc0', FULL_POINT_BUFFER_KIB), point('lc1')], 2048)).toEqual(['2048', '2048']);
  });
});
