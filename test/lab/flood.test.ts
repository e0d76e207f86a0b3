import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { runCli } from '../helpers/cli.js';
import { parseNdjson } from '../helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vethcap-flood-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * An ARP broadcast on a bridge with three namespaces: the bridge floods it to both other
 * ports, so its path is a tree (a → its port, then one branch towards b, one towards c),
 * and no hop latency may join the two branches.
 */
describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'tshark']))('a flooded ARP broadcast on a lab', () => {
  const lab = useLab({ hosts: ['a', 'b', 'c'] });
  const targets = () => ['a', 'b', 'c'].map((n) => `${n}=netns:${lab().host(n).netns}`);
  const L = () => {
    const l = lab();
    return { a: 'a:eth0', b: 'b:eth0', c: 'c:eth0', ha: `host:${l.host('a').hostIf}`, hb: `host:${l.host('b').hostIf}`, hc: `host:${l.host('c').hostIf}`, br: `host:${l.bridge}` };
  };
  /** A's neighbour table emptied, so its ping to b starts with an ARP broadcast. */
  const traceArp = async (extra: string[]) => {
    await lab().exec('a', 'ip', ['neigh', 'flush', 'all']);
    return runCli(['trace', ...targets(), '--filter', 'arp', '--utc', '--no-color', ...extra, '--', 'ping', '-c', '1', '-W', '1', lab().host('b').ip]);
  };

  it('shows the request as a trunk and two branches in NDJSON, the summary and the pcapng comments', async () => {
    const file = join(dir, 'flood.pcapng');
    const r = await traceArp(['--json', '-w', file]);
    expect(r.exitCode, r.stderr).toBe(0);
    const l = L();
    const { paths, summary } = parseNdjson(r.stdout);
    const request = paths.find((p) => p.summary.startsWith(`ARP who-has ${lab().host('b').ip} tell ${lab().host('a').ip}`));
    expect(request, r.stdout).toBeDefined();
    const req = request!;
    expect(req.complete).toBe(true);
    expect(req.branches.map((b) => b.port).sort()).toEqual([l.hb, l.hc].sort());
    expect(req.branches.find((b) => b.port === l.hb)).toEqual({ port: l.hb, points: [l.hb, l.b], lost: null });
    expect(req.branches.find((b) => b.port === l.hc)).toEqual({ port: l.hc, points: [l.hc, l.c], lost: null });
    const hop = (point: string) => req.hops.find((h) => h.point === point)!;
    expect([l.a, l.ha, l.br].map((p) => hop(p).branch)).toEqual([null, null, null]);
    expect([l.hb, l.b, l.hc, l.c].map((p) => hop(p).branch)).toEqual([l.hb, l.hb, l.hc, l.hc]);
    // Each branch's first hop runs from the ingress port, its second from its port.
    const ns = (h: { ts: string }) => BigInt(h.ts.replace('.', ''));
    expect(BigInt(hop(l.hb).deltaNs!)).toBe(ns(hop(l.hb)) - ns(hop(l.ha)));
    expect(BigInt(hop(l.hc).deltaNs!)).toBe(ns(hop(l.hc)) - ns(hop(l.ha)));
    expect(BigInt(hop(l.b).deltaNs!)).toBe(ns(hop(l.b)) - ns(hop(l.hb)));
    expect(BigInt(hop(l.c).deltaNs!)).toBe(ns(hop(l.c)) - ns(hop(l.hc)));

    // The summary: only real hop pairs (the request's tree, the unicast reply's line).
    const real = new Set([
      `${l.a}→${l.ha}`, `${l.ha}→${l.hb}`, `${l.hb}→${l.b}`, `${l.ha}→${l.hc}`, `${l.hc}→${l.c}`,
      `${l.b}→${l.hb}`, `${l.hb}→${l.ha}`, `${l.ha}→${l.a}`,
    ]);
    const pairs = summary.hops.map((h) => `${h.from}→${h.to}`);
    expect(pairs.filter((p) => !real.has(p))).toEqual([]);
    for (const p of [`${l.ha}→${l.hb}`, `${l.hb}→${l.b}`, `${l.ha}→${l.hc}`, `${l.hc}→${l.c}`]) expect(pairs).toContain(p);

    // The pcapng: each branch copy's comment names its branch and the hop it is measured from.
    const { stdout } = await execa('tshark', ['-r', file, '-Y', `frame.packet_id == ${req.id}`, '-T', 'fields', '-E', 'separator=\t', '-e', 'frame.interface_name', '-e', 'frame.comment']);
    const comments = new Map(stdout.split('\n').filter(Boolean).map((row) => row.split('\t') as [string, string]));
    const parts = (point: string) => {
      const m = /^vethcap #(\d+) hop \d+\/\d+ (\S+) \S+ \+[^,]*? from (\S+), branch (\S+)$/.exec(comments.get(point) ?? '');
      return m === null ? null : { id: Number(m[1]), point: m[2], from: m[3], branch: m[4] };
    };
    expect(parts(l.hb)).toEqual({ id: req.id, point: l.hb, from: l.ha, branch: l.hb });
    expect(parts(l.b)).toEqual({ id: req.id, point: l.b, from: l.hb, branch: l.hb });
    expect(parts(l.hc)).toEqual({ id: req.id, point: l.hc, from: l.ha, branch: l.hc });
    expect(parts(l.c)).toEqual({ id: req.id, point: l.c, from: l.hc, branch: l.hc });
    expect(comments.get(l.ha)).toMatch(new RegExp(`^vethcap #${req.id} hop 2/\\d+ ${l.ha} in `));
    expect(comments.get(l.ha)).not.toContain('branch');
  });

  it('draws the two branches in the timeline', async () => {
    const r = await traceArp([]);
    expect(r.exitCode, r.stderr).toBe(0);
    const l = L();
    const lines = r.stdout.split('\n');
    const start = lines.findIndex((x) => x.includes(`ARP who-has ${lab().host('b').ip}`));
    expect(start, r.stdout).toBeGreaterThanOrEqual(0);
    const end = lines.findIndex((x, i) => i > start && x.startsWith('#'));
    const block = lines.slice(start + 1, end < 0 ? undefined : end);
    const row = (label: string) => block.findIndex((x) => x.includes(` ${label} `) || x.endsWith(` ${label}`));
    // Trunk rows first, undecorated; then each branch opens with a glyph at its port.
    for (const p of [l.a, l.ha]) expect(block[row(p)]).toMatch(/^ {4}[ 0-9]/);
    const ports = [l.hb, l.hc].sort((x, y) => row(x) - row(y));
    expect(block[row(ports[0]!)]).toMatch(/^ {4}├─/);
    expect(block[row(ports[1]!)]).toMatch(/^ {4}└─/);
    // Each namespace end sits right under its own port, delivered.
    for (const [port, end] of [[l.hb, l.b], [l.hc, l.c]] as const) {
      expect(row(end)).toBe(row(port) + 1);
      expect(block[row(end)]).toMatch(/delivered$/);
    }
    // The summary's hop table: no pair across the branches, the ones along them there.
    for (const cross of [`${l.c} → ${l.hb} `, `${l.b} → ${l.hc} `, `${l.hb} → ${l.hc} `, `${l.hc} → ${l.hb} `]) expect(r.stdout).not.toContain(cross);
    for (const along of [`${l.ha} → ${l.hb} `, `${l.ha} → ${l.hc} `, `${l.hc} → ${l.c} `]) expect(r.stdout).toContain(along);
  });
});
