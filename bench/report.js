// The HTML report (`--html`) at 100,000 paths: its size, the merge's cost of writing it, and
// how long headless chromium takes from opening the file to drawn (issue 16's bound: ≤ 20 MB,
// interactive within 2 s).
// Run (needs /usr/bin/chromium): npm run build && node bench/report.js [paths, default 100000]
//
// A saved session of two points, box:eth0 → host:vethA, n UDP packets 3 µs apart, each seen
// 1-20 µs later at the host end; in the "lossy" case every 10th never reaches it (10 % lost:
// every one of them is kept in the report). Measured, best of 3: `vethcap merge DIR -q` and
// the same with `--html`, wall time; the file's size; chromium's open-to-drawn time (body
// data-ready) over the DevTools protocol, median of 5. Writes bench/out/report.json.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 100_000);
const VETHCAP = join(root, 'bin/vethcap');
const CHROMIUM = '/usr/bin/chromium';
const BOX = [0x02, 0x42, 0xc6, 0x12, 0x00, 0x02];
const WEB = [0x02, 0x42, 0xc6, 0x12, 0x00, 0x03];

function frame(b, o, i) {
  b.set([...WEB, ...BOX, 0x08, 0x00], o);
  b.set([0x45, 0, 0, 46, (i >>> 8) & 0xff, i & 0xff, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 2, 198, 18, 0, 3], o + 14);
  const sport = 1024 + (i % 60000);
  b.set([sport >>> 8, sport & 0xff, 0x04, 0x00, 0, 26, 0, 0], o + 34);
  for (let k = 0; k < 18; k++) b[o + 42 + k] = 0;
  b.writeUInt32BE(i >>> 0, o + 42);
}

/** A nanosecond pcap of the packets `ids` (in time order) at times t(i). */
function writePcap(path, ids, t) {
  const fd = openSync(path, 'w');
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b23c4d, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeUInt32LE(262144, 16);
  h.writeUInt32LE(1, 20);
  writeSync(fd, h);
  const buf = Buffer.alloc(ids.length * 76);
  ids.forEach((i, k) => {
    const ns = t(i);
    const o = k * 76;
    buf.writeUInt32LE(1_764_333_971 + Math.floor(ns / 1e9), o);
    buf.writeUInt32LE(ns % 1e9, o + 4);
    buf.writeUInt32LE(60, o + 8);
    buf.writeUInt32LE(60, o + 12);
    frame(buf, o + 16, i);
  });
  writeSync(fd, buf);
  closeSync(fd);
}

/** A session folder: box:eth0 and host:vethA, with every 10th packet lost between them when `lossy`. */
function session(dir, lossy) {
  mkdirSync(dir, { recursive: true });
  const all = Array.from({ length: N }, (_, i) => i);
  const seenB = lossy ? all.filter((i) => i % 10 !== 5) : all;
  writePcap(join(dir, 'a.pcap'), all, (i) => i * 3000);
  // 1-5 µs later: never past the next packet, so B stays in time order.
  writePcap(join(dir, 'b.pcap'), seenB, (i) => i * 3000 + 1000 + ((i * 2654435761) % 1800));
  const mac = '02:42:c6:12:00:02';
  const point = (label, role, file, extra, n) => ({ label, description: label, role, ifname: label.split(':')[1], owner: 'box', endpointMac: mac, linkType: 1, snaplen: 262144, file, stats: { captured: n, droppedByKernel: 0 }, ...extra });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({
    vethcap: 1,
    description: `bench/report.js: ${N} UDP packets box → web${lossy ? ', every 10th lost' : ''}`,
    points: [point('box:eth0', 'namespace-end', 'a.pcap', { peer: 'host:vethA' }, N), point('host:vethA', 'host-veth', 'b.pcap', { peer: 'box:eth0' }, seenB.length)],
  }));
}

function wallMs(argv) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [VETHCAP, ...argv], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`vethcap ${argv.join(' ')} failed: ${r.stderr}`);
  return performance.now() - t0;
}
const best = (f) => Math.min(f(), f(), f());
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function openMs(browser, file) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1400, height: 1000 });
  const t0 = performance.now();
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  const ms = performance.now() - t0;
  // Interactive: a filter change redraws the list.
  const t1 = performance.now();
  await page.select('#f-verdict', 'complete');
  const filterMs = performance.now() - t1;
  await page.close();
  return { ms, filterMs };
}

const work = mkdtempSync(join(tmpdir(), 'vethcap-bench-report-'));
const profile = mkdtempSync(join(tmpdir(), 'vethcap-bench-chromium-'));
let browser;
try {
  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, userDataDir: profile, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const results = [];
  for (const lossy of [false, true]) {
    const dir = join(work, lossy ? 'lossy' : 'clean');
    session(dir, lossy);
    const html = join(work, `${lossy ? 'lossy' : 'clean'}.html`);
    const plain = best(() => wallMs(['merge', dir, '-q']));
    const withHtml = best(() => wallMs(['merge', dir, '-q', '--html', html]));
    const bytes = statSync(html).size;
    const opens = [];
    for (let k = 0; k < 5; k++) opens.push(await openMs(browser, html));
    const r = { case: lossy ? `${N} paths, 10 % lost` : `${N} paths, all complete`, mergeMs: Math.round(plain), mergeHtmlMs: Math.round(withHtml), htmlCost: +(withHtml / plain).toFixed(2), bytes, openMs: Math.round(median(opens.map((o) => o.ms))), filterMs: Math.round(median(opens.map((o) => o.filterMs))) };
    results.push(r);
    console.log(`${r.case.padEnd(28)} merge -q ${r.mergeMs} ms, with --html ${r.mergeHtmlMs} ms (${r.htmlCost}×); report ${(bytes / 1048576).toFixed(2)} MiB; chromium open→drawn ${r.openMs} ms (median of 5), a filter change ${r.filterMs} ms`);
  }
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  writeFileSync(join(root, 'bench/out/report.json'), JSON.stringify({ n: N, results }, null, 2));
} finally {
  await browser?.close().catch(() => undefined);
  rmSync(work, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
}
