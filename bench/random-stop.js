// The random-stop harness: stops a healthy five-point trace at random moments, in every way a
// trace can be stopped, and checks that no verdict is false at the edge.
// Run (root): npm run build && node bench/random-stop.js [runs] [--seed N] [--modes sigint,head] [--out FILE]
// The lab test (test/lab/random-stop.test.ts) runs 10 of them; this script runs as many as asked
// (100 by default) and writes bench/out/random-stop.json.
//
// Each run traces ping between two lab namespaces on a bridge (box:eth0, box's host veth, the
// bridge, web's host veth, web:eth0) with `--json -w FILE` and stops it by one of:
//   sigint, sigterm  the signal, 1.5-3.5 s after the start;
//   double           SIGINT, then a second one 50-1050 ms later (a user pressing Ctrl-C twice,
//                    or a harness that signals again when the first seems slow): the drain
//                    must still be waited for;
//   duration         -d 1.5-3.5;
//   head             the reader of stdout goes away after 10-120 lines (as `| head`);
//   command          the ping after -- ends by itself (-c 50-100).
// Nothing drops on the lab (no rule, no qdisc), so every path that gets a verdict must be
// complete: a path called lost or undetermined is a false verdict. Also checked per run:
// the pcapng reads to its end in tshark and says the same in its comments, no tcpdump of the
// run is left, and the spool directory is empty.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(root, 'bin/vethcap');
export const MODES = ['sigint', 'sigterm', 'duration', 'head', 'command', 'double'];

/** A small seeded generator (mulberry32), so a failing run can be repeated with --seed. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** tcpdumps whose command line names one of this lab's interfaces. */
function labTcpdumps(lab) {
  const names = [lab.bridge, ...lab.hosts.map((h) => h.hostIf)];
  const out = spawnSync('pgrep', ['-x', 'tcpdump'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return out.filter((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return names.some((n) => cmd.includes(n)) || lab.hosts.some((h) => cmd.includes(h.netns));
    } catch {
      return false;
    }
  });
}

/**
 * One run: starts the trace, stops it as `mode` says at a moment drawn from `rnd`, and returns
 * what it found. `lab` is a lab from createLab({ hosts: ['box', 'web'] }).
 */
export async function stopOnce(lab, mode, rnd, dir) {
  const file = join(dir, `run-${process.pid}-${Date.now()}.pcapng`);
  const spool = mkdtempSync(join(dir, 'spool-'));
  const box = lab.host('box');
  const web = lab.host('web');
  const atMs = Math.round(1500 + rnd() * 2000);
  const args = ['trace', `box=netns:${box.netns}`, `web=netns:${web.netns}`, '--filter', 'icmp', '--json', '-w', file];
  if (mode === 'duration') args.push('-d', (atMs / 1000).toFixed(2));
  const count = mode === 'command' ? 50 + Math.floor(rnd() * 50) : 1000;
  args.push('--', 'ping', '-c', String(count), '-i', '0.02', web.ip);
  const child = spawn(BIN, args, { env: { ...process.env, VETHCAP_SPOOL_DIR: spool }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const headLines = 10 + Math.floor(rnd() * 110);
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.on('data', (d) => {
    stdout += d;
    if (mode === 'head' && stdout.split('\n').length > headLines && !child.stdout.destroyed) child.stdout.destroy();
  });
  child.stdout.on('error', () => undefined);
  let timer;
  let second;
  // The stop comes at a random moment of a running trace: counted from the command's first
  // words (it starts once every point is armed), not from the spawn, which on a loaded
  // machine may come before vethcap has even started (a stop during start-up is another test's).
  const signal = mode === 'sigterm' ? 'SIGTERM' : 'SIGINT';
  const stopAfter = Math.max(0, atMs - 1300);
  if (mode === 'sigint' || mode === 'sigterm' || mode === 'double') {
    let armed = false;
    child.stderr.on('data', () => {
      if (armed || !stderr.includes('PING')) return;
      armed = true;
      timer = setTimeout(() => child.kill(signal), stopAfter);
      if (mode === 'double') second = setTimeout(() => child.kill('SIGINT'), stopAfter + 50 + Math.floor(rnd() * 1000));
    });
  }
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise((resolve) => child.on('close', (c, s) => resolve(c ?? s)));
  clearTimeout(timer);
  clearTimeout(second);
  clearTimeout(guard);

  const lines = stdout.split('\n').filter((l) => l.startsWith('{'));
  const paths = [];
  let summary = null;
  for (const l of mode === 'head' ? lines.slice(0, headLines) : lines) {
    try {
      const o = JSON.parse(l);
      if (o.summary !== null && typeof o.summary === 'object') summary = o.summary;
      else paths.push(o);
    } catch {
      // a line cut by the reader going away
    }
  }
  const verdicts = {};
  for (const p of paths) verdicts[p.verdict] = (verdicts[p.verdict] ?? 0) + 1;
  const ts = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.packet_id', '-e', 'frame.comment'], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const rows = ts.stdout.split('\n').filter(Boolean);
  const falseInFile = rows.filter((r) => /lost between|undetermined/.test(r)).length;
  const expected = { sigint: 130, sigterm: 143, duration: 0, head: 141, command: 0, double: 130 }[mode];
  // A second Ctrl-C that lands while node tears itself down, after vethcap finished and
  // printed its summary (its handlers are gone by then), ends the process by the signal:
  // the shell shows 130 as for exit 130, and nothing was cut. Only then is it the same.
  const finished = summary !== null && mode === 'double' && code === 'SIGINT';
  const leftTcpdumps = labTcpdumps(lab);
  const leftSpool = readdirSync(spool);
  rmSync(spool, { recursive: true, force: true });
  rmSync(file, { force: true });
  const falsePaths = paths.filter((p) => p.verdict === 'lost' || p.verdict === 'undetermined');
  return {
    mode,
    atMs,
    exitCode: code,
    exitOk: code === expected || finished,
    paths: paths.length,
    verdicts,
    falseVerdicts: falsePaths.length,
    falseExample: falsePaths[0] ? { verdict: falsePaths[0].verdict, lost: falsePaths[0].lost, notCaptured: falsePaths[0].notCaptured, hops: falsePaths[0].hops.map((h) => h.point) } : null,
    summary: summary && { paths: summary.paths, complete: summary.complete, lost: summary.lost, notCaptured: summary.notCaptured, undetermined: summary.undetermined, afterStop: summary.afterStop },
    pcapngPackets: rows.length,
    pcapngReadable: ts.status === 0,
    pcapngFalse: falseInFile,
    tcpdumpsLeft: leftTcpdumps.length,
    spoolLeft: leftSpool.length,
    stderr: code === expected || finished ? '' : stderr.slice(-2000),
  };
}

/** `runs` runs, the modes in turn, moments drawn from `seed`. */
export async function stopMany(lab, runs, seed, onRun = () => undefined, modes = MODES) {
  const rnd = random(seed);
  const dir = mkdtempSync(join(tmpdir(), 'vethcap-random-stop-'));
  const results = [];
  try {
    for (let i = 0; i < runs; i++) {
      const r = await stopOnce(lab, modes[i % modes.length], rnd, dir);
      results.push(r);
      onRun(r, i);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** Totals over the runs. */
export function tally(results) {
  const t = { runs: results.length, paths: 0, falseVerdicts: 0, pcapngFalse: 0, unreadable: 0, badExit: 0, tcpdumpsLeft: 0, spoolLeft: 0, notCaptured: 0, afterStop: 0, byMode: {} };
  for (const r of results) {
    t.paths += r.paths;
    t.falseVerdicts += r.falseVerdicts;
    t.pcapngFalse += r.pcapngFalse;
    t.unreadable += r.pcapngReadable ? 0 : 1;
    t.badExit += r.exitOk ? 0 : 1;
    t.tcpdumpsLeft += r.tcpdumpsLeft;
    t.spoolLeft += r.spoolLeft;
    t.notCaptured += r.verdicts['not-captured'] ?? 0;
    t.afterStop += r.summary?.afterStop ?? 0;
    t.byMode[r.mode] = (t.byMode[r.mode] ?? 0) + 1;
  }
  return t;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : dflt;
  };
  const runs = Number(argv.find((a, i) => !a.startsWith('--') && !(i > 0 && argv[i - 1].startsWith('--'))) ?? 100);
  const seed = Number(opt('seed', Date.now() % 1e9));
  const out = opt('out', join(root, 'bench/out/random-stop.json'));
  const { createLab } = await import('../dist/lab/lab.js');
  const lab = await createLab({ hosts: ['box', 'web'] });
  const cleanup = async () => {
    await lab.destroy();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));
  try {
    console.log(`random-stop: ${runs} runs, seed ${seed}, lab ${lab.id}`);
    const modes = opt('modes', MODES.join(',')).split(',');
    const results = await stopMany(lab, runs, seed, (r, i) => {
      console.log(`${String(i + 1).padStart(4)} ${r.mode.padEnd(8)} at ${r.atMs} ms: exit ${r.exitCode}${r.exitOk ? '' : ' (unexpected)'}, ${r.paths} paths ${JSON.stringify(r.verdicts)}, pcapng ${r.pcapngPackets} packets${r.pcapngReadable ? '' : ' UNREADABLE'}, false ${r.falseVerdicts}/${r.pcapngFalse}, left ${r.tcpdumpsLeft} tcpdumps ${r.spoolLeft} spool files`);
      if (r.falseExample) console.log(`     e.g. ${JSON.stringify(r.falseExample)}`);
      if (r.stderr) console.log(`     stderr: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    }, modes);
    const t = tally(results);
    console.log(JSON.stringify(t));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify({ seed, tally: t, results }, null, 2));
    process.exitCode = t.falseVerdicts + t.pcapngFalse + t.unreadable + t.badExit + t.tcpdumpsLeft + t.spoolLeft === 0 ? 0 : 1;
  } finally {
    await cleanup();
  }
}
