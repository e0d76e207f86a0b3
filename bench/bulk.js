// Bulk TCP through the five points of a lab: does keeping whole packets at one point only
// (`vethcap trace --headers-only`) stop the kernel drops that five full-size captures have?
// Run (root): npm run build && node bench/bulk.js [options]
//   --pairs N        interleaved rounds of the four cases (default 5); figures are medians
//   --seconds S      iperf3 -t (default 2)
//   --cases a,b,c,d,e  only these cases (default all five, in this order in every round); b@N
//                    and d@N keep whole packets at the N-th point (0-4) instead of --full-at's;
//                    c, d, e with +FLAGS add vethcap flags, _ for a space: d+-B_65536
//   --full-at LABEL  the point that keeps whole packets in cases b and d (default box:eth0)
//   --vethcap-args "..."  extra `vethcap trace` flags for cases c, d, e (e.g. "-B 65536")
//   --out FILE       JSON (default bench/out/bulk.json)
// Plain JavaScript on the built dist/ so it runs on Node 20 without a TypeScript loader.
//
// One lab (box, web on a bridge); box runs `iperf3 -c web -t S` (one TCP stream, bulk, GSO
// frames up to 64 KiB) while five points capture: box:eth0, host:<box's veth>, host:<bridge>,
// host:<web's veth>, web:eth0. Four cases per round:
//   a. five bare tcpdumps, -s 262144 (vethcap's default) at every point;
//   b. five bare tcpdumps, -s 262144 at the full point, -s 192 (HEADERS_SNAPLEN) at the others;
//   c. `vethcap trace box web -q -w OUT`;
//   d. the same with --headers-only (whole packets at the full point, 192 bytes elsewhere);
//   e. the same with -s 192 at every point (no point keeps whole packets): what is left of
//      d's drops once the full point is gone too.
// The bare peers are started as vethcap starts its own tcpdumps: under nsenter in a namespace,
// -B 8192, --time-stamp-precision=nano, writing a file (a person's `tcpdump -w`). iperf3 starts
// once every point listens (bare) or once vethcap says its points are armed, and the captures
// stop (SIGINT) 1.5 s after iperf3 ends.
// Per run: kernel drops per point (tcpdump's "dropped by kernel"; vethcap's per-point counts),
// complete paths (bare: `vethcap merge` of the five files afterwards, a path with a copy at all
// five points; vethcap: its own verdicts, complete / all paths), iperf3's throughput and
// retransmits, and the bytes written. The load average is recorded with every run.
// Everything started is stopped by PID and the lab removed, also on failure and on Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLab } from '../dist/lab/lab.js';
import { HEADERS_SNAPLEN } from '../dist/plan/headers-only.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const PAIRS = Number(opt('pairs', 5));
const SECONDS = Number(opt('seconds', 2));
const CASES = (opt('cases', 'a,b,c,d,e') || '').split(',').filter(Boolean);
const OUT = opt('out', 'bench/out/bulk.json');
const VETHCAP_EXTRA = (opt('vethcap-args', '') || '').split(' ').filter(Boolean);
const BUFFER_KIB = 8192; // vethcap's default -B
const FULL_SNAPLEN = 262144; // vethcap's default -s

const dir = mkdtempSync(join(tmpdir(), 'vethcap-bulkbench-'));
const children = new Set();
let lab;
let interrupted = false;

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function cleanup() {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGINT'); } catch { /* gone */ }
  }
  const deadline = Date.now() + 3000;
  while (children.size > 0 && Date.now() < deadline) await sleep(50);
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  await lab?.destroy().catch((e) => console.error(`lab clean-up: ${e}`));
  lab = undefined;
  rmSync(dir, { recursive: true, force: true });
}
function bail(why, code) {
  if (interrupted) return;
  interrupted = true;
  try { console.error(`\n${why}: stopping everything and removing the lab`); } catch { /* stderr gone */ }
  cleanup().finally(() => process.exit(code));
}
process.on('SIGINT', () => bail('interrupted', 130));
process.on('SIGTERM', () => bail('terminated', 143));
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
process.on('uncaughtException', (error) => bail(`internal error ${error?.stack ?? error}`, 1));

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Resolves once `re` matches what `stream` said so far. */
function waitFor(stream, re, acc = { text: '' }) {
  return new Promise((resolve, reject) => {
    const on = (chunk) => {
      acc.text += chunk.toString('utf8');
      if (re.test(acc.text)) {
        stream.off('data', on);
        resolve();
      }
    };
    stream.on('data', on);
    stream.once('close', () => reject(new Error(`stream closed before ${re}: ${acc.text.slice(-400)}`)));
  });
}

const fileBytes = (f) => { try { return statSync(f).size; } catch { return 0; } };

// ---------- iperf3 ----------

/** One-off iperf3 server in web's namespace, listening. */
async function iperfServer(web) {
  const child = track(spawn('nsenter', [`--net=${web.netnsPath}`, '--', 'iperf3', '-s', '-1', '-B', web.ip, '--forceflush'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stderr.on('data', () => undefined);
  await waitFor(child.stdout, /Server listening/);
  child.stdout.on('data', () => undefined);
  return child;
}

/** iperf3 -c from box's namespace; its JSON figures. */
async function iperfClient(box, web) {
  const child = track(spawn('nsenter', [`--net=${box.netnsPath}`, '--', 'iperf3', '-c', web.ip, '-t', String(SECONDS), '-J'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let text = '';
  child.stdout.on('data', (c) => (text += c));
  child.stderr.on('data', (c) => (text += c));
  const watchdog = setTimeout(() => child.kill('SIGKILL'), (SECONDS + 60) * 1000);
  const code = await exited(child);
  clearTimeout(watchdog);
  if (code !== 0) throw new Error(`iperf3 -c exited with ${code}: ${text.slice(-500)}`);
  const j = JSON.parse(text);
  const sent = j.end.sum_sent;
  return { bytes: sent.bytes, gbps: sent.bits_per_second / 1e9, retransmits: sent.retransmits ?? null };
}

// ---------- bare tcpdumps ----------

function startTcpdump(point, file, snaplen) {
  const args = ['-i', point.ifname, '-w', file, '-n', '--time-stamp-precision=nano', '-s', String(snaplen), '-B', String(BUFFER_KIB)];
  const [bin, rest] = point.netns ? ['nsenter', [`--net=${point.netns}`, '--', 'tcpdump', ...args]] : ['tcpdump', args];
  const child = track(spawn(bin, rest, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } }));
  let text = '';
  child.stderr.on('data', (c) => (text += c));
  const listening = waitFor(child.stderr, /listening on/);
  const done = exited(child).then(() => ({
    captured: Number(text.match(/(\d+) packets? captured/)?.[1] ?? NaN),
    droppedByKernel: Number(text.match(/(\d+) packets? dropped by kernel/)?.[1] ?? NaN),
  }));
  return { child, listening, done };
}

/** Paths in the five files with a copy at every one of them, by `vethcap merge --json`. */
async function completeFromFiles(files, labels) {
  const args = [join(root, 'bin/vethcap'), 'merge', '--json', ...labels.map((l, i) => `--label=${l}=${files[i]}`)];
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  let paths = 0;
  let complete = 0;
  for await (const line of createInterface({ input: child.stdout })) {
    if (!line.startsWith('{"id"')) continue;
    paths++;
    const hops = JSON.parse(line).hops;
    if (new Set(hops.map((h) => h.point)).size === files.length) complete++;
  }
  const code = await exited(child);
  if (code !== 0) throw new Error(`vethcap merge exited with ${code}: ${err.slice(-500)}`);
  return { paths, complete };
}

async function bare(points, box, web, fullAt) {
  const files = points.map((_, i) => join(dir, `bare-${i}.pcap`));
  const snaps = points.map((p) => (fullAt === undefined || p.label === fullAt ? FULL_SNAPLEN : HEADERS_SNAPLEN));
  const server = await iperfServer(web);
  const caps = points.map((p, i) => startTcpdump(p, files[i], snaps[i]));
  await Promise.all(caps.map((c) => c.listening));
  const load = loadavg()[0];
  const iperf = await iperfClient(box, web);
  await exited(server);
  await sleep(1500);
  for (const c of caps) process.kill(c.child.pid, 'SIGINT');
  const stats = await Promise.all(caps.map((c) => c.done));
  const bytes = files.reduce((n, f) => n + fileBytes(f), 0);
  const { paths, complete } = await completeFromFiles(files, points.map((p) => p.label));
  for (const f of files) rmSync(f, { force: true });
  return {
    load,
    iperf,
    points: points.map((p, i) => ({ point: p.label, snaplen: snaps[i], ...stats[i] })),
    drops: stats.reduce((n, s) => n + s.droppedByKernel, 0),
    captured: stats.reduce((n, s) => n + s.captured, 0),
    bytesWritten: bytes,
    paths,
    complete,
  };
}

// ---------- vethcap trace ----------

function parseSummary(text) {
  const m = text.match(/(\d+) packets: (\d+) complete, (\d+) incomplete/);
  const capture = [...text.matchAll(/^ {2}(\S+)\s+(\d+|\?) \/ (\d+|\?)$/gm)].map((x) => ({
    point: x[1], captured: x[2] === '?' ? null : Number(x[2]), droppedByKernel: x[3] === '?' ? null : Number(x[3]),
  }));
  return { paths: m ? Number(m[1]) : NaN, complete: m ? Number(m[2]) : NaN, capture };
}

async function vethcap(lab, box, web, extra) {
  const out = join(dir, 'trace.pcapng');
  const server = await iperfServer(web);
  const args = [join(root, 'bin/vethcap'), 'trace', `box=netns:${box.netns}`, `web=netns:${web.netns}`, '-q', '-w', out, ...VETHCAP_EXTRA, ...extra];
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } }));
  let stdout = '';
  const acc = { text: '' };
  child.stdout.on('data', (c) => (stdout += c));
  await waitFor(child.stderr, /points armed in \d+ ms/, acc);
  child.stderr.on('data', (c) => (acc.text += c));
  const load = loadavg()[0];
  const iperf = await iperfClient(box, web);
  await exited(server);
  await sleep(1500);
  process.kill(child.pid, 'SIGINT');
  const code = await exited(child);
  const s = parseSummary(stdout);
  const bytes = fileBytes(out);
  rmSync(out, { force: true });
  if (!(s.paths >= 0)) throw new Error(`vethcap trace exited with ${code} and no summary: ${acc.text.slice(-800)}`);
  return {
    load,
    iperf,
    exitCode: code,
    points: s.capture,
    drops: s.capture.reduce((n, c) => n + (c.droppedByKernel ?? 0), 0),
    captured: s.capture.reduce((n, c) => n + (c.captured ?? 0), 0),
    bytesWritten: bytes,
    paths: s.paths,
    complete: s.complete,
  };
}

// ---------- main ----------

const fmt = (x) => (x === null || x === undefined || Number.isNaN(x) ? '?' : typeof x === 'number' ? x.toLocaleString('en-US') : String(x));
const pct = (a, b) => (b > 0 ? (100 * a) / b : NaN);
const NAMES = {
  a: 'bare tcpdump, full at all 5',
  b: `bare tcpdump, full at 1, -s ${HEADERS_SNAPLEN} at 4`,
  c: 'vethcap trace',
  d: 'vethcap trace --headers-only',
  e: `vethcap trace -s ${HEADERS_SNAPLEN}`,
};
/** A case token: its letter, the index of its full point (b@N, d@N) and extra vethcap flags (+-B_65536). */
const parseCase = (c) => {
  const [head, plus] = c.split('+');
  const [letter, at] = head.split('@');
  return { letter, at: at === undefined ? undefined : Number(at), flags: plus ? plus.split('_') : [] };
};
const caseName = (c, points) => {
  const { letter, at, flags } = parseCase(c);
  return `${NAMES[letter]}${flags.length ? ' ' + flags.join(' ') : ''}${at === undefined ? '' : `, full at ${points[at].label}`}`;
};

try {
  lab = await createLab({ hosts: ['box', 'web'], prefix: 'tk' });
  const box = lab.host('box');
  const web = lab.host('web');
  const points = [
    { label: 'box:eth0', ifname: 'eth0', netns: box.netnsPath },
    { label: `host:${box.hostIf}`, ifname: box.hostIf },
    { label: `host:${lab.bridge}`, ifname: lab.bridge },
    { label: `host:${web.hostIf}`, ifname: web.hostIf },
    { label: 'web:eth0', ifname: 'eth0', netns: web.netnsPath },
  ];
  const fullAt = opt('full-at', 'box:eth0');
  if (!points.some((p) => p.label === fullAt)) throw new Error(`--full-at ${fullAt}: the points are ${points.map((p) => p.label).join(', ')}`);
  const result = { date: new Date().toISOString(), seconds: SECONDS, pairs: PAIRS, fullAt, headersSnaplen: HEADERS_SNAPLEN, loadavgAtStart: loadavg(), runs: [] };
  console.log(`lab ${lab.id}: points ${points.map((p) => p.label).join(', ')}; iperf3 -t ${SECONDS} box → web (one TCP stream); whole packets at ${fullAt} in b and d`);
  for (let k = 0; k < PAIRS; k++) {
    for (const c of CASES) {
      const { letter, at, flags } = parseCase(c);
      const full = at === undefined ? fullAt : points[at].label;
      const r = letter === 'a' ? await bare(points, box, web, undefined)
        : letter === 'b' ? await bare(points, box, web, full)
        : letter === 'c' ? await vethcap(lab, box, web, flags)
        : letter === 'd' ? await vethcap(lab, box, web, ['--headers-only', '--full-at', full, ...flags])
        : await vethcap(lab, box, web, ['-s', String(HEADERS_SNAPLEN), ...flags]);
      r.case = c;
      r.round = k + 1;
      result.runs.push(r);
      const dropPct = pct(r.drops, r.drops + r.captured);
      r.worstPointDropPct = Math.max(...r.points.map((p) => pct(p.droppedByKernel ?? 0, (p.droppedByKernel ?? 0) + (p.captured ?? 0))));
      console.log(`[${c} ${k + 1}] ${caseName(c, points).padEnd(36)} load ${r.load.toFixed(2)}  iperf3 ${r.iperf.gbps.toFixed(2)} Gbit/s, ${fmt(r.iperf.retransmits)} retr  ` +
        `drops ${fmt(r.drops)} of ${fmt(r.drops + r.captured)} (${dropPct.toFixed(1)} %) [${r.points.map((p) => fmt(p.droppedByKernel)).join('/')}]  ` +
        `complete ${fmt(r.complete)}/${fmt(r.paths)} (${pct(r.complete, r.paths).toFixed(2)} %)  written ${(r.bytesWritten / 2 ** 20).toFixed(0)} MiB`);
    }
  }
  console.log(`\nmedians of ${PAIRS} interleaved rounds (case order ${CASES.join(', ')} in each):`);
  console.log(`${'case'.padEnd(40)} drop %  worst point  complete %  iperf3 Gbit/s  written MiB  load`);
  result.medians = {};
  for (const c of CASES) {
    const rs = result.runs.filter((r) => r.case === c);
    const m = {
      dropPct: median(rs.map((r) => pct(r.drops, r.drops + r.captured))),
      worstPointDropPct: median(rs.map((r) => r.worstPointDropPct)),
      completePct: median(rs.map((r) => pct(r.complete, r.paths))),
      gbps: median(rs.map((r) => r.iperf.gbps)),
      writtenMiB: median(rs.map((r) => r.bytesWritten / 2 ** 20)),
      load: median(rs.map((r) => r.load)),
      runsWithDrops: rs.filter((r) => r.drops > 0).length,
    };
    result.medians[c] = m;
    console.log(`${(c + '. ' + caseName(c, points)).padEnd(40)} ${m.dropPct.toFixed(1).padStart(6)}  ${m.worstPointDropPct.toFixed(1).padStart(11)}  ${m.completePct.toFixed(2).padStart(10)}  ${m.gbps.toFixed(2).padStart(13)}  ${m.writtenMiB.toFixed(0).padStart(11)}  ${m.load.toFixed(2)}   (runs with drops: ${m.runsWithDrops}/${rs.length})`);
  }
  // Ratios against the peer of the same round: vethcap against the bare run just before it.
  for (const [v, b] of [['c', 'a'], ['d', 'b']]) {
    if (!CASES.includes(v) || !CASES.includes(b)) continue;
    const ratios = [];
    for (let k = 1; k <= PAIRS; k++) {
      const rv = result.runs.find((r) => r.case === v && r.round === k);
      const rb = result.runs.find((r) => r.case === b && r.round === k);
      if (rv && rb) ratios.push(rv.iperf.gbps / rb.iperf.gbps);
    }
    console.log(`iperf3 throughput under ${v} / under ${b} (same round): median ${median(ratios).toFixed(2)} (${ratios.map((x) => x.toFixed(2)).join(', ')})`);
  }
  result.loadavgAtEnd = loadavg();
  console.log(`\nload average (1 min) at start ${result.loadavgAtStart[0].toFixed(2)}, at end ${result.loadavgAtEnd[0].toFixed(2)} on 2 CPUs (other work on the machine skews every figure)`);
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  writeFileSync(resolve(root, OUT), JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${OUT}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  if (!interrupted) await cleanup();
}
