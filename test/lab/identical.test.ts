import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { BIN } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vethcap-identical-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PACKETS = 100_000;
const RATE = 20_000;

/** True when `hops` lists some of `order`, in that order. */
function inPathOrder(hops: readonly string[], order: readonly string[]): boolean {
  let i = 0;
  for (const h of hops) {
    while (i < order.length && order[i] !== h) i++;
    if (i === order.length) return false;
    i++;
  }
  return true;
}

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'trafgen', 'iptables', 'taskset']))('byte-identical packets through a lab', () => {
  const lab = useLab({ hosts: ['box', 'web'] });

  it(`puts each of ${PACKETS.toLocaleString('en-US')} identical UDP frames, many in flight at once, into one path, in path order`, async () => {
    const l = lab();
    const box = l.host('box');
    const web = l.host('web');
    // No ICMP port-unreachable back from web (nothing listens on UDP 9), inside web's namespace only.
    await l.exec('web', 'iptables', ['-w', '-A', 'INPUT', '-p', 'udp', '--dport', '9', '-j', 'DROP']);
    // Unhindered, each frame crossed all five points here before trafgen sent the next:
    // the kernel processes a veth's receive in the sender's softirq, so nothing identical
    // was ever in flight at once (the old newest-group rule passed this test then). RPS on
    // box's host veth hands the forwarding to the other CPU, as a loaded host does:
    // trafgen sends on CPU 0 while CPU 1 forwards the frames before them (with it, the
    // old rule put 18,677 of the 100,000 paths out of order here). The frames wait
    // there charged to trafgen's socket, and at its top rate trafgen ran out of socket
    // memory within 5,000 frames ("Flushing TX_RING failed"; raising it means changing
    // global sysctls): it sends at RATE, about what CPU 1 keeps up with.
    writeFileSync(`/sys/class/net/${box.hostIf}/queues/rx-0/rps_cpus`, '2\n');
    // Every frame the same bytes: a fixed IP ID and payload, so only order tells them apart.
    const cfg = join(dir, 'same.cfg');
    writeFileSync(cfg, `{ eth(da=${web.mac}, sa=${box.mac}), ipv4(id=4242, saddr=${box.ip}, daddr=${web.ip}, ttl=64), udp(sp=40000, dp=9), fill(0x55, 18) }\n`);
    const out = join(dir, 'paths.ndjson');
    const file = join(dir, 'identical.pcapng');
    const started = Date.now();
    // --qdisc-path: without it trafgen's frames bypass the packet taps on box:eth0 (bench/trace.js).
    const r = await execa(
      process.execPath,
      [BIN, 'trace', `box=netns:${box.netns}`, `web=netns:${web.netns}`, '--filter', 'udp', '--json', '-w', file, '--',
        'taskset', '-c', '0', 'trafgen', '--dev', 'eth0', '--conf', cfg, '--num', String(PACKETS), '--cpus', '1', '--qdisc-path', '--no-sock-mem', '--notouch-irq', '--rate', `${RATE}pps`],
      // maxBuffer: execa counts what goes to the file too, and 100,000 paths of NDJSON pass its 100 MB default.
      { reject: false, timeout: 120_000, stdin: 'ignore', stdout: { file: out }, maxBuffer: 1e9 },
    );
    const seconds = (Date.now() - started) / 1000;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const { paths, summary } = parseNdjson(readFileSync(out, 'utf8'));
    const L = { box: 'box:eth0', h0: `host:${box.hostIf}`, br: `host:${l.bridge}`, h1: `host:${web.hostIf}`, web: 'web:eth0' };
    const order = [L.box, L.h0, L.h1, L.web];

    let outOfOrder = 0;
    const copies = new Map<string, number>();
    for (const p of paths) {
      if (!inPathOrder(hopLabels(p), order)) outOfOrder++;
      for (const h of p.hops) copies.set(h.point, (copies.get(h.point) ?? 0) + 1);
    }
    const captured = new Map(summary.capture.map((c) => [c.point, c.captured]));
    const queue = summary.hops.find((h) => h.from === L.h0 && h.to === L.h1);
    const sentMs = paths.length > 1 ? (Number(paths.at(-1)!.hops[0]!.ts) - Number(paths[0]!.hops[0]!.ts)) * 1000 : 0;
    console.log(
      `${PACKETS} identical frames in ${seconds.toFixed(1)} s: ${paths.length} paths, ${summary.complete} complete, ${summary.incomplete} incomplete, ${outOfOrder} out of path order; ` +
        `captured ${summary.capture.map((c) => `${c.point} ${c.captured} (dropped ${c.droppedByKernel})`).join(', ')}; ` +
        `sent in ${sentMs.toFixed(0)} ms; ${L.h0} → ${L.h1} p50 ${((queue?.p50Ns ?? 0) / 1e6).toFixed(1)} ms, max ${((queue?.maxNs ?? 0) / 1e6).toFixed(1)} ms`,
    );

    // Identical frames were in flight at once: some hop took longer than two frames' spacing.
    expect(queue?.maxNs).toBeGreaterThan((2 * 1e9) / RATE);
    expect(outOfOrder).toBe(0);
    // Every copy tcpdump captured is in exactly one path.
    for (const point of Object.values(L)) expect(copies.get(point) ?? 0, point).toBe(captured.get(point));
    expect(summary.paths).toBe(paths.length);
    // trafgen sent them all through box:eth0; nothing else matched the filter.
    expect(captured.get(L.box)).toBe(PACKETS);
    expect(paths.length).toBeGreaterThanOrEqual(PACKETS);
    expect(seconds).toBeLessThan(60);
  }, 120_000);
});
