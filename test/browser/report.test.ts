/**
 * The HTML report (`--html`, issue 16) in a real browser: Debian's chromium, headless,
 * opening the file from disk, its DOM checked: every point, the filter, a click on a path
 * lighting it up on the topology, a loss drawn between the right two points, nothing
 * fetched, no script error, and a screenshot that is not blank.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer-core';
import { hasChromium, launchChromium, openReport } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { run } from '../../src/exec/run.js';

const SESSION = new URL('../../fixtures/sessions/icmp', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'vethcap-report-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The share of a PNG's pixels that differ from its first pixel (8-bit RGB/RGBA, non-interlaced, as chromium writes it). */
function nonBackground(png: Buffer): number {
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  const channels = png[25] === 6 ? 4 : 3;
  const chunks: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') chunks.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  const stride = width * channels;
  const rows: Buffer[] = [];
  let prev = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = Buffer.from(raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? line[i - channels]! : 0;
      const b = prev[i]!;
      const c = i >= channels ? prev[i - channels]! : 0;
      const p = a + b - c;
      const pred = filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? (Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c) : 0;
      line[i] = (line[i]! + pred) & 0xff;
    }
    rows.push(line);
    prev = line;
  }
  let differ = 0;
  const first = rows[0]!.subarray(0, 3);
  for (const line of rows) for (let x = 0; x < width; x++) if (line[x * channels] !== first[0] || line[x * channels + 1] !== first[1] || line[x * channels + 2] !== first[2]) differ++;
  return differ / (width * height);
}

describe.runIf(hasChromium())('the HTML report in chromium', () => {
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;
  beforeAll(async () => {
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
  });
  const browser = (): Browser => {
    if (!chromium) throw new Error('chromium did not start (beforeAll failed?)');
    return chromium.browser;
  };

  it('merge --html of a saved session: a 0600 file that fetches nothing and shows every point', async () => {
    const file = join(dir, 'merge.html');
    const r = await runCli(['merge', SESSION, '-q', '--html', file]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<link|\ssrc=|\shref=|@import|url\((?!#)/i);
    const manifest = JSON.parse(readFileSync(join(SESSION, 'manifest.json'), 'utf8')) as { points: Array<{ label: string }> };
    const { page, requests, errors } = await openReport(browser(), file);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    const labels = await page.$$eval('#topology [data-label]', (els) => els.map((e) => e.getAttribute('data-label')));
    for (const p of manifest.points) expect(labels).toContain(p.label);
    expect(await page.$$eval('#points tbody tr', (rows) => rows.length)).toBe(manifest.points.length);
    expect(await page.$$eval('#paths tbody tr', (rows) => rows.length)).toBe(6);
    await page.close();
  });

  it('the filter narrows the list by id, protocol and verdict', async () => {
    const file = join(dir, 'filter.html');
    expect((await runCli(['merge', SESSION, '-q', '--html', file])).exitCode).toBe(0);
    const { page } = await openReport(browser(), file);
    const ids = () => page.$$eval('#paths tbody tr', (rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
    expect(await ids()).toEqual([1, 2, 3, 4, 5, 6]);
    await page.type('#f-id', '2-4');
    expect(await ids()).toEqual([2, 3, 4]);
    await page.select('#f-verdict', 'lost');
    expect(await ids()).toEqual([]);
    await page.select('#f-verdict', 'complete');
    expect(await ids()).toEqual([2, 3, 4]);
    await page.select('#f-proto', 'ICMP');
    expect(await ids()).toEqual([2, 3, 4]);
    await page.close();
  });

  it('a click on a path lights up the points it crossed on the topology, and draws its ladder', async () => {
    const file = join(dir, 'click.html');
    expect((await runCli(['merge', SESSION, '-q', '--html', file])).exitCode).toBe(0);
    const { page } = await openReport(browser(), file);
    await page.click('#paths tbody tr[data-id="2"]');
    const lit = await page.$$eval('#topology .on', (els) => els.map((e) => e.getAttribute('data-label')).sort());
    const json = JSON.parse((await runCli(['merge', SESSION, '--json'])).stdout.split('\n')[1]!) as { id: number; hops: Array<{ point: string }> };
    expect(json.id).toBe(2);
    expect(lit).toEqual([...new Set(json.hops.map((h) => h.point))].sort());
    expect(await page.$eval('#paths tr.sel', (e) => e.getAttribute('data-id'))).toBe('2');
    expect(await page.$$eval('#ladder circle.dot', (els) => els.length)).toBe(json.hops.filter((h) => !h.point.endsWith('br')).length);
    const shot = Buffer.from(await page.screenshot({ type: 'png' }));
    expect(nonBackground(shot)).toBeGreaterThan(0.02);
    await page.close();
  });

  describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping', 'nft']))('on a lab whose bridge drops the requests (nft)', () => {
    const lab = useLab({ hosts: ['box', 'web'] });
    /** The data a report embeds. */
    const embedded = (file: string) => JSON.parse(/<script type="application\/json" id="vethcap-data">(.*?)<\/script>/s.exec(readFileSync(file, 'utf8'))![1]!) as { kind: string; counts: { paths: number; complete: number }; verify?: { ok: boolean; line: string } };

    it('demo --html and verify --html write their reports too, verify\'s with its verdict', async () => {
      const demo = join(dir, 'demo.html');
      const d = await runCli(['demo', '-c', '1', '-w', join(dir, 'demo.pcapng'), '--html', demo]);
      expect(d.exitCode, d.stderr).toBe(0);
      expect(embedded(demo)).toMatchObject({ kind: 'demo', counts: { paths: 2, complete: 2 } });
      const l = lab();
      const verify = join(dir, 'verify.html');
      const v = await runCli(['verify', `netns:${l.host('box').netns}`, '--to', `netns:${l.host('web').netns}`, '-c', '2', '-i', '0.2', '--html', verify]);
      expect(v.exitCode, v.stderr).toBe(0);
      expect(embedded(verify)).toMatchObject({ kind: 'verify', verify: { ok: true } });
      const { page, errors } = await openReport(browser(), verify);
      expect(errors).toEqual([]);
      expect(await page.$eval('#verify .verdict', (e) => e.className)).toBe('verdict pass');
      await page.close();
    });

    it('trace --html: each lost request marked between the two host veths; the points\' kernel drops shown', async () => {
      const l = lab();
      const table = `vethcap_report_${l.id}`;
      const box = l.host('box');
      const web = l.host('web');
      await run('nft', [`add table bridge ${table}; add chain bridge ${table} vcfwd { type filter hook forward priority 0 ; } ; add rule bridge ${table} vcfwd ether daddr ${web.mac} ip protocol icmp drop`]);
      const file = join(dir, 'lost.html');
      try {
        const r = await runCli(['trace', `box=netns:${box.netns}`, `web=netns:${web.netns}`, '--filter', 'icmp', '-q', '--html', file, '--', 'ping', '-c', '2', '-i', '0.2', '-W', '1', web.ip]);
        expect(r.exitCode, r.stderr).toBe(0);
      } finally {
        await run('nft', ['delete', 'table', 'bridge', table]);
      }
      const { page, errors } = await openReport(browser(), file);
      expect(errors).toEqual([]);
      expect(await page.$$eval('#counts .chip.lost b', (els) => els.map((e) => e.textContent))).toEqual(['2']);
      await page.select('#f-verdict', 'lost');
      const ids = await page.$$eval('#paths tbody tr', (rows) => rows.map((r) => r.getAttribute('data-id')));
      expect(ids).toHaveLength(2);
      await page.click(`#paths tbody tr[data-id="${ids[1]}"]`);
      const loss = await page.$eval('#ladder .loss', (e) => [e.getAttribute('data-after'), e.getAttribute('data-before')]);
      expect(loss).toEqual([`host:${box.hostIf}`, `host:${web.hostIf}`]);
      expect(await page.$$eval('#topology .miss', (els) => els.map((e) => e.getAttribute('data-label')))).toEqual([`host:${web.hostIf}`]);
      // Each point's capture statistics (tcpdump's), where a merge of files has none.
      const captured = await page.$$eval('#points tbody tr', (rows) => rows.map((r) => [r.children[3]!.textContent, r.children[4]!.textContent]));
      expect(captured).toHaveLength(5);
      // The bridge's ports and their state, as `bridge link` read them at the end.
      expect(await page.$$eval('#points tbody tr', (rows) => rows.map((r) => r.children[1]!.textContent).filter((t) => t!.startsWith('host-veth')))).toEqual(['host-veth (port forwarding)', 'host-veth (port forwarding)']);
      for (const [c, d] of captured) {
        expect(c).toMatch(/^\d+$/);
        expect(d).toBe('0');
      }
      if (process.env.VETHCAP_REPORT_SHOT) await page.screenshot({ path: process.env.VETHCAP_REPORT_SHOT, fullPage: true });
      await page.close();
    });
  });
});
