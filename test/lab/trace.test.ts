import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { BIN, runCli, untilArmed } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';
import { expectReplayEqual } from '../helpers/replay.js';
import { run } from '../../src/exec/run.js';

const dir = mkdtempSync(join(tmpdir(), 'vethcap-trace-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** tshark's fields of every packet, one array per packet. */
async function tsharkFields(file: string, fields: string[]): Promise<string[][]> {
  const { stdout } = await execa('tshark', ['-r', file, '-T', 'fields', '-E', 'separator=\t', ...fields.flatMap((f) => ['-e', f])]);
  return stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
}

async function childrenOf(pid: number): Promise<number[]> {
  return (await execa('pgrep', ['-P', String(pid)], { reject: false })).stdout.split('\n').filter(Boolean).map(Number);
}

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'tshark', 'nft']))('trace on a lab', () => {
  const lab = useLab({ hosts: ['box', 'web'] });
  const targets = () => {
    const l = lab();
    return [`box=netns:${l.host('box').netns}`, `web=netns:${l.host('web').netns}`];
  };
  const labels = () => {
    const l = lab();
    return { box: 'box:eth0', h0: `host:${l.host('box').hostIf}`, br: `host:${l.bridge}`, h1: `host:${l.host('web').hostIf}`, web: 'web:eth0' };
  };

  it('--save, then merge DIR: the same path lines and summary, stopped by the command or by Ctrl-C', async () => {
    // Stopped by the command's end.
    const ended = join(dir, 'save-command');
    const r = await runCli(['trace', ...targets(), '--filter', 'icmp', '--json', '--save', ended, '--', 'ping', '-c', '40', '-i', '0.01', lab().host('web').ip]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await expectReplayEqual(r.stdout, ended)).toBe(80);
    // Stopped by SIGINT mid-stream, traffic still flowing: paths after the stop, blocks cut.
    const cut = join(dir, 'save-sigint');
    const child = execa(process.execPath, [BIN, 'trace', ...targets(), '--filter', 'icmp', '--json', '--save', cut, '--', 'ping', '-c', '2000', '-i', '0.005', lab().host('web').ip], { reject: false });
    // With --json nothing says "armed": the command's first words do (it starts once every point is).
    await new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => d.toString().includes('PING') && resolve()));
    await new Promise((resolve) => setTimeout(resolve, 1200));
    child.kill('SIGINT');
    const stopped = await child;
    expect(stopped.exitCode, stopped.stderr).toBe(130);
    expect(await expectReplayEqual(stopped.stdout, cut)).toBeGreaterThan(50);
  });

  it('shows every request and reply at all five points in path order, in the timeline and the pcapng', async () => {
    const file = join(dir, 'path.pcapng');
    const r = await runCli(['trace', ...targets(), '--filter', 'icmp', '--utc', '-w', file, '--', 'ping', '-c', '3', '-i', '0.2', lab().host('web').ip]);
    expect(r.exitCode, r.stderr).toBe(0);
    const L = labels();
    expect(r.stdout).toMatch(new RegExp(`#1  ICMP echo request ${lab().host('box').ip.replace(/\./g, '\\.')} → `));
    expect(r.stdout).toContain('6 packets: 6 complete, 0 incomplete (0 lost)');
    expect(r.stdout).toContain('bridge device copy');
    // The pcapng: 6 packets × 5 points, one interface per point, ids shared by the copies.
    const rows = await tsharkFields(file, ['frame.interface_name', 'frame.packet_id', 'frame.packet_flags_direction', 'frame.comment', 'icmp.type']);
    expect(rows).toHaveLength(30);
    const byId = new Map<string, string[][]>();
    for (const row of rows) byId.set(row[1]!, [...(byId.get(row[1]!) ?? []), row]);
    expect([...byId.keys()].sort()).toEqual(['1', '2', '3', '4', '5', '6']);
    for (const [id, copies] of byId) {
      const isRequest = copies[0]![4] === '8';
      const order = copies.map((c) => c[0]).filter((l) => l !== L.br);
      expect(order, `packet ${id}`).toEqual(isRequest ? [L.box, L.h0, L.h1, L.web] : [L.web, L.h1, L.h0, L.box]);
      expect(copies.map((c) => c[0])).toContain(L.br);
      // Direction flags: 0x1 inbound, 0x2 outbound; the bridge copy has none.
      const dir = Object.fromEntries(copies.map((c) => [c[0], c[2]]));
      expect(dir[isRequest ? L.box : L.web]).toBe('0x00000002');
      expect(dir[isRequest ? L.h0 : L.h1]).toBe('0x00000001');
      expect(dir[isRequest ? L.h1 : L.h0]).toBe('0x00000002');
      expect(dir[isRequest ? L.web : L.box]).toBe('0x00000001');
      for (const c of copies) expect(c[3]).toMatch(new RegExp(`^vethcap #${id} `));
    }
  });

  it('keeps path order over 10,000 packets through the veth pairs and the bridge', async () => {
    const r = await runCli(['trace', ...targets(), '--filter', 'icmp', '--json', '--', 'ping', '-f', '-c', '5000', '-W', '1', lab().host('web').ip], { timeoutMs: 120_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    const L = labels();
    expect(paths.length).toBe(10_000);
    let outOfOrder = 0;
    for (const p of paths) {
      const request = p.summary.startsWith('ICMP echo request');
      const want = request ? [L.box, L.h0, L.h1, L.web] : [L.web, L.h1, L.h0, L.box];
      if (hopLabels(p).join() !== want.join()) outOfOrder++;
    }
    expect(outOfOrder).toBe(0);
    expect(summary.complete).toBe(10_000);
    expect(summary.capture.map((c) => c.droppedByKernel)).toEqual([0, 0, 0, 0, 0]);
  });

  it('says where packets were lost when the bridge drops them', async () => {
    const L = labels();
    const table = `vctest${lab().id}`;
    await run('nft', [`add table bridge ${table}; add chain bridge ${table} vcfwd { type filter hook forward priority 0 ; } ; add rule bridge ${table} vcfwd ether daddr ${lab().host('web').mac} ip protocol icmp drop`]);
    try {
      const r = await runCli(['trace', ...targets(), '--filter', 'icmp', '--json', '--', 'ping', '-c', '3', '-i', '0.2', '-W', '1', lab().host('web').ip]);
      expect(r.exitCode, r.stderr).toBe(0);
      const { paths, summary } = parseNdjson(r.stdout);
      expect(paths).toHaveLength(3);
      for (const p of paths) {
        expect(p.complete).toBe(false);
        expect(p.lost).toEqual({ after: L.h0, before: L.h1 });
        expect(hopLabels(p)).toEqual([L.box, L.h0]);
      }
      expect(summary.lost).toBe(3);
    } finally {
      await run('nft', ['delete', 'table', 'bridge', table]);
    }
  });

  it('stops cleanly on SIGINT: exit 130, a complete pcapng, no tcpdump left', async () => {
    const file = join(dir, 'sigint.pcapng');
    const child = execa(process.execPath, [BIN, 'trace', ...targets(), '--filter', 'icmp', '-w', file], { reject: false });
    await untilArmed(child);
    await lab().exec('box', 'ping', ['-c', '2', '-i', '0.2', lab().host('web').ip]);
    await new Promise((r) => setTimeout(r, 500));
    const children = await childrenOf(child.pid!);
    expect(children.length).toBeGreaterThanOrEqual(5);
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const rows = await tsharkFields(file, ['frame.interface_name']);
    expect(rows).toHaveLength(20);
    for (const pid of children) expect(existsSync(`/proc/${pid}`), `tcpdump ${pid} still running`).toBe(false);
    expect(result.stdout).toContain('4 packets: 4 complete');
  });

  it('leaves no tcpdump behind when vethcap itself is killed (SIGKILL), and no spool file', async () => {
    const child = execa(process.execPath, [BIN, 'trace', ...targets(), '--filter', 'icmp', '-q'], { reject: false });
    await untilArmed(child);
    const children = await childrenOf(child.pid!);
    const tcpdumps = children.filter((pid) => /tcpdump/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8')));
    expect(tcpdumps).toHaveLength(5);
    // Each writes into an unnamed spool file: the only trace of it is its open descriptor.
    for (const pid of tcpdumps) expect(readlinkSync(`/proc/${pid}/fd/1`)).toMatch(/vethcap-spool-.*\(deleted\)$/);
    child.kill('SIGKILL');
    await child;
    const deadline = Date.now() + 5000;
    while (tcpdumps.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    for (const pid of children) expect(existsSync(`/proc/${pid}`), `process ${pid} (child of the killed vethcap) still running`).toBe(false);
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith('vethcap-spool-'))).toEqual([]);
  });

  it('stops quietly when the reader of stdout goes away (| head): exit 141, a complete pcapng, no tcpdump left', async () => {
    const file = join(dir, 'head.pcapng');
    // ping runs far longer than the test: only the closed pipe can end the trace soon.
    const child = execa(process.execPath, [BIN, 'trace', ...targets(), '--filter', 'icmp', '-w', file, '--', 'ping', '-c', '300', '-i', '0.1', lab().host('web').ip], { reject: false, buffer: { stdout: false } });
    await untilArmed(child);
    const children = await childrenOf(child.pid!);
    // Five tcpdumps (and the orphan guard): a check of "none left" over an empty list proves nothing.
    expect(children.length).toBeGreaterThanOrEqual(5);
    // Like `head -3`: read the first chunk of the timeline, then close the pipe.
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.stdout!.destroy();
    const started = Date.now();
    const result = await child;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.exitCode, String(result.stderr)).toBe(141);
    expect(result.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(result.stderr).toMatch(/vethcap: wrote \d+ packets to /);
    // The file holds every copy of every packet that began before the stop: whole paths,
    // readable to the end, none called lost. Packets that began after it (the drain) may lack
    // copies at points stopped before they passed, and say so.
    const rows = await tsharkFields(file, ['frame.packet_id', 'frame.comment']);
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const copies = new Map<string, number>();
    const afterStop = new Set<string>();
    for (const [id, comment] of rows) {
      copies.set(id!, (copies.get(id!) ?? 0) + 1);
      if (comment!.includes('after the stop')) afterStop.add(id!);
    }
    const judged = [...copies].filter(([id]) => !afterStop.has(id));
    expect(judged.length).toBeGreaterThanOrEqual(2);
    expect(judged.filter(([, n]) => n !== 5)).toEqual([]);
    expect(rows.filter(([, comment]) => /lost between|undetermined|not captured/.test(comment!))).toEqual([]);
    for (const pid of children) expect(existsSync(`/proc/${pid}`), `process ${pid} still running`).toBe(false);
  });

  it('-c N prints N paths, however many more arrive in the same moment', async () => {
    // ping -f: hundreds of paths come out of each release, all after the count is reached.
    const r = await runCli(['trace', ...targets(), '--filter', 'icmp', '-c', '5', '--json', '--', 'ping', '-f', '-c', '2000', lab().host('web').ip], { timeoutMs: 60_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(paths.map((p) => p.id)).toEqual([1, 2, 3, 4, 5]);
    expect(summary.paths).toBe(5);
  });

  describe('a backlog at the stop (vethcap fell behind: here, paused with SIGSTOP while ping -f ran)', () => {
    /** A trace that has not read any of `pings` requests and replies at five points when SIGINT comes. */
    async function traceWithBacklog(file: string, pings: number) {
      const child = execa(process.execPath, [BIN, 'trace', ...targets(), '--filter', 'icmp', '-q', '-w', file], { reject: false });
      let stderr = '';
      child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      await untilArmed(child);
      const children = await childrenOf(child.pid!);
      // Five tcpdumps (and the orphan guard): a check of "none left" over an empty list proves nothing.
      expect(children.length).toBeGreaterThanOrEqual(5);
      process.kill(child.pid!, 'SIGSTOP');
      try {
        await lab().exec('box', 'ping', ['-f', '-c', String(pings), '-W', '1', lab().host('web').ip], 60_000);
        await new Promise((r) => setTimeout(r, 1500)); // the last kernel blocks reach the spools
      } finally {
        process.kill(child.pid!, 'SIGCONT');
      }
      child.kill('SIGINT');
      return { child, children, stderr: () => stderr };
    }

    it('reads all of it on Ctrl-C, and says so', async () => {
      const file = join(dir, 'backlog.pcapng');
      const t = await traceWithBacklog(file, 10_000);
      const result = await t.child;
      expect(result.exitCode, t.stderr()).toBe(130);
      expect(t.stderr()).toMatch(/vethcap: stopping: reading the [\d.]+ MiB of capture not read yet \(Ctrl-C again to skip it\)\./);
      expect(result.stdout).toContain('20000 packets: 20000 complete');
      expect(await tsharkFields(file, ['frame.packet_id'])).toHaveLength(100_000);
      for (const pid of t.children) expect(existsSync(`/proc/${pid}`), `process ${pid} still running`).toBe(false);
    });

    it('skips it on a second Ctrl-C: quick exit 130, a readable pcapng, no tcpdump left', async () => {
      const file = join(dir, 'skipped.pcapng');
      const t = await traceWithBacklog(file, 30_000);
      await new Promise((r) => setTimeout(r, 50));
      const second = Date.now();
      t.child.kill('SIGINT');
      const result = await t.child;
      expect(Date.now() - second).toBeLessThan(5000);
      expect(result.exitCode, t.stderr()).toBe(130);
      expect(t.stderr()).toMatch(/vethcap: skipped [\d.]+ MiB of capture not read yet; the timeline and the pcapng end at the last packet read\./);
      const written = (await tsharkFields(file, ['frame.packet_id'])).length;
      expect(written).toBeLessThan(300_000);
      for (const pid of t.children) expect(existsSync(`/proc/${pid}`), `process ${pid} still running`).toBe(false);
    });
  });

  it('warns when the spool directory has little room (a 16 MiB tmpfs), and still traces', async () => {
    const small = mkdtempSync(join(tmpdir(), 'vethcap-small-spool-'));
    await run('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'vethcap-test', small]);
    try {
      const r = await runCli(['trace', ...targets(), '--filter', 'icmp', '-q', '--', 'ping', '-c', '1', lab().host('web').ip], { env: { VETHCAP_SPOOL_DIR: small } });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^vethcap: warning: only 1[56] MiB free in ${small} for the spool: .* set VETHCAP_SPOOL_DIR to a directory with more room\\.$`, 'm'));
      expect(r.stdout).toContain('2 packets: 2 complete');
    } finally {
      await run('umount', [small]);
      rmSync(small, { recursive: true, force: true });
    }
  });

  it('lets two traces of the same namespace run at once', async () => {
    const web = lab().host('web').ip;
    const [a, b] = await Promise.all([
      runCli(['trace', ...targets(), '--filter', 'icmp', '-q', '--', 'ping', '-c', '3', '-i', '0.3', web]),
      runCli(['trace', ...targets(), '--filter', 'icmp', '-q', '--', 'ping', '-c', '3', '-i', '0.3', web]),
    ]);
    for (const r of [a, b]) {
      expect(r.exitCode, r.stderr).toBe(0);
      // Each sees its own pings and the other's, as far as their runs overlap.
      // At least its own 3 requests and 3 replies, every one complete (0 packets would not do).
      const counts = /(\d+) packets: (\d+) complete/.exec(r.stdout);
      expect(counts, r.stdout).not.toBeNull();
      expect(Number(counts![1])).toBeGreaterThanOrEqual(6);
      expect(counts![2]).toBe(counts![1]);
    }
  });

  it('refuses a bad filter with tcpdump\'s reason, exit 6, and leaves no file', async () => {
    const file = join(dir, 'bad.pcapng');
    const r = await runCli(['trace', ...targets(), '--filter', 'icmp and and', '-w', file]);
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toMatch(/^vethcap: \[CAPTURE_FAILED\] capture point \S+ failed to start: can't parse filter expression: syntax error\./);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(file)).toBe(false);
  });

  it('names a missing tcpdump before starting anything (exit 4)', async () => {
    const r = await runCli(['trace', ...targets()], { env: { PATH: '/nonexistent' }, extendEnv: false });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toMatch(/^vethcap: \[MISSING_TOOL\] vethcap needs ip, nsenter, tcpdump, which are not installed/);
  });
});
