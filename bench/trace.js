// Live-capture benchmark of `vethcap trace` against bare tcpdump, on a lab of namespaces.
// Run (root): npm run build && node bench/trace.js [packets] [options]
//   --rate PPS          trafgen --rate instead of its maximum
//   --buffer KiB        -B for the bare tcpdumps and for vethcap (-B)
//   --bare-args "..."   extra tcpdump flags for the bare run, e.g. "-U -s 262144 --immediate-mode"
//                       (vethcap's own flags) to separate tcpdump's cost from vethcap's
//   --bare-pipe         bare tcpdumps write -w - into a pipe this process drains, unparsed
//   --vethcap-args "..." extra `vethcap trace` flags, e.g. "-s 1600"
//   --pairs N           interleaved (bare, vethcap) pairs of [a] and [b] (default 5): the ratio is the
//                       median of the pairs' send-rate ratios, each against the bare run just before it
//   --skip bare,vethcap,arm   leave out a measurement; --arm-runs N (default 5)
//   --soak S [--soak-pps P]   memory probe: S seconds at P packets/s (default 20000)
//   --docker            also start-to-armed on two Docker containers (test image vethcap-test/busybox:1)
//   --pause-vethcap     SIGSTOP vethcap's node process while trafgen runs (SIGCONT after): what the
//                       capture engine alone (its tcpdumps) costs the traffic, without node's parsing
//   --profile DIR       CPU profiles of the vethcap processes (node --cpu-prof) into DIR
//   --out FILE          where the JSON goes (default bench/out/trace.json)
//   --cpus N            trafgen workers (default 1; 0.6.8 with 2 spun forever here)
// Plain JavaScript on the built dist/ so it runs on Node 20 without a TypeScript loader.
//
// One lab (box, web on a bridge), five capture points on box → web: box:eth0,
// host:<box's host veth>, host:<bridge>, host:<web's host veth>, web:eth0 (the points
// `vethcap trace box web` plans). The bare peers are started as vethcap starts its own
// tcpdumps (under nsenter in a namespace, -B 8192 -s 262144 unless --buffer says otherwise,
// no -U: what a person would type). trafgen in box's namespace sends
// 60-byte UDP frames, each with its own IP ID, at its maximum rate, through the qdisc path
// (--qdisc-path: without it trafgen's frames bypass the packet taps on box:eth0, where
// tcpdump saw 8 of 2,000). Measured in one run:
//   a. five bare tcpdumps writing files (captured / dropped by kernel);
//   b. `vethcap trace` on the same points writing a pcapng (captured / dropped, complete
//      paths, peak RSS and CPU of the node process, capinfos count);
//   c. start-to-armed time, bare tcpdumps vs vethcap, median of 5.
// Optional: --soak S, memory over a long trace (trafgen rate-limited; RSS and the spool's disk
// blocks every 5 s). npm run bench runs it for 600 s (BENCH_SOAK_S to change).
// Writes bench/out/trace.json (--out to change). Everything started is stopped by PID and the lab removed,
// also on failure and on Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab } from '../dist/lab/lab.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const positional = argv.filter((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--')));
const N = Number(positional[0] ?? 1_000_000);
const BUFFER_KIB = opt('buffer') ? Number(opt('buffer')) : undefined;
const SOAK_S = opt('soak') ? Number(opt('soak')) : 0;
const SOAK_PPS = Number(opt('soak-pps', 20_000));
const CPUS = Number(opt('cpus', 1));
const RATE = opt('rate') ? Number(opt('rate')) : undefined; // trafgen --rate N pps instead of its maximum
const ARM_RUNS = Number(opt('arm-runs', 5));
const PAIRS = Number(opt('pairs', 5));
const BARE_BUFFER_KIB = BUFFER_KIB ?? 8192; // vethcap's default -B (DEFAULT_BUFFER_KIB)
const BARE_SNAPLEN = 262144; // vethcap's default -s
const OUT = opt('out', 'bench/out/trace.json');
const PROFILE_DIR = opt('profile'); // node --cpu-prof for every vethcap run, profiles into this folder
const DOCKER = argv.includes('--docker'); // also start-to-armed on two containers (needs Docker and the test image)
const SKIP = new Set((opt('skip', '') || '').split(',').filter(Boolean)); // bare,vethcap,arm
const VETHCAP_EXTRA = (opt('vethcap-args', '') || '').split(' ').filter(Boolean);
const PAUSE_VETHCAP = argv.includes('--pause-vethcap');
const BARE_PIPE = argv.includes('--bare-pipe'); // bare tcpdumps write -w - into a pipe this process drains (no parsing)
const BARE_EXTRA = (opt('bare-args', '') || '').split(' ').filter(Boolean); // e.g. "-U -s 262144 --immediate-mode": vethcap's tcpdump flags

const dir = mkdtempSync(join(tmpdir(), 'vethcap-tracebench-'));
const children = new Set(); // every process we started and that has not exited
let lab;
let interrupted = false;

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function cleanup() {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGINT'); } catch { /* gone */ }
  }
  const deadline = Date.now() + 3000;
  while (children.size > 0 && Date.now() < deadline) await sleep(50);
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  removeDocker();
  await lab?.destroy().catch((e) => console.error(`lab clean-up: ${e}`));
  lab = undefined;
  rmSync(dir, { recursive: true, force: true });
}

function bail(why, code) {
  if (interrupted) return;
  interrupted = true;
  try {
    console.error(`\n${why}: stopping everything and removing the lab`);
  } catch { /* stderr gone too */ }
  cleanup().finally(() => process.exit(code));
}
process.on('SIGINT', () => bail('interrupted', 130));
process.on('SIGTERM', () => bail('terminated', 143));
// Output piped into a reader that went away (e.g. | head) must not skip the clean-up.
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
process.on('uncaughtException', (error) => bail(`internal error ${error?.stack ?? error}`, 1));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Waits until `re` matches the accumulated text of `stream` (resolves with ms since t0). */
function waitFor(stream, re, t0, acc = { text: '' }) {
  return new Promise((resolve, reject) => {
    const on = (chunk) => {
      acc.text += chunk.toString('utf8');
      if (re.test(acc.text)) {
        stream.off('data', on);
        resolve(performance.now() - t0);
      }
    };
    stream.on('data', on);
    stream.once('close', () => reject(new Error(`stream closed before ${re}: ${acc.text.slice(-400)}`)));
  });
}

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

function parseTcpdumpStats(text) {
  const num = (re) => {
    const m = text.match(re);
    return m ? Number(m[1]) : null;
  };
  return {
    captured: num(/(\d+) packets? captured/),
    received: num(/(\d+) packets? received by filter/),
    droppedByKernel: num(/(\d+) packets? dropped by kernel/),
  };
}

function capinfosCount(file) {
  const r = spawnSync('capinfos', ['-c', '-M', file], { encoding: 'utf8' });
  const m = r.stdout.match(/Number of packets:\s*(\d+)/);
  return m ? Number(m[1]) : null;
}

/** Kernel timestamp span of a capture (first to last packet), in ms: trafgen's real sending time. */
function capinfosSpanMs(file) {
  const r = spawnSync('capinfos', ['-u', '-M', file], { encoding: 'utf8' });
  const m = r.stdout.match(/Capture duration:\s*([\d.]+) seconds/);
  return m ? Number(m[1]) * 1000 : null;
}

function procStatus(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number(s.match(new RegExp(`${k}:\\s+(\\d+) kB`))?.[1] ?? 0);
    return { rssKiB: kb('VmRSS'), hwmKiB: kb('VmHWM') };
  } catch {
    return null;
  }
}

const CLK_TCK = 100;
/** utime+stime of a process in ms. */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Time the main thread of `pid` ran or waited on a run queue, in ms (/proc/PID/schedstat). */
function busyMs(pid) {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return (run + wait) / 1e6;
  } catch {
    return null;
  }
}

function childPids(pid) {
  const out = [];
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      const c = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').trim();
      if (c) out.push(...c.split(/\s+/).map(Number));
    }
  } catch { /* gone */ }
  return out;
}

// ---------- load ----------

function trafgenConfig(box, web) {
  // One worker (trafgen 0.6.8 with --cpus 2 and per-CPU packets spun forever here, sending
  // nothing). Every frame differs: IP ID counts 0..65535 (dinc) and the first payload byte
  // 0..250 (period 251, coprime with 65536), so (IP ID, payload) repeats only every
  // 16.4 M packets, far outside any correlation window.
  const file = join(dir, 'udp60.cfg');
  writeFileSync(
    file,
    `{ eth(da=${web.mac}, sa=${box.mac}), ipv4(id=dinc(), saddr=${box.ip}, daddr=${web.ip}, ttl=64), ` +
      `udp(sp=40000, dp=9), dinc(0, 250), fill(0x55, 17) }\n`,
  );
  return file;
}

/** trafgen in box's namespace; resolves with wall-clock ms and what trafgen says it sent. */
async function trafgen(box, cfg, n, extra = []) {
  const t0 = performance.now();
  const child = track(
    spawn('nsenter', [`--net=${box.netnsPath}`, '--', 'trafgen', '--dev', 'eth0', '--conf', cfg, '--num', String(n), '--cpus', String(CPUS), '--qdisc-path', '--no-sock-mem', '--notouch-irq', ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  let text = '';
  child.stdout.on('data', (c) => (text += c));
  child.stderr.on('data', (c) => (text += c));
  const rate = Number(/^(\d+)pps$/.exec(extra[extra.indexOf('--rate') + 1] ?? '')?.[1] ?? 0);
  const limitMs = 60_000 + (rate > 0 ? (2000 * n) / rate : n / 50); // half its rate (≥ 50 k packets/s unlimited) or it is stuck
  const watchdog = setTimeout(() => child.kill('SIGKILL'), limitMs);
  const code = await exited(child);
  clearTimeout(watchdog);
  const ms = performance.now() - t0;
  const sent = Number(text.match(/(\d+) packets outgoing/)?.[1] ?? NaN);
  if (code !== 0) throw new Error(`trafgen exited with ${code}: ${text.slice(-500)}`);
  return { ms, sent };
}

// ---------- bare tcpdump ----------

function startTcpdump(point, file, t0) {
  const args = ['-i', point.ifname, '-w', BARE_PIPE ? '-' : file, '-n', '--time-stamp-precision=nano', '-s', String(BARE_SNAPLEN), '-B', String(BARE_BUFFER_KIB)];
  args.push(...BARE_EXTRA);
  const [bin, rest] = point.netns ? ['nsenter', [`--net=${point.netns}`, '--', 'tcpdump', ...args]] : ['tcpdump', args];
  const child = track(spawn(bin, rest, { stdio: ['ignore', BARE_PIPE ? 'pipe' : 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } }));
  if (BARE_PIPE) child.stdout.on('data', () => undefined);
  let text = '';
  child.stderr.on('data', (c) => (text += c));
  const listening = waitFor(child.stderr, /listening on/, t0);
  const done = exited(child).then(() => parseTcpdumpStats(text));
  return { child, listening, done };
}

async function bare(points, box, cfg) {
  const t0 = performance.now();
  const caps = points.map((p, i) => ({ ...startTcpdump(p, join(dir, `bare-${i}.pcap`), t0), file: join(dir, `bare-${i}.pcap`) }));
  await Promise.all(caps.map((c) => c.listening));
  const tcpdumpPids = caps.map((c) => c.child.pid);
  const cpu0 = tcpdumpPids.map(cpuMs);
  const load = await trafgen(box, cfg, N, RATE ? ['--rate', `${RATE}pps`] : []);
  await sleep(1000); // let the rings drain
  const cpu1 = tcpdumpPids.map(cpuMs);
  for (const c of caps) process.kill(c.child.pid, 'SIGINT');
  const stats = await Promise.all(caps.map((c) => c.done));
  const spanMs = capinfosSpanMs(caps[0].file);
  return {
    load,
    sendSpanMs: spanMs,
    points: points.map((p, i) => ({
      point: p.label,
      ...stats[i],
      file: capinfosCount(caps[i].file),
      pps: stats[i].captured !== null ? Math.round(stats[i].captured / (load.ms / 1000)) : null,
      tcpdumpCpuMs: cpu1[i] !== null && cpu0[i] !== null ? cpu1[i] - cpu0[i] : null,
    })),
  };
}

// ---------- vethcap trace ----------

/** `vethcap trace` on the bench's three points of the lab, or on the given targets and flags. */
function vethcapArgs(lab, out, extra = [], targets = undefined) {
  const [box, web] = lab.hosts;
  return [
    join(root, 'bin/vethcap'), 'trace',
    ...(targets ?? [`box=netns:${box.netns}`, `web=netns:${web.netns}`]),
    '-q', '-w', out,
    ...(BUFFER_KIB ? ['-B', String(BUFFER_KIB)] : []), ...VETHCAP_EXTRA, ...extra,
  ];
}

function startVethcap(lab, out, extra, targets) {
  const t0 = performance.now();
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const child = track(spawn(process.execPath, [...profile, ...vethcapArgs(lab, out, extra, targets)], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const armed = waitFor(child.stderr, /points armed in \d+ ms \(look-up \d+ ms\):/, t0);
  /** vethcap's own account: { startMs, lookupMs } (tcpdumps started → all listening; checks and look-up before). */
  const timing = () => {
    const m = /points armed in (\d+) ms \(look-up (\d+) ms\)/.exec(stderr);
    return m ? { startMs: Number(m[1]), lookupMs: Number(m[2]) } : null;
  };
  return { child, armed, t0, timing, out: () => stdout, err: () => stderr };
}

function parseVethcapSummary(text) {
  const m = text.match(/(\d+) packets: (\d+) complete, (\d+) incomplete \((\d+) lost(?:, (\d+) not captured)?(?:, (\d+) undetermined)?\)(?:, (\d+) without)?/);
  const capture = [...text.matchAll(/^ {2}(\S+)\s+(\d+|\?) \/ (\d+|\?)$/gm)].map((x) => ({
    point: x[1], captured: x[2] === '?' ? null : Number(x[2]), droppedByKernel: x[3] === '?' ? null : Number(x[3]),
  }));
  const hops = [...text.matchAll(/^ {2}(\S+ → \S+)\s+(.+) \/ (.+) {2}\((\d+)\)$/gm)].map((x) => ({ hop: x[1], p50: x[2], p99: x[3], count: Number(x[4]) }));
  return m
    ? { paths: Number(m[1]), complete: Number(m[2]), incomplete: Number(m[3]), lost: Number(m[4]), notCaptured: Number(m[5] ?? 0), undetermined: Number(m[6] ?? 0), unknown: Number(m[7] ?? 0), capture, hops }
    : { raw: text, capture, hops };
}

async function vethcap(lab, box, cfg) {
  const out = join(dir, 'trace.pcapng');
  const v = startVethcap(lab, out);
  const pid = v.child.pid;
  let peak = { rssKiB: 0, hwmKiB: 0 };
  const poll = setInterval(() => {
    const s = procStatus(pid);
    if (s) peak = { rssKiB: Math.max(peak.rssKiB, s.rssKiB), hwmKiB: Math.max(peak.hwmKiB, s.hwmKiB) };
  }, 100);
  try {
    const armedMs = await v.armed;
    const kids = childPids(pid);
    const cpu0 = cpuMs(pid);
    const kcpu0 = kids.map(cpuMs);
    if (PAUSE_VETHCAP) process.kill(pid, 'SIGSTOP');
    let load;
    try {
      load = await trafgen(box, cfg, N, RATE ? ['--rate', `${RATE}pps`] : []);
    } finally {
      if (PAUSE_VETHCAP) process.kill(pid, 'SIGCONT');
    }
    const cpuLoad = cpuMs(pid) - cpu0;
    const kcpuLoad = kids.map((k, i) => cpuMs(k) - kcpu0[i]);
    // How long until node has caught up: its main thread neither runs nor waits to run (it
    // yields the CPU while capturing, so a starved node uses little CPU yet is not idle).
    const tCatch = performance.now();
    let last = busyMs(pid);
    for (;;) {
      await sleep(200);
      const now = busyMs(pid);
      if (now - last < 20 || performance.now() - tCatch > 120_000) break; // < 10 % of a core
      last = now;
    }
    const catchUpMs = performance.now() - tCatch;
    const cpuAll = cpuMs(pid) - cpu0; // all the parsing, correlating and writing of the burst
    const t1 = performance.now();
    process.kill(pid, 'SIGINT');
    const code = await exited(v.child);
    const stopMs = performance.now() - t1;
    const summary = parseVethcapSummary(v.out());
    const s = procStatus(pid); // gone by now; peak is from polling
    void s;
    return {
      exitCode: code,
      armedMs,
      load,
      nodeCpuMsDuringLoad: cpuLoad,
      nodeCpuMsTotal: cpuAll,
      tcpdumpCpuMsDuringLoad: kcpuLoad,
      catchUpMsAfterLoad: Math.round(catchUpMs),
      stopMs: Math.round(stopMs),
      peakRssMiB: Math.round(peak.hwmKiB / 1024),
      pcapngPackets: capinfosCount(out),
      summary,
      stderr: v.err().split('\n').filter((l) => l && !/points armed|wrote \d+ packets/.test(l)).slice(-10),
    };
  } finally {
    clearInterval(poll);
  }
}

// ---------- start-to-armed ----------

async function armTimes(points, lab, targets) {
  const bareMs = [];
  const vcMs = [];
  const vcStartMs = [];
  const vcLookupMs = [];
  for (let r = 0; r < ARM_RUNS; r++) {
    const t0 = performance.now();
    const caps = points.map((p, i) => startTcpdump(p, join(dir, `arm-${i}.pcap`), t0));
    bareMs.push(Math.max(...(await Promise.all(caps.map((c) => c.listening)))));
    for (const c of caps) process.kill(c.child.pid, 'SIGINT');
    await Promise.all(caps.map((c) => c.done));
    const v = startVethcap(lab, join(dir, 'arm.pcapng'), [], targets);
    vcMs.push(await v.armed);
    const t = v.timing();
    vcStartMs.push(t?.startMs ?? NaN);
    vcLookupMs.push(t?.lookupMs ?? NaN);
    process.kill(v.child.pid, 'SIGINT');
    await exited(v.child);
  }
  return {
    bareMs,
    vethcapMs: vcMs,
    vethcapStartMs: vcStartMs,
    vethcapLookupMs: vcLookupMs,
    bareMedianMs: median(bareMs),
    vethcapMedianMs: median(vcMs),
    vethcapStartMedianMs: median(vcStartMs),
    vethcapLookupMedianMs: median(vcLookupMs),
    ratio: median(vcMs) / median(bareMs),
    startRatio: median(vcStartMs) / median(bareMs),
  };
}

// ---------- start-to-armed on Docker containers ----------

/** Two containers of the test image on a network of their own; removed by the caller. */
async function dockerPair() {
  const id = Math.random().toString(16).slice(2, 8);
  const docker = (...args) => {
    const r = spawnSync('docker', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  const image = 'vethcap-test/busybox:1'; // imported by the Docker tests (test/helpers/docker.ts)
  if (spawnSync('docker', ['image', 'inspect', image]).status !== 0) throw new Error(`the image ${image} is missing: the Docker tests import it (npx vitest run test/docker), then run this again`);
  const pair = { network: `vcb-${id}`, names: [`vcb-${id}-a`, `vcb-${id}-b`] };
  dockerState.push(pair);
  docker('network', 'create', pair.network);
  for (const name of pair.names) docker('run', '-d', '--rm', '--network', pair.network, '--name', name, image, 'sleep', '3600');
  return pair;
}
const dockerState = [];
function removeDocker() {
  for (const p of dockerState.splice(0)) {
    spawnSync('docker', ['rm', '-f', ...p.names], { encoding: 'utf8' });
    spawnSync('docker', ['network', 'rm', p.network], { encoding: 'utf8' });
  }
}

async function dockerArmTimes(lab) {
  const { resolveTargets } = await import('../dist/resolve/resolve.js');
  const { planPoints } = await import('../dist/plan/plan.js');
  const pair = await dockerPair();
  const resolved = await resolveTargets(pair.names);
  const points = planPoints(resolved.targets, {}).map((p) => ({ label: p.label, ifname: p.ifname, ...(p.netnsPath ? { netns: p.netnsPath } : {}) }));
  return { points: points.map((p) => p.label), ...(await armTimes(points, lab, pair.names)) };
}

// ---------- memory probe ----------

/** Disk blocks held by vethcap's spool files (unnamed, so found through /proc/PID/fd), in MiB. */
function spoolMiB(pid) {
  let bytes = 0;
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (!/vethcap-spool-.*\(deleted\)$/.test(readlinkSync(`/proc/${pid}/fd/${fd}`))) continue;
        bytes += statSync(`/proc/${pid}/fd/${fd}`).blocks * 512;
      } catch { /* closed meanwhile */ }
    }
  } catch { /* gone */ }
  return +(bytes / 2 ** 20).toFixed(1);
}

async function soak(lab, box, cfg) {
  const v = startVethcap(lab, join(dir, 'soak.pcapng'));
  const pid = v.child.pid;
  await v.armed;
  const series = [];
  const t0 = performance.now();
  const sample = () => {
    const s = procStatus(pid);
    series.push({ t: Math.round((performance.now() - t0) / 1000), rssMiB: s ? +(s.rssKiB / 1024).toFixed(1) : null, spoolMiB: spoolMiB(pid) });
  };
  sample();
  const timer = setInterval(sample, 5000);
  let loadResult;
  try {
    loadResult = await trafgen(box, cfg, SOAK_S * SOAK_PPS, ['--rate', `${SOAK_PPS}pps`]);
  } finally {
    clearInterval(timer); // or the process would never end
  }
  sample();
  process.kill(pid, 'SIGINT');
  await exited(v.child);
  // Flat: the last third of the run against the first minute after warm-up.
  const rss = series.map((x) => x.rssMiB).filter((x) => x !== null);
  const third = Math.max(1, Math.floor(rss.length / 3));
  const early = median(rss.slice(1, 1 + third));
  const late = median(rss.slice(-third));
  return { seconds: SOAK_S, pps: SOAK_PPS, load: loadResult, series, earlyMedianMiB: early, lateMedianMiB: late, maxMiB: Math.max(...rss), maxSpoolMiB: Math.max(...series.map((x) => x.spoolMiB)), summary: parseVethcapSummary(v.out()) };
}

// ---------- main ----------

const fmt = (x) => (x === null || x === undefined ? '?' : typeof x === 'number' ? x.toLocaleString('en-US') : String(x));

try {
  lab = await createLab({ hosts: ['box', 'web'], prefix: 'tb' });
  const box = lab.host('box');
  const web = lab.host('web');
  // No ICMP port-unreachable back from web (nothing listens on UDP 9): drop it at web's
  // INPUT, inside the lab namespace only (gone with it).
  await lab.exec('web', 'iptables', ['-w', '-A', 'INPUT', '-p', 'udp', '--dport', '9', '-j', 'DROP']);
  const points = [
    { label: 'box:eth0', ifname: 'eth0', netns: box.netnsPath },
    { label: `host:${box.hostIf}`, ifname: box.hostIf },
    { label: `host:${lab.bridge}`, ifname: lab.bridge },
    { label: `host:${web.hostIf}`, ifname: web.hostIf },
    { label: 'web:eth0', ifname: 'eth0', netns: web.netnsPath },
  ];
  const cfg = trafgenConfig(box, web);
  const result = { date: new Date().toISOString(), packets: N, ratePps: RATE ?? 'max', trafgenCpus: CPUS, bufferKiB: BUFFER_KIB ?? 'default', nproc: spawnSync('nproc', { encoding: 'utf8' }).stdout.trim(), loadavgAtStart: loadavg() };
  console.log(`lab ${lab.id}: points ${points.map((p) => p.label).join(', ')}; ${fmt(N)} packets of 60-byte UDP (trafgen, ${CPUS} CPUs)`);

  const rate = (load) => load.sent / (load.ms / 1000); // trafgen's send rate, packets/s
  const pairs = [];
  for (let k = 0; k < PAIRS; k++) {
    const pair = {};
    if (!SKIP.has('bare')) {
      const b = (pair.bare = await bare(points, box, cfg));
      console.log(`\n[a${k + 1}] bare tcpdump: trafgen sent ${fmt(b.load.sent)} in ${b.load.ms.toFixed(0)} ms (kernel-timestamp span ${fmt(b.sendSpanMs?.toFixed(0))} ms)`);
      for (const p of b.points) {
        console.log(`    ${p.point.padEnd(18)} captured ${fmt(p.captured).padStart(10)}  dropped ${fmt(p.droppedByKernel).padStart(9)}  file ${fmt(p.file).padStart(10)}  ${fmt(p.pps).padStart(8)} pkt/s  tcpdump CPU ${fmt(p.tcpdumpCpuMs)} ms`);
      }
    }
    if (!SKIP.has('vethcap')) {
      const v = (pair.vethcap = await vethcap(lab, box, cfg));
      const s = v.summary;
      console.log(`\n[b${k + 1}] vethcap trace: trafgen sent ${fmt(v.load.sent)} in ${v.load.ms.toFixed(0)} ms; exit ${v.exitCode}`);
      for (const p of s.capture ?? []) {
        const pps = p.captured !== null ? Math.round(p.captured / (v.load.ms / 1000)) : null;
        console.log(`    ${p.point.padEnd(18)} captured ${fmt(p.captured).padStart(10)}  dropped ${fmt(p.droppedByKernel).padStart(9)}  ${fmt(pps).padStart(8)} pkt/s`);
      }
      const pct = s.complete !== undefined ? ((100 * s.complete) / v.load.sent).toFixed(3) : '?';
      console.log(`    paths ${fmt(s.paths)}: complete ${fmt(s.complete)} = ${pct} % of sent (goal ≥ 99.9 %), incomplete ${fmt(s.incomplete)}, lost ${fmt(s.lost)}, not captured ${fmt(s.notCaptured)}, undetermined ${fmt(s.undetermined)}`);
      console.log(`    pcapng ${fmt(v.pcapngPackets)} packets; peak RSS ${v.peakRssMiB} MiB; node CPU during load ${fmt(v.nodeCpuMsDuringLoad)} ms (${((100 * v.nodeCpuMsDuringLoad) / v.load.ms).toFixed(0)} % of a core); tcpdumps ${v.tcpdumpCpuMsDuringLoad.map(fmt).join(' / ')} ms`);
      console.log(`    node caught up ${fmt(v.catchUpMsAfterLoad)} ms after trafgen ended; SIGINT → exit ${fmt(v.stopMs)} ms; node CPU for the burst ${fmt(v.nodeCpuMsTotal)} ms (${fmt(Math.round((points.length * v.load.sent) / (v.nodeCpuMsTotal / 1000)))} records/s)`);
      for (const h of s.hops ?? []) console.log(`    hop ${h.hop}: p50 ${h.p50} p99 ${h.p99} (${fmt(h.count)})`);
      if (v.stderr.length) console.log(`    stderr: ${v.stderr.join(' | ')}`);
      v.completePct = Number(pct);
    }
    if (pair.bare && pair.vethcap) {
      pair.ratio = rate(pair.vethcap.load) / rate(pair.bare.load);
      console.log(`    pair ${k + 1}: trafgen under vethcap at ${(100 * pair.ratio).toFixed(1)} % of its rate under bare tcpdump`);
    }
    pairs.push(pair);
  }
  result.pairs = pairs;
  // The first pair's runs, where the old single-run fields were.
  if (pairs[0]?.bare) result.bare = pairs[0].bare;
  if (pairs[0]?.vethcap) result.vethcap = pairs[0].vethcap;
  if (pairs.length > 0 && pairs.every((p) => p.ratio !== undefined)) {
    const bareRates = pairs.map((p) => rate(p.bare.load));
    const vcRates = pairs.map((p) => rate(p.vethcap.load));
    const drops = pairs.flatMap((p) => (p.vethcap.summary.capture ?? []).map((c) => c.droppedByKernel ?? 0));
    const completes = pairs.map((p) => p.vethcap.completePct);
    result.live = {
      pairs: pairs.length,
      ratios: pairs.map((p) => +p.ratio.toFixed(3)),
      medianRatio: median(pairs.map((p) => p.ratio)),
      bareMedianPps: Math.round(median(bareRates)),
      vethcapMedianPps: Math.round(median(vcRates)),
      vethcapKernelDrops: drops.reduce((a, b) => a + b, 0),
      minCompletePct: Math.min(...completes),
    };
    const l = result.live;
    console.log(`\n[live] ${l.pairs} interleaved pairs, ${points.length} points: trafgen under vethcap at ${(100 * l.medianRatio).toFixed(1)} % of its rate under bare tcpdump (median; goal ≥ 90 %); pairs ${l.ratios.map((r) => `${(100 * r).toFixed(0)} %`).join(', ')}`);
    console.log(`    median send rate: bare ${fmt(l.bareMedianPps)} pkt/s, vethcap ${fmt(l.vethcapMedianPps)} pkt/s; vethcap kernel drops ${fmt(l.vethcapKernelDrops)} in all; complete paths ≥ ${l.minCompletePct} % of sent in every run (goal ≥ 99.9 %)`);
  }
  if (!SKIP.has('arm')) {
    const a = (result.arm = await armTimes(points, lab));
    const boot = a.vethcapMedianMs - a.vethcapStartMedianMs - a.vethcapLookupMedianMs;
    console.log(`\n[c] start-to-armed, median of ${ARM_RUNS}: bare tcpdumps ${a.bareMedianMs.toFixed(0)} ms; vethcap's tcpdumps ${a.vethcapStartMedianMs.toFixed(0)} ms, ratio ${a.startRatio.toFixed(2)}× (goal ≤ 1.5×)`);
    console.log(`    plus vethcap's checks and look-up ${a.vethcapLookupMedianMs.toFixed(0)} ms and node's start-up ~${boot.toFixed(0)} ms: ${a.vethcapMedianMs.toFixed(0)} ms from exec, ${a.ratio.toFixed(2)}× bare`);
    console.log(`    bare ${a.bareMs.map((x) => x.toFixed(0)).join(', ')}; vethcap from exec ${a.vethcapMs.map((x) => x.toFixed(0)).join(', ')}; its tcpdumps ${a.vethcapStartMs.join(', ')}`);
  }
  if (DOCKER) {
    const a = (result.dockerArm = await dockerArmTimes(lab));
    console.log(`\n[e] start-to-armed on two Docker containers (${a.points.length} points: ${a.points.join(', ')}), median of ${ARM_RUNS}:`);
    console.log(`    bare tcpdumps ${a.bareMedianMs.toFixed(0)} ms; vethcap's tcpdumps ${a.vethcapStartMedianMs.toFixed(0)} ms, ratio ${a.startRatio.toFixed(2)}×; checks and Docker look-up ${a.vethcapLookupMedianMs.toFixed(0)} ms; ${a.vethcapMedianMs.toFixed(0)} ms from exec`);
  }
  if (SOAK_S > 0) {
    const s = (result.soak = await soak(lab, box, cfg));
    console.log(`\n[d] memory over a ${SOAK_S} s trace at ${fmt(SOAK_PPS)} pkt/s (trafgen --rate), every 5 s: RSS MiB / spool MiB on disk`);
    console.log(`    ${s.series.map((x) => `${x.t}s:${x.rssMiB}/${x.spoolMiB}`).join('  ')}`);
    console.log(`    RSS median first third ${s.earlyMedianMiB} MiB, last third ${s.lateMedianMiB} MiB, max ${s.maxMiB} MiB; spool max ${s.maxSpoolMiB} MiB`);
    console.log(`    paths ${fmt(s.summary.paths)}, complete ${fmt(s.summary.complete)} of ${fmt(s.load.sent)} sent; kernel drops ${(s.summary.capture ?? []).map((c) => fmt(c.droppedByKernel)).join(' / ')}`);
  }
  result.loadavgAtEnd = loadavg();
  console.log(`\nload average (1 min) at start ${result.loadavgAtStart[0].toFixed(2)}, at end ${result.loadavgAtEnd[0].toFixed(2)} on ${result.nproc} CPUs (other work on the machine skews every figure)`);
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  writeFileSync(resolve(root, OUT), JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${OUT}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  if (!interrupted) await cleanup();
}
