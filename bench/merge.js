// `vethcap merge` against mergecap on the same two captures, end to end (processes).
// Run: npm run build && node bench/merge.js [packets per file, default 1000000] [large run, default 4x]
//
// Two nanosecond pcap files of N 60-byte Ethernet/IPv4/UDP frames, "the same traffic
// at two points": A holds packet i at i x 3 us (~330 k packets/s, the fastest generator
// measured here), B the same frame 1-20 us later (a veth hop), both in time order.
// Measured (best of 3, wall time of the whole process): mergecap -F pcapng, vethcap
// merge (correlating, pcapng with comments), vethcap merge --no-comments; peak RSS from
// /usr/bin/time. Then peak RSS of vethcap at N and at the large count (memory should be
// flat), and a correctness check on a small run with capinfos and tshark.
// Results: a table on stdout and bench/out/merge.json.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] ?? 1_000_000);
const BIG = Number(process.argv[3] ?? 4 * N);
const CHECK_N = 10_000;
const RUNS = 3;
const VETHCAP = join(root, 'bin/vethcap');
const TIME = '/usr/bin/time';

for (const tool of ['mergecap', 'capinfos', 'tshark', TIME]) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.error(`bench/merge: ${tool} is missing (apt-get install -y wireshark-common tshark time)`);
    process.exit(1);
  }
}

const BASE_SEC = 1_764_333_971;
const FRAME = 60;
const REC = 16 + FRAME;

/** Frame i: MACs box→web, IPv4 id = i, UDP ports from i, payload holds i (so every packet differs). */
function writeFrame(b, o, i) {
  b.set([0x02, 0x42, 0xc6, 0x12, 0x00, 0x03, 0x02, 0x42, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00], o);
  b.set([0x45, 0, 0, 46, (i >>> 8) & 0xff, i & 0xff, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 2, 198, 18, 0, 3], o + 14);
  const sport = 1024 + (i % 60000);
  const dport = 1024 + ((i * 7) % 60000);
  b.set([sport >>> 8, sport & 0xff, dport >>> 8, dport & 0xff, 0, 26, 0, 0], o + 34);
  for (let k = 0; k < 18; k++) b[o + 42 + k] = 0;
  b[o + 42] = (i >>> 24) & 0xff;
  b[o + 43] = (i >>> 16) & 0xff;
  b[o + 44] = (i >>> 8) & 0xff;
  b[o + 45] = i & 0xff;
}

/** The hop delay of packet i at B: 1-20 us, pseudo-random but reproducible. */
function hopNs(i) {
  const x = Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return 1000 + (x % 19001);
}

/** Writes a nanosecond pcap of `order.length` packets: packet order[k] at times[order[k]]. */
function writePcap(path, n, timeOf, order) {
  const fd = openSync(path, 'w');
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b23c4d, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  writeSync(fd, header);
  const BATCH = 65536;
  const buf = Buffer.alloc(BATCH * REC);
  for (let k = 0; k < n; k += BATCH) {
    const end = Math.min(n, k + BATCH);
    for (let j = k; j < end; j++) {
      const i = order ? order[j] : j;
      const t = timeOf(i);
      const o = (j - k) * REC;
      buf.writeUInt32LE(BASE_SEC + Math.floor(t / 1e9), o);
      buf.writeUInt32LE(t % 1e9, o + 4);
      buf.writeUInt32LE(FRAME, o + 8);
      buf.writeUInt32LE(FRAME, o + 12);
      writeFrame(buf, o + 16, i);
    }
    writeSync(fd, buf, 0, (end - k) * REC);
  }
  closeSync(fd);
}

/** A and B for n packets in dir. */
function synthesize(dir, n) {
  const a = join(dir, `a-${n}.pcap`);
  const b = join(dir, `b-${n}.pcap`);
  writePcap(a, n, (i) => i * 3000);
  // B in time order: the delays reorder neighbours; insertion sort of a nearly sorted list.
  const tb = (i) => i * 3000 + hopNs(i);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let j = i;
    const t = tb(i);
    while (j > 0 && tb(order[j - 1]) > t) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = i;
  }
  writePcap(b, n, tb, order);
  return [a, b];
}

/** Runs argv under /usr/bin/time: wall ms (measured here), peak RSS in MiB. */
function timed(argv) {
  const rssFile = join(dir, 'time.txt');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(TIME, ['-f', '%M', '-o', rssFile, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.signal ?? r.status}): ${r.stderr}`);
  const kb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  return { ms, rssMiB: kb / 1024 };
}

function best(argv) {
  const runs = [];
  for (let k = 0; k < RUNS; k++) runs.push(timed(argv));
  runs.sort((x, y) => x.ms - y.ms);
  return { ms: runs[0].ms, rssMiB: Math.max(...runs.map((r) => r.rssMiB)), runsMs: runs.map((r) => Math.round(r.ms)) };
}

function capinfosCount(path) {
  const r = spawnSync('capinfos', ['-M', '-c', path], { encoding: 'utf8' });
  const m = /Number of packets:\s*(\d+)/.exec(r.stdout);
  return m ? Number(m[1]) : -1;
}

const dir = mkdtempSync(join(tmpdir(), 'vethcap-bench-merge-'));
const results = { packetsPerFile: N, bigPacketsPerFile: BIG, node: process.version, runs: RUNS, tools: {}, memory: {}, check: {} };
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
  const tools = [
    ['mergecap', ['mergecap', '-F', 'pcapng', '-w', out, a, b]],
    ['vethcap merge', [VETHCAP, 'merge', a, b, '-w', out, '-q']],
    ['vethcap merge --no-comments', [VETHCAP, 'merge', a, b, '-w', out, '-q', '--no-comments']],
  ];
  for (const [name, argv] of tools) {
    const r = best(argv);
    const written = capinfosCount(out);
    if (written !== 2 * N) {
      console.log(`${name}: wrote ${written} packets, want ${2 * N}`);
      failed = true;
    }
    results.tools[name] = { ms: Math.round(r.ms), packetsPerSec: Math.round((2 * N) / (r.ms / 1000)), peakRssMiB: Math.round(r.rssMiB), runsMs: r.runsMs, written };
  }
  const base = results.tools.mergecap.ms;
  for (const r of Object.values(results.tools)) r.ratio = Number((r.ms / base).toFixed(2));

  // Memory flatness: one run each at N and BIG.
  results.memory[N] = Math.round(results.tools['vethcap merge'].peakRssMiB);
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

  console.log(`\n2 x ${N} packets, best of ${RUNS} (wall time of the process)`);
  console.log(`${'tool'.padEnd(30)} ${'ms'.padStart(7)} ${'M pkt/s'.padStart(8)} ${'ratio'.padStart(6)} ${'peak RSS'.padStart(9)}`);
  for (const [name, r] of Object.entries(results.tools)) {
    console.log(`${name.padEnd(30)} ${String(r.ms).padStart(7)} ${(r.packetsPerSec / 1e6).toFixed(2).padStart(8)} ${r.ratio.toFixed(2).padStart(6)} ${`${r.peakRssMiB} MiB`.padStart(9)}`);
  }
  console.log(`vethcap merge peak RSS: ${Object.entries(results.memory).map(([n, m]) => `${n} per file ${m} MiB`).join(', ')}` +
    (results.bigRun ? ` (${BIG} per file took ${results.bigRun.ms} ms, ${(results.bigRun.packetsPerSec / 1e6).toFixed(2)} M packets/s)` : ''));
  mkdirSync(join(root, 'bench/out'), { recursive: true });
  writeFileSync(join(root, 'bench/out/merge.json'), JSON.stringify(results, null, 2) + '\n');
} finally {
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
