/**
 * Fuzzing at scale: mutated captures through the reader and the whole of `vethcap merge`
 * (planning, the reader cut in random chunks, the timestamp merge, correlation, timeline /
 * NDJSON / pcapng rendering), in one process, from in-memory inputs.
 *
 *   npm run fuzz                          # 1,000,000 cases
 *   npm run fuzz -- --cases 20000 --seed 7
 *   npm run fuzz -- --case 123456         # replay one case, print what it did
 *
 * Seeds: every file of the shared corpus (../shared/corpus, or VETHCAP_CORPUS) and of
 * fixtures/sessions; the session folders are also merged with their manifest's topology,
 * one to three of their files mutated, so correlation sees real paths with damage in them.
 * A case is a pure function of (--seed, its number), so any case can be replayed.
 *
 * Goals (exit 1 when one is missed): no crash (a VethcapError BAD_CAPTURE is the answer to
 * bad input; any other exception, or a VethcapError of another code, is a crash), no case
 * over 1 s of CPU time (wall time is reported too), heap never above 256 MiB (node runs with --max-old-space-size=256, and the heap
 * in use is sampled). Crashing inputs are written to bench/out/fuzz-crashes/.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { VethcapError } from '../src/errors.js';
import { readCaptureStream } from '../src/sources/read-capture.js';
import { CaptureParser } from '../src/pcap/parser.js';
import type { CaptureEvent } from '../src/pcap/events.js';
import { mergeFiles } from '../src/offline/merge-files.js';
import type { FileInput } from '../src/sources/file-sources.js';
import { concat, mixedPcap, mixedPcapng } from '../test/unit/pcap/build.js';
import { mulberry32, type Rand } from '../test/helpers/random.js';

/** The repository: the first folder above this file with a package.json (it runs from bench/out/bench/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const root = findRoot();

// ---- arguments ----
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const CASES = Number(arg('cases') ?? 1_000_000);
const SEED = Number(arg('seed') ?? 1);
const ONLY = arg('case') === undefined ? undefined : Number(arg('case'));
const CORPUS = process.env.VETHCAP_CORPUS ?? [join(root, '../shared/corpus'), '/work/shared/corpus'].find((p) => existsSync(p));
const LIMIT_MS = 1000;
const LIMIT_HEAP = 256 * 1024 * 1024;

// ---- randomness: one small PRNG per case, seeded from (SEED, case) ----
const int = (r: Rand, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)]!;

// ---- seeds ----
interface Seed {
  name: string;
  bytes: Uint8Array;
}
interface SessionSeed {
  dir: string;
  /** The session's capture files: path (as the manifest names it) and bytes. */
  files: Array<{ path: string; bytes: Uint8Array }>;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

function loadSeeds(): { files: Seed[]; sessions: SessionSeed[] } {
  const files: Seed[] = [
    { name: 'synthetic mixed pcapng', bytes: mixedPcapng() },
    { name: 'synthetic mixed pcap', bytes: mixedPcap() },
  ];
  if (CORPUS && existsSync(join(CORPUS, 'MANIFEST.tsv'))) {
    const listed = readFileSync(join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1).map((l) => l.split('\t')[0]).filter((f): f is string => Boolean(f));
    for (const f of listed) files.push({ name: `corpus/${f}`, bytes: new Uint8Array(readFileSync(join(CORPUS, f))) });
  } else {
    console.error(`fuzz: no corpus at ${CORPUS ?? '../shared/corpus'} (set VETHCAP_CORPUS); fixtures only`);
  }
  const sessions: SessionSeed[] = [];
  const sessionsDir = join(root, 'fixtures/sessions');
  for (const name of readdirSync(sessionsDir).sort()) {
    const dir = join(sessionsDir, name);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { points: Array<{ file: string }> };
    const session: SessionSeed = { dir, files: [] };
    for (const p of manifest.points) {
      const path = join(dir, p.file);
      const bytes = new Uint8Array(readFileSync(path));
      session.files.push({ path, bytes });
      files.push({ name: relative(root, path), bytes });
    }
    sessions.push(session);
  }
  // Anything else under fixtures that is a capture (none today besides the sessions).
  for (const f of walk(join(root, 'fixtures'))) {
    if (/\.(pcap|pcapng)$/.test(f) && !f.includes('/sessions/')) files.push({ name: relative(root, f), bytes: new Uint8Array(readFileSync(f)) });
  }
  for (const f of files) wholeSeed.set(f.bytes.buffer, f.bytes);
  return { files, sessions };
}

// ---- mutations ----
/** Where each packet's bytes lie in a seed (read once, lazily): the targets of in-packet damage. */
const packetRanges = new WeakMap<Uint8Array, Array<[number, number]>>();
/** Each seed by its memory, so a prefix of it finds the seed's packets. */
const wholeSeed = new WeakMap<ArrayBufferLike, Uint8Array>();
function packetsOf(bytes: Uint8Array): Array<[number, number]> {
  let ranges = packetRanges.get(bytes);
  if (ranges) return ranges;
  const whole = wholeSeed.get(bytes.buffer);
  if (whole && whole !== bytes && whole.byteOffset === bytes.byteOffset) {
    // A prefix of a seed (sized()): the seed's packets that lie inside it.
    ranges = packetsOf(whole).filter(([start, len]) => start + len <= bytes.length);
    packetRanges.set(bytes, ranges);
    return ranges;
  }
  ranges = [];
  const parser = new CaptureParser();
  try {
    for (const ev of [...parser.push(bytes), ...parser.end()]) {
      if (ev.kind === 'packet' && ev.data.buffer === bytes.buffer && ev.data.length > 0) ranges.push([ev.data.byteOffset - bytes.byteOffset, ev.data.length]);
    }
  } catch {
    // A seed the reader refuses (the corpus has a few): structural damage only.
  }
  packetRanges.set(bytes, ranges);
  return ranges;
}

/**
 * Damage inside packets (headers and payload, and the record header just before): the
 * file still reads, so the decoder and correlation see the odd packets.
 */
function mutatePackets(r: Rand, original: Uint8Array, log: string[]): Uint8Array | undefined {
  const ranges = packetsOf(original);
  if (ranges.length === 0) return undefined;
  const b = original.slice();
  const steps = 1 + int(r, 6);
  for (let s = 0; s < steps; s++) {
    const [start, len] = pick(r, ranges);
    // Mostly the first 64 bytes: link, network and transport headers.
    const at = r() < 0.1 ? Math.max(0, start - 20 + int(r, 20)) : start + int(r, Math.min(len, r() < 0.8 ? 64 : len));
    switch (int(r, 4)) {
      case 0:
        b[at]! ^= 1 << int(r, 8);
        log.push(`packet bit@${at}`);
        break;
      case 1:
        b[at] = pick(r, [0, 0xff, 0x7f, 0x80, 0x45, 0x60, 0x06, 0x11, 0x01, 0x3a, int(r, 256)]);
        log.push(`packet byte@${at}`);
        break;
      case 2:
        if (at + 2 <= b.length) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint16(at, pick(r, [0, 1, 0x0800, 0x86dd, 0x0806, 0x8100, 0xffff, int(r, 0x10000)]));
        log.push(`packet u16@${at}`);
        break;
      default: {
        // Copy one packet's first bytes over another's: near-duplicates for correlation.
        const [from, flen] = pick(r, ranges);
        const n = Math.min(flen, len, 1 + int(r, 64));
        b.copyWithin(start, from, from + n);
        log.push(`packet copy ${n}@${from}→${start}`);
      }
    }
  }
  return b;
}

const INTERESTING_32 = [0, 1, 2, 4, 8, 12, 16, 20, 24, 28, 32, 0x7f, 0x80, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x0a0d0d0a, 0xa1b2c3d4, 0xa1b23c4d, 0x1a2b3c4d];

function mutate(r: Rand, original: Uint8Array, other: () => Uint8Array, log: string[]): Uint8Array {
  if (r() < 0.5) {
    const inPackets = mutatePackets(r, original, log);
    if (inPackets) return inPackets;
  }
  let b: Uint8Array = original.slice();
  const steps = 1 + int(r, 4);
  for (let s = 0; s < steps; s++) {
    const len = b.length;
    const at = len > 0 ? int(r, len) : 0;
    switch (int(r, 11)) {
      case 0: {
        const n = 1 + int(r, 8);
        for (let k = 0; k < n && len > 0; k++) b[int(r, len)]! ^= 1 << int(r, 8);
        log.push(`flip ${n} bits`);
        break;
      }
      case 1: {
        const n = 1 + int(r, 8);
        for (let k = 0; k < n && len > 0; k++) b[int(r, len)] = pick(r, [0, 0xff, 0x7f, 0x80, int(r, 256)]);
        log.push(`set ${n} bytes`);
        break;
      }
      case 2:
      case 3: {
        // A 32-bit field (block length, caplen, interface id, option length...).
        const o = (at & ~3) + (r() < 0.2 ? int(r, 4) : 0);
        if (o + 4 <= len) {
          const v = r() < 0.8 ? pick(r, INTERESTING_32) : int(r, 0x100000000);
          new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(o, v >>> 0, r() < 0.5);
          log.push(`u32@${o}=${v >>> 0}`);
        }
        break;
      }
      case 4: {
        // A timestamp-sized field: 8 random bytes.
        for (let k = 0; k < 8 && at + k < len; k++) b[at + k] = int(r, 256);
        log.push(`8 bytes@${at}`);
        break;
      }
      case 5:
        b = b.slice(0, at);
        log.push(`cut at ${at}`);
        break;
      case 6: {
        const n = 1 + int(r, Math.min(256, Math.max(1, len - at)));
        b = concat(b.subarray(0, at), b.subarray(Math.min(len, at + n)));
        log.push(`delete ${n}@${at}`);
        break;
      }
      case 7: {
        // Repeat a range (a block or packet twice, or a shifted copy).
        const n = 1 + int(r, Math.min(4096, Math.max(1, len - at)));
        const to = int(r, len + 1);
        b = concat(b.subarray(0, to), b.subarray(at, at + n), b.subarray(to));
        log.push(`repeat ${n}@${at} to ${to}`);
        break;
      }
      case 8: {
        const o = other();
        const from = int(r, o.length + 1);
        b = concat(b.subarray(0, at), o.subarray(from));
        log.push(`splice at ${at} with another seed from ${from}`);
        break;
      }
      case 9: {
        const n = 1 + int(r, 64);
        b.fill(0, at, Math.min(len, at + n));
        log.push(`zero ${n}@${at}`);
        break;
      }
      default: {
        const n = 1 + int(r, 32);
        const extra = new Uint8Array(n);
        for (let k = 0; k < n; k++) extra[k] = int(r, 256);
        b = concat(b.subarray(0, at), extra, b.subarray(at));
        log.push(`insert ${n}@${at}`);
      }
    }
  }
  return b;
}

/** The bytes in random chunks, as a file read or a pipe would deliver them. */
async function* chunked(r: Rand, bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  const pieces = int(r, 4);
  const cuts = Array.from({ length: pieces }, () => int(r, bytes.length + 1)).sort((a, b) => a - b);
  let o = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > o) yield bytes.subarray(o, c);
    o = Math.max(o, c);
  }
}

// ---- a case ----
/** A fresh sink per case: each merge leaves an 'error' listener on its stdout (harmless once per process). */
const devNull = (): Writable =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

/**
 * Most of the corpus is small, but 38 files over 32 KiB hold three quarters of its bytes.
 * Nine times in ten a seed is cut after its last packet before 64 KiB (a valid capture
 * still), so the million cases spread over every seed rather than a few big ones; the
 * tenth time it is whole.
 */
const BIG = 64 * 1024;
function sized(r: Rand, bytes: Uint8Array): Uint8Array {
  if (bytes.length <= BIG || r() < 0.1) return bytes;
  let end = 0;
  for (const [start, len] of packetsOf(bytes)) if (start + len <= BIG) end = Math.max(end, start + len);
  return end > 0 ? bytes.subarray(0, end) : bytes;
}

interface CaseResult {
  outcome: 'merged' | 'rejected';
  mutated: number;
  bytes: number;
  what: string;
  inputs: Map<string, Uint8Array>;
}

async function runCase(n: number, seeds: { files: Seed[]; sessions: SessionSeed[] }): Promise<CaseResult> {
  const r = mulberry32(Math.imul(SEED, 0x9e3779b1) ^ Math.imul(n + 1, 0x85ebca6b));
  const other = (): Uint8Array => pick(r, seeds.files).bytes;
  const inputs = new Map<string, Uint8Array>();
  const log: string[] = [];
  let fileInputs: FileInput[];
  let what: string;
  let mutated = 0;
  if (r() < 0.35 && seeds.sessions.length > 0) {
    // A recorded session with its topology; one to three of its files damaged.
    const s = pick(r, seeds.sessions);
    const damaged = new Set(Array.from({ length: 1 + int(r, 3) }, () => int(r, s.files.length)));
    s.files.forEach((f, i) => {
      if (damaged.has(i)) {
        const l: string[] = [];
        inputs.set(f.path, mutate(r, f.bytes, other, l));
        log.push(`${relative(root, f.path)}: ${l.join(', ')}`);
        mutated++;
      } else inputs.set(f.path, f.bytes);
    });
    fileInputs = [{ path: s.dir }];
    what = `session ${relative(root, s.dir)}`;
  } else {
    // One seed merged as one to three points: the damaged copy and, for the others,
    // differently damaged copies of the same seed, so the same packets meet at each point.
    const seed = pick(r, seeds.files);
    const base = sized(r, seed.bytes);
    const k = 1 + int(r, 3);
    fileInputs = [];
    for (let i = 0; i < k; i++) {
      const l: string[] = [];
      const path = `mem:${i}.pcap`;
      inputs.set(path, i > 0 && r() < 0.3 ? base : mutate(r, base, other, l));
      if (l.length > 0) mutated++;
      log.push(`${path}: ${l.join(', ') || 'unchanged'}`);
      fileInputs.push(r() < 0.3 ? { path, label: `p${i}` } : { path });
    }
    what = `${seed.name}${base.length < seed.bytes.length ? ` (first ${base.length} bytes)` : ''} as ${k} point${k > 1 ? 's' : ''}`;
  }
  const read = (path: string): AsyncGenerator<CaptureEvent[], void, undefined> => {
    const bytes = inputs.get(path);
    if (bytes === undefined) throw new Error(`fuzz: no input ${path}`);
    return readCaptureStream(chunked(r, bytes), path);
  };
  const format = pick(r, ['timeline', 'json', 'none'] as const);
  // Not every case: the pcapng writer's 4 MiB output buffer is most of a small case's time.
  const pcapng = r() < 0.1 ? '-' : undefined;
  const windowNs = pick(r, [100_000, 100_000_000, 1_000_000_000]);
  what += `; ${log.join('; ')}; format ${format}${pcapng ? ', pcapng' : ''}, window ${windowNs / 1e6} ms`;
  const bytes = [...inputs.values()].reduce((s, b) => s + b.length, 0);
  try {
    await mergeFiles(fileInputs, { format, color: r() < 0.5, timeZone: 'utc', comments: r() < 0.8, windowNs, read, stdout: devNull(), ...(pcapng ? { pcapng } : {}) });
    return { outcome: 'merged', mutated, bytes, what, inputs };
  } catch (error) {
    if (error instanceof VethcapError && error.code === 'BAD_CAPTURE') return { outcome: 'rejected', mutated, bytes, what, inputs };
    throw Object.assign(error instanceof Error ? error : new Error(String(error)), { fuzzCase: { what, inputs } });
  }
}

// ---- main ----
const seeds = loadSeeds();
const heapNow = (): number => getHeapStatistics().used_heap_size;
let peakHeap = heapNow();
const heapLimit = getHeapStatistics().heap_size_limit;
console.log(`fuzz: ${seeds.files.length} seed files (${seeds.sessions.length} sessions), seed ${SEED}, ${ONLY !== undefined ? `case ${ONLY}` : `${CASES.toLocaleString('en')} cases`}; heap limit ${(heapLimit / 2 ** 20).toFixed(0)} MiB`);

const counts = { merged: 0, rejected: 0, crashed: 0, mutatedInputs: 0, bytes: 0 };
// The goal is per case CPU time (user + system of this process): on a machine shared with
// other work, wall time also counts the time others had the cores. Both are reported.
let slowest = { ms: 0, wallMs: 0, n: -1, what: '' };
let slowestWall = { ms: 0, n: -1 };
const crashDir = join(root, 'bench/out/fuzz-crashes');
const started = performance.now();
let lastReport = started;
const first = ONLY ?? 0;
const last = ONLY !== undefined ? ONLY + 1 : CASES;
for (let n = first; n < last; n++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  try {
    const res = await runCase(n, seeds);
    counts[res.outcome]++;
    counts.mutatedInputs += res.mutated;
    counts.bytes += res.bytes;
    if (ONLY !== undefined) console.log(`case ${n}: ${res.outcome}: ${res.what}`);
  } catch (error) {
    counts.crashed++;
    const info = (error as { fuzzCase?: { what: string; inputs: Map<string, Uint8Array> } }).fuzzCase;
    const stack = error instanceof Error ? error.stack ?? error.message : String(error);
    console.error(`fuzz: CRASH in case ${n}${info ? ` (${info.what})` : ''}:\n${stack}`);
    if (info) {
      const dir = join(crashDir, `case-${SEED}-${n}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'case.txt'), `npm run fuzz -- --seed ${SEED} --case ${n}\n${info.what}\n\n${stack}\n`);
      let i = 0;
      for (const [path, bytes] of info.inputs) writeFileSync(join(dir, `${i++}-${path.split('/').pop()!.replace(/[^\w.-]/g, '_')}`), bytes);
    }
    if (counts.crashed >= 20) {
      console.error('fuzz: 20 crashes, stopping');
      break;
    }
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const ms = (cpu.user + cpu.system) / 1000;
  if (ms > slowest.ms) slowest = { ms, wallMs, n, what: '' };
  if (wallMs > slowestWall.ms) slowestWall = { ms: wallMs, n };
  if (ms > 20 || (n & 63) === 0) peakHeap = Math.max(peakHeap, heapNow());
  const now = performance.now();
  if (now - lastReport > 30_000) {
    lastReport = now;
    const done = n + 1 - first;
    console.log(`fuzz: ${done.toLocaleString('en')} cases in ${((now - started) / 1000).toFixed(0)} s (${(done / ((now - started) / 1000)).toFixed(0)}/s), ${counts.crashed} crashes, slowest ${slowest.ms.toFixed(1)} ms CPU (case ${slowest.n}), ${slowestWall.ms.toFixed(1)} ms wall (case ${slowestWall.n}), peak heap ${(peakHeap / 2 ** 20).toFixed(1)} MiB`);
  }
}
peakHeap = Math.max(peakHeap, heapNow());

// The slowest case again, to say what it was (its timing above is the one that counts).
if (slowest.n >= 0 && ONLY === undefined) {
  try {
    slowest.what = (await runCase(slowest.n, seeds)).what;
  } catch {
    slowest.what = '(crashed on replay)';
  }
}
const total = counts.merged + counts.rejected + counts.crashed;
const seconds = (performance.now() - started) / 1000;
console.log(`fuzz: ${total.toLocaleString('en')} cases (${counts.mutatedInputs.toLocaleString('en')} mutated inputs, ${(counts.bytes / 2 ** 30).toFixed(2)} GiB) in ${seconds.toFixed(0)} s: ${counts.merged.toLocaleString('en')} merged, ${counts.rejected.toLocaleString('en')} rejected as BAD_CAPTURE, ${counts.crashed} crashed`);
console.log(`fuzz: slowest case ${slowest.n}: ${slowest.ms.toFixed(1)} ms CPU (${slowest.wallMs.toFixed(1)} ms wall): ${slowest.what}`);
console.log(`fuzz: slowest by wall time: case ${slowestWall.n}, ${slowestWall.ms.toFixed(1)} ms`);
console.log(`fuzz: peak heap used ${(peakHeap / 2 ** 20).toFixed(1)} MiB (limit for the goal: 256 MiB)`);
const failed = [counts.crashed > 0 ? `${counts.crashed} crashes (inputs in ${relative(root, crashDir)})` : '', slowest.ms > LIMIT_MS ? `a case took ${slowest.ms.toFixed(0)} ms of CPU` : '', peakHeap > LIMIT_HEAP ? 'the heap went above 256 MiB' : ''].filter(Boolean);
if (failed.length > 0) {
  console.log(`fuzz: FAIL: ${failed.join('; ')}`);
  process.exitCode = 1;
} else console.log('fuzz: ok');
