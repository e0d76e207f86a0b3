import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { runCli } from '../helpers/cli.js';
import { parseNdjson } from '../helpers/paths.js';
import { run } from '../../src/exec/run.js';
import { TcpdumpProcess } from '../../src/capture/tcpdump.js';

const dir = mkdtempSync(join(tmpdir(), 'vethcap-latency-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function netemAvailable(dev: string): Promise<boolean> {
  const r = await execa('tc', ['qdisc', 'add', 'dev', dev, 'root', 'netem', 'delay', '5ms'], { reject: false });
  if (r.exitCode === 0) await execa('tc', ['qdisc', 'del', 'dev', dev, 'root']);
  return r.exitCode === 0;
}

/** ICMP echo request seq → kernel timestamp (ns since the epoch as bigint), read by tshark. */
async function requestTimes(file: string): Promise<Map<number, bigint>> {
  const { stdout } = await execa('tshark', ['-r', file, '-Y', 'icmp.type == 8', '-T', 'fields', '-e', 'icmp.seq', '-e', 'frame.time_epoch']);
  const out = new Map<number, bigint>();
  for (const line of stdout.split('\n').filter(Boolean)) {
    const [seq, epoch] = line.split('\t') as [string, string];
    const [s, f = ''] = epoch.split('.');
    out.set(Number(seq), BigInt(s!) * 1_000_000_000n + BigInt(f.padEnd(9, '0').slice(0, 9)));
  }
  return out;
}

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'tshark', 'tc']))('hop latency on a lab', () => {
  const lab = useLab({ hosts: ['box', 'web'] });

  it('reports a delayed hop at the delay, and the other hops unchanged', async () => {
    const l = lab();
    const box = l.host('box');
    const web = l.host('web');
    const h0 = `host:${box.hostIf}`;
    const h1 = `host:${web.hostIf}`;
    const netem = await netemAvailable(web.hostIf);
    // The delay sits on the egress of web's bridge port: between host:h0 (in) and host:h1 (out).
    // With netem: 5 ms. Kernels built without netem (CONFIG_NET_SCH_NETEM unset, like the
    // machines this project's CI runs on) get a token bucket instead, which queues 1400-byte
    // pings sent faster than its rate: a delay of milliseconds that grows packet by packet;
    // then the ground truth is what two separate bare tcpdumps at h0 and h1 saw.
    const shaping = netem ? ['netem', 'delay', '5ms'] : ['tbf', 'rate', '2mbit', 'burst', '1600', 'latency', '400ms'];
    await run('tc', ['qdisc', 'add', 'dev', web.hostIf, 'root', ...shaping]);
    const bare = [new TcpdumpProcess({ label: h0, ifname: box.hostIf, filter: 'icmp' }), new TcpdumpProcess({ label: h1, ifname: web.hostIf, filter: 'icmp' })];
    const files = [join(dir, 'h0.pcap'), join(dir, 'h1.pcap')];
    const chunks: Buffer[][] = [[], []];
    bare.forEach((p, i) => p.stdout!.on('data', (c: Buffer) => chunks[i]!.push(c)));
    try {
      await Promise.all(bare.map((p) => p.armed));
      const ping = netem ? ['ping', '-c', '20', '-i', '0.05', web.ip] : ['ping', '-c', '20', '-i', '0.002', '-s', '1400', web.ip];
      const r = await runCli(['trace', `box=netns:${box.netns}`, `web=netns:${web.netns}`, '--filter', 'icmp', '--json', '--', ...ping]);
      expect(r.exitCode, r.stderr).toBe(0);
      await new Promise((res) => setTimeout(res, 1200));
      await Promise.all(bare.map((p) => p.stop()));
      const { paths, summary } = parseNdjson(r.stdout);
      const requests = paths.filter((p) => p.summary.startsWith('ICMP echo request'));
      expect(requests).toHaveLength(20);
      expect(requests.every((p) => p.complete)).toBe(true);
      const hop = (_what: string, from: string, to: string) => summary.hops.find((h) => h.from === from && h.to === to)!;
      const delayed = hop('delayed', h0, h1);
      if (netem) {
        expect(Math.abs(delayed.p50Ns - 5e6)).toBeLessThan(0.5e6);
      } else {
        for (const [i, f] of files.entries()) writeFileSync(f, Buffer.concat(chunks[i]!));
        const [t0, t1] = await Promise.all(files.map(requestTimes));
        let checked = 0;
        for (const p of requests) {
          const seq = Number(/seq=(\d+)/.exec(p.summary)![1]);
          const truth = Number(t1!.get(seq)! - t0!.get(seq)!);
          const reported = p.hops.find((h) => h.point === h1)!.deltaNs!;
          expect(Math.abs(reported - truth), `seq ${seq}`).toBeLessThanOrEqual(1);
          checked++;
        }
        expect(checked).toBe(20);
        expect(delayed.maxNs).toBeGreaterThan(2e6); // the queue really built up to milliseconds
      }
      // The hops without the qdisc stay in microseconds.
      for (const [from, to] of [['box:eth0', h0], [h1, 'web:eth0'], ['web:eth0', h1], [h1, h0], [h0, 'box:eth0']] as const) {
        expect(hop('other', from, to).p50Ns, `${from} → ${to}`).toBeLessThan(0.5e6);
      }
    } finally {
      await Promise.all(bare.map((p) => p.stop()));
      await run('tc', ['qdisc', 'del', 'dev', web.hostIf, 'root']).catch(() => undefined);
    }
  });
});

