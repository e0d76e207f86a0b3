// Start-up benchmark of `vethcap trace` on two Docker containers, against its peer: bare
// tcpdumps on the same five points, started as vethcap starts its own.
// Run (root, Docker engine up, the Docker tests' image vethcap-test/busybox:1 imported):
//   npm run build && node bench/start.js [--runs N] [--out FILE] [--profile DIR] [--also BIN]
//
// One user network on a random /24 of 198.18.0.0/15 and two containers on it (unique names,
// removed at the end, on failure and on Ctrl-C). vethcap plans five points for them: a:eth0,
// host:<a's veth>, host:<bridge>, host:<b's veth>, b:eth0. Measured in N interleaved pairs
// (default 7; the order within a pair alternates), medians reported:
//   bare     five tcpdumps with vethcap's own flags (tcpdumpArgs: -w - -U -n nano -s 262144
//            -B 8192), the namespace ends under `nsenter --net=/proc/PID/ns/net --`, each in its
//            own process group writing into a file as vethcap's write into their spool files;
//            from the first spawn until every one has said "listening on".
//   vethcap  `vethcap trace a b -q -w FILE -- date +%s%N`:
//            - exec → CMD: from this script's spawn of node until `date` runs in a's namespace
//              (its nanosecond clock, printed on vethcap's stderr, against this one's);
//            - arming: vethcap's own figure, from starting its tcpdumps until all listen;
//            - look-up: vethcap's own figure, the checks, the resolve of both targets (Docker
//              included) and the plan.
// --also BIN: in each pair, another build's bin/vethcap too (e.g. the last release, built
// elsewhere), measured the same way: a before/after under the same load.
// Goals (issue 15): exec → CMD ≤ 3× bare; arming ≤ 1.2× bare; look-up ≤ 50 ms.
// Writes bench/out/start.json (--out to change).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tcpdumpArgs } from '../dist/capture/tcpdump.js';
import { DEFAULT_BUFFER_KIB } from '../dist/capture/live-source.js';
import { resolveTargets } from '../dist/resolve/resolve.js';
import { planPoints } from '../dist/plan/plan.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 7));
const OUT = opt('out', 'bench/out/start.json');
const PROFILE_DIR = opt('profile');
const ALSO = opt('also'); // another build's bin/vethcap, measured in every pair too
const IMAGE = 'vethcap-test/busybox:1';

const dir = mkdtempSync(join(tmpdir(), 'vethcap-startbench-'));
const children = new Set();
const docker = { containers: [], network: undefined };
let interrupted = false;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const nowMs = () => performance.timeOrigin + performance.now(); // wall clock, sub-millisecond

function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function exited(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

function dockerCmd(...args) {
  const r = spawnSync('docker', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
}

async function cleanup() {
  for (const c of children) {
    try { process.kill(-c.pid, 'SIGINT'); } catch { try { process.kill(c.pid, 'SIGINT'); } catch { /* gone */ } }
  }
  const deadline = Date.now() + 3000;
  while (children.size > 0 && Date.now() < deadline) await sleep(50);
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  if (docker.containers.length) spawnSync('docker', ['rm', '-f', ...docker.containers.splice(0)], { stdio: 'ignore' });
  if (docker.network) spawnSync('docker', ['network', 'rm', docker.network], { stdio: 'ignore' });
  docker.network = undefined;
  rmSync(dir, { recursive: true, force: true });
}

function bail(why, code) {
  if (interrupted) return;
  interrupted = true;
  try { console.error(`\n${why}: stopping everything and removing the containers`); } catch { /* stderr gone */ }
  cleanup().finally(() => process.exit(code));
}
process.on('SIGINT', () => bail('interrupted', 130));
process.on('SIGTERM', () => bail('terminated', 143));
for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
process.on('uncaughtException', (error) => bail(`internal error ${error?.stack ?? error}`, 1));

/** Two containers of the test image on a network of their own, in 198.18.0.0/15. */
function containers() {
  if (spawnSync('docker', ['image', 'inspect', IMAGE], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`the image ${IMAGE} is missing: the Docker tests import it (npx vitest run test/docker/resolve.test.ts), then run this again`);
  }
  const id = Math.random().toString(16).slice(2, 8);
  const network = `vcs-${id}`;
  // A /24 away from docker0's 198.18.0.0/24 and the labs'; another one if it is taken.
  for (let attempt = 0; ; attempt++) {
    const subnet = `198.18.${64 + Math.floor(Math.random() * 180)}.0/24`;
    const r = spawnSync('docker', ['network', 'create', '--driver', 'bridge', '--subnet', subnet, network], { encoding: 'utf8' });
    if (r.status === 0) break;
    if (attempt >= 5) throw new Error(`docker network create: ${r.stderr.trim()}`);
  }
  docker.network = network;
  const names = [`${network}-a`, `${network}-b`];
  for (const name of names) {
    docker.containers.push(name);
    dockerCmd('run', '-d', '--network', network, '--name', name, IMAGE, 'sleep', '3600');
  }
  return names;
}

/** The bare peer: one tcpdump per point, as vethcap's CaptureSession starts them. */
async function bare(points, run) {
  const files = points.map((_, i) => openSync(join(dir, `bare-${run}-${i}.pcap`), 'w'));
  const t0 = performance.now();
  const caps = points.map((p, i) => {
    const args = tcpdumpArgs({ label: p.label, ifname: p.ifname, snaplen: p.snaplen, bufferSizeKiB: DEFAULT_BUFFER_KIB, immediate: false });
    const [bin, rest] = p.netnsPath ? ['nsenter', [`--net=${p.netnsPath}`, '--', 'tcpdump', ...args]] : ['tcpdump', args];
    const child = track(spawn(bin, rest, { stdio: ['ignore', files[i], 'pipe'], detached: true, env: { ...process.env, LC_ALL: 'C' } }));
    let text = '';
    const listening = new Promise((resolve, reject) => {
      child.stderr.on('data', (c) => {
        text += c;
        if (/listening on/.test(text)) resolve(performance.now() - t0);
      });
      child.once('exit', () => reject(new Error(`bare tcpdump at ${p.label} ended before listening: ${text.trim()}`)));
    });
    listening.catch(() => undefined);
    return { child, listening };
  });
  try {
    return Math.max(...(await Promise.all(caps.map((c) => c.listening))));
  } finally {
    for (const c of caps) {
      try { process.kill(-c.child.pid, 'SIGINT'); } catch { /* gone */ }
    }
    await Promise.all(caps.map((c) => exited(c.child)));
    files.forEach((fd, i) => {
      closeSync(fd);
      rmSync(join(dir, `bare-${run}-${i}.pcap`), { force: true });
    });
  }
}

/** `vethcap trace a b -- date +%s%N`: exec → CMD, and vethcap's own arming and look-up figures. */
async function vethcap(names, run, bin = join(root, 'bin/vethcap')) {
  const out = join(dir, `trace-${run}.pcapng`);
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const t0 = nowMs();
  const child = track(
    spawn(process.execPath, [...profile, bin, 'trace', ...names, '-q', '-w', out, '--', 'date', '+%s%N'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    }),
  );
  let stderr = '';
  child.stdout.on('data', () => undefined);
  child.stderr.on('data', (c) => (stderr += c));
  const code = await exited(child);
  await new Promise((r) => (child.stderr.readableEnded ? r() : child.stderr.once('end', r)));
  rmSync(out, { force: true });
  const cmd = /^(\d{19})$/m.exec(stderr);
  const armed = /points armed in (\d+) ms \(look-up (\d+) ms\)/.exec(stderr);
  if (code !== 0 || !cmd || !armed) throw new Error(`vethcap trace exited ${code}: ${stderr.trim().slice(-600)}`);
  return { execToCmdMs: Number(BigInt(cmd[1]) / 1000n) / 1000 - t0, armingMs: Number(armed[1]), lookupMs: Number(armed[2]) };
}

try {
  const names = containers();
  const resolved = await resolveTargets(names, { discoverOwners: false });
  const points = planPoints(resolved.targets, {});
  console.log(`two containers (${names.join(', ')}), ${points.length} points: ${points.map((p) => p.label).join(', ')}`);
  const loadAtStart = loadavg();
  const rows = [];
  for (let r = 0; r < RUNS; r++) {
    const row = {};
    const steps = [
      async () => (row.bareMs = await bare(points, r)),
      async () => Object.assign(row, await vethcap(names, r)),
      ...(ALSO ? [async () => (row.also = await vethcap(names, r, ALSO))] : []),
    ];
    if (r % 2 === 1) steps.reverse();
    for (const step of steps) await step();
    rows.push(row);
    const also = row.also ? ` | --also: exec → CMD ${row.also.execToCmdMs.toFixed(0)} ms, arming ${row.also.armingMs} ms, look-up ${row.also.lookupMs} ms` : '';
    console.log(`  pair ${r + 1}: bare ${row.bareMs.toFixed(0)} ms | vethcap exec → CMD ${row.execToCmdMs.toFixed(0)} ms, arming ${row.armingMs} ms, look-up ${row.lookupMs} ms${also}`);
  }
  const m = (k) => median(rows.map((x) => x[k]));
  const result = {
    date: new Date().toISOString(),
    points: points.map((p) => p.label),
    runs: rows,
    bareMedianMs: m('bareMs'),
    execToCmdMedianMs: m('execToCmdMs'),
    armingMedianMs: m('armingMs'),
    lookupMedianMs: m('lookupMs'),
    loadavgAtStart: loadAtStart,
    loadavgAtEnd: loadavg(),
  };
  result.execToCmdRatio = result.execToCmdMedianMs / result.bareMedianMs;
  if (ALSO) {
    const a = (k) => median(rows.map((x) => x.also[k]));
    result.also = { bin: ALSO, execToCmdMedianMs: a('execToCmdMs'), armingMedianMs: a('armingMs'), lookupMedianMs: a('lookupMs') };
  }
  result.armingRatio = result.armingMedianMs / result.bareMedianMs;
  const ok = (b) => (b ? 'met' : 'NOT met');
  console.log(`\nmedian of ${RUNS} interleaved pairs:`);
  console.log(`  bare tcpdumps armed           ${result.bareMedianMs.toFixed(0)} ms`);
  console.log(`  vethcap exec → CMD running    ${result.execToCmdMedianMs.toFixed(0)} ms = ${result.execToCmdRatio.toFixed(2)}× bare (goal ≤ 3×: ${ok(result.execToCmdRatio <= 3)})`);
  console.log(`  vethcap's tcpdumps armed      ${result.armingMedianMs.toFixed(0)} ms = ${result.armingRatio.toFixed(2)}× bare (goal ≤ 1.2×: ${ok(result.armingRatio <= 1.2)})`);
  console.log(`  look-up (checks, resolve, plan) ${result.lookupMedianMs.toFixed(0)} ms (goal ≤ 50 ms: ${ok(result.lookupMedianMs <= 50)})`);
  if (result.also) {
    const a = result.also;
    console.log(`  --also ${ALSO}: exec → CMD ${a.execToCmdMedianMs.toFixed(0)} ms = ${(a.execToCmdMedianMs / result.bareMedianMs).toFixed(2)}× bare, arming ${a.armingMedianMs.toFixed(0)} ms = ${(a.armingMedianMs / result.bareMedianMs).toFixed(2)}×, look-up ${a.lookupMedianMs.toFixed(0)} ms`);
  }
  console.log(`load average (1 min) at start ${loadAtStart[0].toFixed(2)}, at end ${result.loadavgAtEnd[0].toFixed(2)}`);
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  writeFileSync(resolve(root, OUT), JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${OUT}`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  if (!interrupted) await cleanup();
}
