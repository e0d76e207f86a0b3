import { copyFile, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { parseNdjson } from '../../helpers/paths.js';

/**
 * The recorded five-point icmp session (box pings web three times across the bridge)
 * merged as plain files, without its manifest: no topology, so the order of points is
 * learned from the captures. The bridge device's copy carries the ingress port's kernel
 * timestamp (h0's for a request, h1's for a reply), and the labels come in an order
 * that puts the bridge first.
 */
const SESSION = 'fixtures/sessions/icmp';
const FILES: Record<string, string> = {
  'host:br': 'host_vff1f1f1br.pcap',
  'web:eth0': 'web_eth0.pcap',
  'host:h1': 'host_vff1f1f1h1.pcap',
  'box:eth0': 'box_eth0.pcap',
  'host:h0': 'host_vff1f1f1h0.pcap',
  // Points of the lab that saw no ICMP: files with no packets.
  'gw:eth0': 'gw_eth0.pcap',
  'host:g0': 'host_vff1f1f1g0.pcap',
};
const REQUEST = ['box:eth0', 'host:h0', 'host:br', 'host:h1', 'web:eth0'];
const REPLY = ['web:eth0', 'host:h1', 'host:br', 'host:h0', 'box:eth0'];

let dir = '';
const labelArgs = (names: readonly string[]): string[] => names.flatMap((name) => ['--label', `${name}=${join(dir, FILES[name]!)}`]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vethcap-order-'));
  for (const f of await readdir(SESSION)) if (f.endsWith('.pcap')) await copyFile(join(SESSION, f), join(dir, f));
});

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

describe('merge of plain files without a topology: the order of points is learned', () => {
  it('the five-point icmp session, labels only and the bridge listed first: every request and reply in path order', async () => {
    const r = await runCli(['merge', ...labelArgs(Object.keys(FILES)), '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(paths).toHaveLength(6);
    const requests = paths.filter((p) => p.summary.includes('echo request'));
    expect(requests).toHaveLength(3);
    for (const p of paths) expect(p.hops.map((h) => h.point)).toEqual(requests.includes(p) ? REQUEST : REPLY);
    // The ties that were ordered: the bridge shares the ingress port's timestamp.
    for (const p of paths) {
      const at = (label: string) => p.hops.find((h) => h.point === label)!;
      const ingress = requests.includes(p) ? at('host:h0') : at('host:h1');
      expect(at('host:br').ts).toBe(ingress.ts);
    }
    expect(summary.order).toEqual({ learned: true, directions: 2, unresolved: [] });
  });

  it('the same files in path order give the same paths', async () => {
    const inOrder = await runCli(['merge', ...labelArgs(['box:eth0', 'host:h0', 'host:br', 'host:h1', 'web:eth0']), '--json']);
    const scrambled = await runCli(['merge', ...labelArgs(['host:h1', 'host:br', 'box:eth0', 'web:eth0', 'host:h0']), '--json']);
    const hops = (stdout: string) => parseNdjson(stdout).paths.map((p) => p.hops.map((h) => h.point));
    expect(hops(inOrder.stdout)).toHaveLength(6);
    expect(hops(scrambled.stdout)).toEqual(hops(inOrder.stdout));
  });

  it('the bridge and one port only: their tie cannot be ordered, so it keeps the command line\'s order and says so', async () => {
    // Requests tie at h0 and br in every path; replies reach br before h0. Both points tie
    // in half their paths: nothing tells which one observes the other.
    const json = await runCli(['merge', ...labelArgs(['host:br', 'host:h0']), '--json']);
    expect(json.exitCode, json.stderr).toBe(0);
    const { paths, summary } = parseNdjson(json.stdout);
    for (const p of paths.filter((x) => x.summary.includes('echo request'))) expect(p.hops.map((h) => h.point)).toEqual(['host:br', 'host:h0']);
    expect(summary.order).toEqual({ learned: false, directions: 2, unresolved: [['host:br', 'host:h0']] });
    const text = await runCli(['merge', ...labelArgs(['host:br', 'host:h0'])]);
    expect(text.exitCode).toBe(0);
    const notes = text.stderr.split('\n').filter((l) => l.includes('host:br') && l.includes('host:h0'));
    expect(notes).toHaveLength(1);
  });

  it.each(['icmp', 'udp', 'tcp', 'arp', 'ipv6-nd', 'nat'])('%s: as plain files listed backwards, every path has the order its topology gives it', async (name) => {
    const session = `fixtures/sessions/${name}`;
    const manifest = JSON.parse(await readFile(join(session, 'manifest.json'), 'utf8')) as { points: Array<{ label: string; file: string }> };
    const copy = await mkdtemp(join(tmpdir(), `vethcap-order-${name}-`));
    try {
      for (const p of manifest.points) await copyFile(join(session, p.file), join(copy, p.file));
      const labels = [...manifest.points].reverse().flatMap((p) => ['--label', `${p.label}=${join(copy, p.file)}`]);
      const [topo, plain] = await Promise.all([runCli(['merge', session, '--json']), runCli(['merge', ...labels, '--json'])]);
      expect(plain.exitCode, plain.stderr).toBe(0);
      const order = (stdout: string) => parseNdjson(stdout).paths.map((p) => p.hops.map((h) => h.point));
      expect(order(topo.stdout).length).toBeGreaterThan(0);
      expect(order(plain.stdout)).toEqual(order(topo.stdout));
      expect(parseNdjson(plain.stdout).summary.order?.learned).toBe(true);
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });
});
