/**
 * Five host points of the design's topology, each a fake tcpdump (test/fake-tcpdump)
 * replaying its own capture of the same pings in block mode: what the unprivileged tests
 * of trace() run on (stop paths, save and replay).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlannedPoint } from '../../src/plan/plan.js';
import { concat, pcapHeader, pcapRecord } from '../unit/pcap/build.js';
import { icmpFrame } from './frames.js';
import { IP, MAC, fivePoints } from './topology.js';
import { useFakeTcpdump } from './fake-tcpdump.js';

/** The five points (box:eth0, host:vethA, host:docker0, host:vethB, web:eth0) as host interfaces sp0..sp4. */
export const FAKE_POINTS: PlannedPoint[] = fivePoints().points.map((p, i) => ({ ...p, ifname: `sp${i}` }));
/** Offsets (µs) of a request's copies at the five points, and of its reply's. */
const REQUEST_US = [0, 4, 4, 20, 22];
const REPLY_US = [122, 120, 101, 101, 100];
export const FAKE_PINGS = 400;
const GAP_MS = 10;

/**
 * One capture per point in `dir`: FAKE_PINGS pings box → web, one every GAP_MS, each request
 * and reply at every point. Each file starts with the same frame at offset 0 (the fake
 * stamps each file from its first packet: so all five keep their offsets to each other).
 */
export function writeFakeCaptures(dir: string): void {
  const start = icmpFrame({ srcMac: '02:00:00:00:00:99', dstMac: '02:00:00:00:00:98', src: '198.18.9.1', dst: '198.18.9.2', ipId: 1, id: 1, seq: 0 });
  FAKE_POINTS.forEach((p, i) => {
    const records: Uint8Array[] = [pcapRecord(true, 1_700_000_000, 0, start)];
    for (let k = 0; k < FAKE_PINGS; k++) {
      const base = k * GAP_MS * 1000 + 1000;
      const req = icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 100 + k, id: 7, seq: k });
      const rep = icmpFrame({ srcMac: MAC.web, dstMac: MAC.box, src: IP.web, dst: IP.box, ipId: 5000 + k, id: 7, seq: k, reply: true });
      records.push(pcapRecord(true, 1_700_000_000, base + REQUEST_US[i]!, req), pcapRecord(true, 1_700_000_000, base + REPLY_US[i]!, rep));
    }
    writeFileSync(join(dir, `${p.ifname}.pcap`), concat(pcapHeader(true, false, 1), ...records));
  });
}

/**
 * The fakes, first on PATH, replaying the captures in `dir`. Blocks of a different size at
 * each point, as real rings fill differently: a SIGINT then loses different packets at
 * each point. Returns the function that puts the environment back.
 */
export function useFakeSession(dir: string, vars: Record<string, string> = {}): () => void {
  return useFakeTcpdump({
    FAKE_TCPDUMP_DIR: dir,
    FAKE_TCPDUMP_EPOCH_MS: String(Date.now() + 300),
    FAKE_TCPDUMP_BLOCK_PACKETS: 'sp0:64;sp1:41;sp2:50;sp3:33;sp4:57',
    ...vars,
  });
}
