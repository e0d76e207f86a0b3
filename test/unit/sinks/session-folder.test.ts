/**
 * The session folder (`trace --save DIR`): every record written byte for byte with its
 * exact timestamp into its point's pcap, read back through the same planning and reader
 * `vethcap merge DIR` uses, a version 2 manifest written last, and the folder as safe
 * to hand over as every other file vethcap writes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionFolder, pointFileName, type SessionCloseInfo } from '../../../src/sinks/session-folder.js';
import { TraceCoverage } from '../../../src/capture/coverage.js';
import { planFileSources } from '../../../src/sources/file-sources.js';
import { readCaptureFile } from '../../../src/sources/read-capture.js';
import { parseSessionManifest } from '../../../src/sources/session-manifest.js';
import { VethcapError } from '../../../src/errors.js';
import { DIRECTION, LINKTYPE, type CaptureRecord } from '../../../src/model/record.js';
import type { CapturePoint } from '../../../src/model/topology.js';
import type { PacketEvent } from '../../../src/pcap/events.js';
import { icmpFrame, pattern } from '../../helpers/frames.js';
import { mulberry32 } from '../../helpers/random.js';
import { runCli } from '../../helpers/cli.js';
import { haveTool, run } from '../pcap/tools.js';

const BASE_SEC = 1_764_333_971;
const T0 = BASE_SEC * 1000;
const NOBODY = 65534;
const tsharkOk = haveTool('tshark');
const asRoot = process.geteuid?.() === 0;

const POINTS: CapturePoint[] = [
  { label: 'box:eth0', description: 'box end of the veth pair eth0 ⇄ h0', role: 'namespace-end', ifname: 'eth0', owner: 'box', endpointMac: '02:00:00:00:00:02', peer: 'host:h0', filter: 'icmp', snaplen: 262144, linkType: LINKTYPE.ETHERNET },
  { label: 'host:h0', description: 'host end of box:eth0, port of bridge br', role: 'host-veth', ifname: 'h0', owner: 'box', endpointMac: '02:00:00:00:00:02', peer: 'box:eth0', bridge: 'host:br', filter: 'icmp', snaplen: 262144, linkType: LINKTYPE.ETHERNET },
  { label: 'host:br', description: 'bridge device br', role: 'bridge', ifname: 'br', filter: 'icmp', snaplen: 262144, linkType: LINKTYPE.ETHERNET },
];

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'vethcap-session-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o7777;

function closeInfo(points = POINTS.length): SessionCloseInfo {
  const coverage = new TraceCoverage(points);
  coverage.drops[0]!.asked(T0 + 250);
  coverage.drops[0]!.answered(3, T0 + 251.5);
  for (const t of coverage.drops) t.ended(t.total, T0 + 5000);
  if (points > 1) coverage.cut(1, T0 + 4000.25, 'point-ended');
  return {
    window: { armedAtMs: T0 + 0.5, stopAtMs: T0 + 4500, stopReason: 'command' },
    stats: Array.from({ length: points }, (_, i) => (i === 2 ? null : { captured: 10 + i, droppedByKernel: i === 0 ? 3 : 0 })),
    coverage: coverage.save(),
    description: 'box pings web',
    argv: ['trace', 'box', '--save', 'x'],
    windowNs: 100_000_000,
  };
}

/** Records of every size and timestamp corner: empty frames, cut ones (origLen above the bytes), nanoseconds at 0 and 999,999,999. */
function randomRecords(seed: number, n: number): CaptureRecord[] {
  const rand = mulberry32(seed);
  const out: CaptureRecord[] = [];
  let ns = 0;
  for (let i = 0; i < n; i++) {
    ns += Math.floor(rand() * 3_000_000);
    const len = i % 97 === 0 ? 0 : Math.floor(rand() * 1600);
    const data = pattern(len, i);
    let tsSec = BASE_SEC + Math.floor(ns / 1e9);
    let tsNsec = ns % 1e9;
    if (i === 5) tsNsec = 999_999_999;
    if (i === 6) [tsSec, tsNsec] = [tsSec + 1, 0];
    out.push({ point: Math.floor(rand() * POINTS.length), tsSec, tsNsec, data, origLen: len + (rand() < 0.1 ? 1000 : 0), linkType: LINKTYPE.ETHERNET, direction: DIRECTION.UNKNOWN });
  }
  return out;
}

async function readPackets(path: string): Promise<PacketEvent[]> {
  const out: PacketEvent[] = [];
  for await (const batch of readCaptureFile(path)) for (const ev of batch) if (ev.kind === 'packet') out.push(ev);
  return out;
}

async function expectCode(p: Promise<unknown>, code: string): Promise<VethcapError> {
  const error = await p.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(VethcapError);
  expect((error as VethcapError).code).toBe(code);
  return error as VethcapError;
}

describe('session folder', () => {
  it('holds every record byte for byte with its exact timestamp, read back as `merge DIR` reads it', async () => {
    const dir = join(tmp, 'session');
    const records = randomRecords(7, 4000);
    const folder = await SessionFolder.create(dir, POINTS);
    let flushes = 0;
    for (const r of records) {
      folder.write(r);
      if (folder.shouldFlush) {
        flushes++;
        await folder.flush();
      }
    }
    // ~3 MB over three points: some went out before the end.
    expect(flushes).toBeGreaterThan(0);
    expect(folder.packetsWritten).toBe(records.length);
    await folder.close(closeInfo());
    expect(folder.files).toEqual(['01-box_eth0.pcap', '02-host_h0.pcap', '03-host_br.pcap']);
    expect(readdirSync(dir).sort()).toEqual([...folder.files, 'manifest.json']);

    const sources = await planFileSources([{ path: dir }]);
    expect(sources.points.map((p) => p.label)).toEqual(POINTS.map((p) => p.label));
    expect(sources.stats).toEqual([{ received: 10n, dropped: 3n }, { received: 11n, dropped: 0n }, { received: null, dropped: null }]);
    for (const [i, file] of sources.files.entries()) {
      expect(file.path).toBe(join(dir, folder.files[i]!));
      const got = await readPackets(file.path);
      const want = records.filter((r) => r.point === i);
      expect(got.length).toBe(want.length);
      expect(folder.packetsPerPoint[i]).toBe(want.length);
      got.forEach((g, k) => {
        const w = want[k]!;
        const at = `${folder.files[i]} packet ${k + 1}`;
        expect([g.tsSec, g.tsNsec, g.origLen, g.linkType], at).toEqual([w.tsSec, w.tsNsec, w.origLen, w.linkType]);
        expect(Buffer.from(g.data).equals(Buffer.from(w.data)), at).toBe(true);
      });
    }
  });

  it('writes a version 2 manifest that reads back as given', async () => {
    const dir = join(tmp, 'session');
    const folder = await SessionFolder.create(dir, POINTS);
    const info = closeInfo();
    await folder.close(info);
    const where = join(dir, 'manifest.json');
    const m = parseSessionManifest(readFileSync(where, 'utf8'), where);
    if (m.vethcap !== 2) throw new Error(`version ${m.vethcap}`);
    expect(m.window).toEqual(info.window);
    expect(m.windowNs).toBe(100_000_000);
    expect(m.argv).toEqual(info.argv);
    expect(m.description).toBe('box pings web');
    expect(m.vethcapVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(Date.parse(m.created)).toBeGreaterThan(Date.now() - 60_000);
    expect(m.points.map((p) => p.coverage)).toEqual(info.coverage);
    expect(m.points.map((p) => p.stats)).toEqual(info.stats);
    expect(m.points.map((p) => p.file)).toEqual(folder.files);
    // The topology keys as given, and nothing a planned point carries beyond them.
    expect(m.points.map(({ file: _f, stats: _s, coverage: _c, ...p }) => p)).toEqual(POINTS);
    // A restored coverage answers as the one saved.
    const restored = TraceCoverage.restore(m.points.map((p) => p.coverage));
    expect(restored.gapAt(0, T0 + 200, T0 + 260)).toEqual({ reason: 'kernel-drops', dropped: 3 });
    expect(restored.gapAt(1, T0 + 4000, T0 + 4001)).toEqual({ reason: 'point-ended', dropped: null });
    expect(restored.gapAt(2, T0, T0 + 5000)).toBeNull();
  });

  it('keeps only the topology keys of a planned point (no namespace paths) and only the counts of tcpdump statistics', async () => {
    const dir = join(tmp, 'session');
    const planned = POINTS.map((p) => ({ ...p, netnsPath: '/proc/1/ns/net', netnsInode: 4026531840 }));
    const folder = await SessionFolder.create(dir, planned);
    const info = closeInfo();
    await folder.close({ ...info, stats: [{ captured: 1, droppedByKernel: 0, received: 5, droppedByInterface: null }, null, null] as SessionCloseInfo['stats'] });
    const text = readFileSync(join(dir, 'manifest.json'), 'utf8');
    expect(text).not.toMatch(/netns|received|droppedByInterface/);
  });

  it('copies the bytes on write: the source may reuse its buffer', async () => {
    const dir = join(tmp, 'session');
    const folder = await SessionFolder.create(dir, POINTS);
    const buf = pattern(60);
    folder.write({ point: 0, tsSec: BASE_SEC, tsNsec: 1, data: buf, origLen: 60, linkType: LINKTYPE.ETHERNET, direction: DIRECTION.UNKNOWN });
    buf.fill(0xee);
    await folder.close(closeInfo());
    const [p] = await readPackets(join(dir, folder.files[0]!));
    expect(Buffer.from(p!.data).equals(Buffer.from(pattern(60)))).toBe(true);
  });

  it("gives a pcap the link type of the frames its point handed over, and says so in the manifest", async () => {
    const dir = join(tmp, 'session');
    const folder = await SessionFolder.create(dir, POINTS);
    // An uplink without Ethernet headers (a tunnel): tcpdump reports LINKTYPE_RAW.
    folder.write({ point: 1, tsSec: BASE_SEC, tsNsec: 5, data: pattern(40), origLen: 40, linkType: LINKTYPE.RAW, direction: DIRECTION.UNKNOWN });
    expect(() => folder.write({ point: 1, tsSec: BASE_SEC, tsNsec: 6, data: pattern(40), origLen: 40, linkType: LINKTYPE.ETHERNET, direction: DIRECTION.UNKNOWN })).toThrow(VethcapError);
    await folder.close(closeInfo());
    const sources = await planFileSources([{ path: dir }]);
    expect(sources.points.map((p) => p.linkType)).toEqual([LINKTYPE.ETHERNET, LINKTYPE.RAW, LINKTYPE.ETHERNET]);
    const [p] = await readPackets(join(dir, folder.files[1]!));
    expect(p!.linkType).toBe(LINKTYPE.RAW);
    // A point that captured nothing still has its file, with the planned link type.
    expect(await readPackets(join(dir, folder.files[2]!))).toEqual([]);
  });

  it('is 0700, its files 0600', async () => {
    const dir = join(tmp, 'session');
    const umask = process.umask(0o022);
    try {
      const folder = await SessionFolder.create(dir, POINTS);
      await folder.close(closeInfo());
      expect(mode(dir)).toBe(0o700);
      for (const name of readdirSync(dir)) expect(mode(join(dir, name)), name).toBe(0o600);
    } finally {
      process.umask(umask);
    }
  });

  it('takes an empty folder of your own, and makes it 0700', async () => {
    const dir = join(tmp, 'empty');
    mkdirSync(dir, { mode: 0o755 });
    const folder = await SessionFolder.create(dir, POINTS);
    await folder.close(closeInfo());
    expect(mode(dir)).toBe(0o700);
    expect(readdirSync(dir)).toContain('manifest.json');
  });

  it('refuses a folder that is not empty (USAGE) and leaves it as it was', async () => {
    const dir = join(tmp, 'old');
    mkdirSync(dir, { mode: 0o755 });
    writeFileSync(join(dir, 'manifest.json'), 'an earlier session');
    const error = await expectCode(SessionFolder.create(dir, POINTS), 'USAGE');
    expect(error.message).toMatch(/not empty/);
    expect(readdirSync(dir)).toEqual(['manifest.json']);
    expect(readFileSync(join(dir, 'manifest.json'), 'utf8')).toBe('an earlier session');
    expect(mode(dir)).toBe(0o755);
  });

  it('refuses a symbolic link to a folder (USAGE) and writes nothing through it', async () => {
    const target = join(tmp, 'target');
    mkdirSync(target, { mode: 0o755 });
    symlinkSync(target, join(tmp, 'link'));
    const error = await expectCode(SessionFolder.create(join(tmp, 'link'), POINTS), 'USAGE');
    expect(error.message).toMatch(/symbolic link/);
    expect(readdirSync(target)).toEqual([]);
    expect(mode(target)).toBe(0o755);
  });

  it('refuses a dangling symbolic link (USAGE) without making its target', async () => {
    symlinkSync(join(tmp, 'nowhere'), join(tmp, 'dangling'));
    await expectCode(SessionFolder.create(join(tmp, 'dangling'), POINTS), 'USAGE');
    expect(() => lstatSync(join(tmp, 'nowhere'))).toThrow(/ENOENT/);
  });

  it('refuses a file (USAGE) and leaves it alone', async () => {
    const file = join(tmp, 'file');
    writeFileSync(file, 'keep me');
    await expectCode(SessionFolder.create(file, POINTS), 'USAGE');
    expect(readFileSync(file, 'utf8')).toBe('keep me');
  });

  it('a folder whose parent does not exist is an IO error, and nothing is made', async () => {
    await expectCode(SessionFolder.create(join(tmp, 'no', 'such'), POINTS), 'IO');
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('a record of a point it does not have, a write after close, a second close: INTERNAL (bugs of the caller)', async () => {
    const folder = await SessionFolder.create(join(tmp, 's'), POINTS);
    expect(() => folder.write({ point: 3, tsSec: BASE_SEC, tsNsec: 0, data: pattern(1), origLen: 1, linkType: 1, direction: 0 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    await expectCode(folder.close({ ...closeInfo(), coverage: [] }), 'INTERNAL');
    expect(() => folder.write({ point: 0, tsSec: BASE_SEC, tsNsec: 0, data: pattern(1), origLen: 1, linkType: 1, direction: 0 })).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    await expectCode(folder.close(closeInfo()), 'INTERNAL');
  });

  it('names files NN-label with unsafe characters replaced', () => {
    expect(pointFileName(0, 'box:eth0')).toBe('01-box_eth0.pcap');
    expect(pointFileName(11, 'host:veth854b6a5')).toBe('12-host_veth854b6a5.pcap');
    expect(pointFileName(2, '../a b/c:d')).toBe('03-.._a_b_c_d.pcap');
    expect(pointFileName(4, 'x', 3)).toBe('005-x.pcap');
    expect(pointFileName(0, 'é'.repeat(300)).length).toBeLessThan(120);
  });

  it('`vethcap merge DIR` reads the folder (exit 0, every packet on its path)', async () => {
    const dir = join(tmp, 'session');
    const folder = await SessionFolder.create(dir, POINTS);
    for (let seq = 0; seq < 3; seq++) {
      const frame = icmpFrame({ srcMac: '02:00:00:00:00:02', dstMac: '02:00:00:00:00:03', src: '198.18.0.2', dst: '198.18.0.3', ipId: 100 + seq, id: 7, seq });
      for (let point = 0; point < 3; point++) {
        // Inside the window the manifest gives (armed at T0 + 0.5 ms): the replay judges by it.
        folder.write({ point, tsSec: BASE_SEC + seq, tsNsec: 1_000_000 + point * 500, data: frame, origLen: frame.length, linkType: LINKTYPE.ETHERNET, direction: DIRECTION.UNKNOWN });
      }
    }
    await folder.close(closeInfo());
    const r = await runCli(['merge', dir, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { hops?: Array<{ point: string }> });
    const paths = lines.filter((l) => l.hops !== undefined);
    expect(paths.length).toBe(3);
    for (const p of paths) expect(p.hops!.map((h) => h.point)).toEqual(['box:eth0', 'host:h0', 'host:br']);
  });

  it.skipIf(!tsharkOk)('tshark reads every pcap: same count, same nanosecond times, same lengths', async () => {
    const dir = join(tmp, 'session');
    const records = randomRecords(11, 300);
    const folder = await SessionFolder.create(dir, POINTS);
    for (const r of records) folder.write(r);
    await folder.close(closeInfo());
    for (const [i, name] of folder.files.entries()) {
      const out = run('tshark', ['-r', join(dir, name), '-T', 'fields', '-e', 'frame.time_epoch', '-e', 'frame.len', '-e', 'frame.cap_len']);
      const rows = out.trim() === '' ? [] : out.trim().split('\n').map((l) => l.split('\t'));
      const want = records.filter((r) => r.point === i);
      expect(rows.length, name).toBe(want.length);
      rows.forEach(([time, len, caplen], k) => {
        const w = want[k]!;
        expect(time, `${name} packet ${k + 1}`).toBe(`${w.tsSec}.${String(w.tsNsec).padStart(9, '0')}`);
        expect([Number(len), Number(caplen)]).toEqual([w.origLen, w.data.length]);
      });
    }
  });

  describe.runIf(asRoot)('as root', () => {
    it('run through sudo (SUDO_UID/SUDO_GID), the folder and its files belong to that user', async () => {
      const saved = { uid: process.env.SUDO_UID, gid: process.env.SUDO_GID };
      process.env.SUDO_UID = String(NOBODY);
      process.env.SUDO_GID = String(NOBODY);
      try {
        const dir = join(tmp, 'session');
        const folder = await SessionFolder.create(dir, POINTS);
        await folder.close(closeInfo());
        for (const path of [dir, ...readdirSync(dir).map((n) => join(dir, n))]) {
          const st = statSync(path);
          expect([st.uid, st.gid], path).toEqual([NOBODY, NOBODY]);
        }
      } finally {
        for (const [key, value] of [['SUDO_UID', saved.uid], ['SUDO_GID', saved.gid]] as const) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
    });

    it('a full disk is an IO error; every file is closed and no manifest is written (an unfinished session)', async (ctx) => {
      const mnt = join(tmp, 'small');
      mkdirSync(mnt);
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
      } catch {
        // Shown as skipped: a container without CAP_SYS_ADMIN.
        ctx.skip();
      }
      try {
        const dir = join(mnt, 'session');
        const folder = await SessionFolder.create(dir, POINTS);
        for (const r of randomRecords(3, 1000)) folder.write(r);
        const error = await expectCode(folder.close(closeInfo()), 'IO');
        expect(error.message).toMatch(/^cannot write .*\.pcap: no space left on the device\.$/);
        expect(readdirSync(dir)).not.toContain('manifest.json');
      } finally {
        execFileSync('umount', [mnt]);
      }
    });

    it("refuses an empty folder of another user's (one planted in /tmp, say): USAGE", async () => {
      const dir = join(tmp, 'planted');
      mkdirSync(dir, { mode: 0o777 });
      const { chownSync } = await import('node:fs');
      chownSync(dir, NOBODY, NOBODY);
      const error = await expectCode(SessionFolder.create(dir, POINTS), 'USAGE');
      expect(error.message).toMatch(/another user/);
      expect(readdirSync(dir)).toEqual([]);
    });
  });
});
