// `vethcap merge` against mergecap on the same two captures, end to end (processes).
// Run: npm run build && node bench/merge.js [packets per file, default 1000000] [large run, default 4x]
// BENCH_MERGE_PAIRS=n sets the number of pairs (default 5); BENCH_MERGE_CASES=pcapng,text
// runs only those cases (names below: pcapng, no-comments, text, json).
//
// Two nanosecond pcap files of N 60-byte Ethernet/IPv4/UDP frames, "the same traffic
// at two points": A holds packet i at i x 3 us (~330 k packets/s, the fastest generator
// measured here), B the same frame 1-20 us later (a veth hop), both in time order.
// Each case is measured as PAIRS interleaved pairs against its peer, mergecap -F pcapng
// on the same inputs, run back to back (the order within a pair alternates): the ratio of
// a pair is vethcap's wall time over mergecap's, and the figures are medians over the
// pairs, so a busy machine (2 cores shared) skews both sides of a pair alike.
// Cases: vethcap merge -w OUT -q (correlating, pcapng with comments); the same with
// --no-comments; the same writing the timeline text to a file (stdout redirected), and
// NDJSON (--json) to a file. Wall time of the whole process and peak RSS from
// /usr/bin/time. Then peak RSS of vethcap at N and at the large count (memory should be
// flat), and a correctness check on a small run with capinfos and tshark.
// Results: a table on stdout and bench/out/merge.json.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { synthesize } from './synth.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 1_000_000);
const BIG = Number(process.argv[3] ?? 4 * N);
const CHECK_N = 10_000;
const PAIRS = Number(process.env.BENCH_MERGE_PAIRS ?? 5);
const CASES = process.env.BENCH_MERGE_CASES?.split(',').filter(Boolean);
const VETHCAP = join(root, 'bin/vethcap');
const TIME = '/usr/bin/time';

for (const tool of ['mergecap', 'capinfos', 'tshark', TIME]) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench/merge: ${tool} is missing (apt-get install -y wireshark-common tshark time)`);
    process.exit(1);
  }
}

/** Runs argv under /usr/bin/time (stdout to `stdoutPath` when given): wall ms (measured here), CPU ms (user + system), peak RSS in MiB. */
function timed(argv, stdoutPath) {
  const rssFile = join(dir, 'time.txt');
  const fd = stdoutPath ? openSync(stdoutPath, 'w') : 'ignore';
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%M %U %S', '-o', rssFile, ...argv], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (typeof fd === 'number') closeSync(fd);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.signal ?? r.status}): ${r.stderr}`);
  const [kb, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { ms, cpuMs: (user + sys) * 1000, rssMiB: kb / 1024 };
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function capinfosCount(path) {
  const r = spawnSync('capinfos', ['-M', '-c', path], { encoding: 'utf8' });
  const m = /Number of packets:\s*(\d+)/.exec(r.stdout);
  return m ? Number(m[1]) : -1;
}

const dir = mkdtempSync(join(tmpdir(), 'vethcap-bench-merge-'));
const results = { packetsPerFile: N, bigPacketsPerFile: BIG, node: process.version, pairs: PAIRS, tools: {}, memory: {}, check: {} };
let failed = false;
try {
  // Correctness on a small run: 2N packets written, N distinct packet ids, two copies each.
  {
    const [a, b] = synthesize(dir, CHECK_N);
    const out = join(dir, 'check.pcapng');
    const r = spawnSync(VETHCAP, ['merge', a, b, '-w', out, '-q'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`vethcap merge failed: ${r.stderr}`);
    const count = capinfosCount(out);
    const ts = spawnSync('tshark', ['-r', out, '-T', 'fields', '-e', 'frame.packet_id'], { encoding: 'utf8', maxBuffer: 1 << 28 });
    const perId = new Map();
    for (const line of ts.stdout.split('\n')) if (line !== '') perId.set(line, (perId.get(line) ?? 0) + 1);
    const pairs = [...perId.values()].filter((c) => c === 2).length;
    results.check = { packets: CHECK_N, written: count, distinctIds: perId.size, idsWithTwoCopies: pairs };
    const ok = count === 2 * CHECK_N && perId.size === CHECK_N && pairs === CHECK_N;
    results.check.ok = ok;
    console.log(`check (${CHECK_N} per file): capinfos ${count} packets (want ${2 * CHECK_N}), ${perId.size} distinct packet ids (want ${CHECK_N}), ${pairs} with 2 copies: ${ok ? 'ok' : 'WRONG'}`);
    if (!ok) failed = true;
  }

  let t0 = Date.now();
  const [a, b] = synthesize(dir, N);
  console.log(`synthesized 2 x ${N} packets in ${Date.now() - t0} ms`);
  const out = join(dir, 'out.pcapng');
  const text = join(dir, 'timeline.out');
  const mergecap = ['mergecap', '-F', 'pcapng', '-w', join(dir, 'mergecap.pcapng'), a, b];
  // [key, title, argv, stdout file]
  const cases = [
    ['pcapng', 'vethcap merge -w OUT -q', [VETHCAP, 'merge', a, b, '-w', out, '-q']],
    ['no-comments', 'vethcap merge -w OUT -q --no-comments', [VETHCAP, 'merge', a, b, '-w', out, '-q', '--no-comments']],
    ['text', 'vethcap merge -w OUT > timeline.txt', [VETHCAP, 'merge', a, b, '-w', out], text],
    ['json', 'vethcap merge -w OUT --json > out.ndjson', [VETHCAP, 'merge', a, b, '-w', out, '--json'], text],
  ].filter(([key]) => !CASES || CASES.includes(key));
  for (const [key, name, argv, stdoutPath] of cases) {
    const pairs = [];
    for (let k = 0; k < PAIRS; k++) {
      // Alternate which side of the pair runs first.
      let m;
      let v;
      if (k % 2 === 0) {
        m = timed(mergecap);
        v = timed(argv, stdoutPath);
      } else {
        v = timed(argv, stdoutPath);
        m = timed(mergecap);
      }
      pairs.push({ mergecapMs: m.ms, ms: v.ms, cpuMs: v.cpuMs, mergecapCpuMs: m.cpuMs, rssMiB: v.rssMiB, ratio: v.ms / m.ms });
    }
    const written = capinfosCount(out);
    if (written !== 2 * N) {
      console.log(`${name}: wrote ${written} packets, want ${2 * N}`);
      failed = true;
    }
    const ms = median(pairs.map((p) => p.ms));
    results.tools[key] = {
      name,
      ms: Math.round(ms),
      mergecapMs: Math.round(median(pairs.map((p) => p.mergecapMs))),
      ratio: Number(median(pairs.map((p) => p.ratio)).toFixed(2)),
      cpuMs: Math.round(median(pairs.map((p) => p.cpuMs))),
      mergecapCpuMs: Math.round(median(pairs.map((p) => p.mergecapCpuMs))),
      packetsPerSec: Math.round((2 * N) / (ms / 1000)),
      peakRssMiB: Math.round(Math.max(...pairs.map((p) => p.rssMiB))),
      pairs: pairs.map((p) => [Math.round(p.mergecapMs), Math.round(p.ms)]),
      written,
    };
    const r = results.tools[key];
    console.log(`${name}: ${r.ms} ms vs mergecap ${r.mergecapMs} ms, ratio ${r.ratio.toFixed(2)} (median of ${PAIRS} pairs: ${r.pairs.map(([x, y]) => `${x}/${y}`).join(' ')})`);
  }

  // Memory flatness: one run each at N and BIG.
  if (results.tools.pcapng) results.memory[N] = results.tools.pcapng.peakRssMiB;
  rmSync(a);
  rmSync(b);
  if (BIG > 0) {
    t0 = Date.now();
    const [a4, b4] = synthesize(dir, BIG);
    console.log(`synthesized 2 x ${BIG} packets in ${Date.now() - t0} ms`);
    const r = timed([VETHCAP, 'merge', a4, b4, '-w', out, '-q']);
    results.memory[BIG] = Math.round(r.rssMiB);
    results.bigRun = { ms: Math.round(r.ms), packetsPerSec: Math.round((2 * BIG) / (r.ms / 1000)) };
  }

  console.log(`\n2 x ${N} packets: medians of ${PAIRS} interleaved pairs (vethcap, mergecap -F pcapng) of wall times of the process`);
  console.log(`${'case'.padEnd(42)} ${'ms'.padStart(7)} ${'mergecap'.padStart(9)} ${'ratio'.padStart(6)} ${'CPU ms'.padStart(7)} ${'M pkt/s'.padStart(8)} ${'peak RSS'.padStart(9)}`);
  for (const r of Object.values(results.tools)) {
    console.log(`${r.name.padEnd(42)} ${String(r.ms).padStart(7)} ${String(r.mergecapMs).padStart(9)} ${r.ratio.toFixed(2).padStart(6)} ${String(r.cpuMs).padStart(7)} ${(r.packetsPerSec / 1e6).toFixed(2).padStart(8)} ${`${r.peakRssMiB} MiB`.padStart(9)}`);
  }
  console.log(`vethcap merge peak RSS: ${Object.entries(results.memory).map(([n, m]) => `${n} per file ${m} MiB`).join(', ')}` +
    (results.bigRun ? ` (${BIG} per file took ${results.bigRun.ms} ms, ${(results.bigRun.packetsPerSec / 1e6).toFixed(2)} M packets/s)` : ''));
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  writeFileSync(join(root, 'bench/out/merge.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
