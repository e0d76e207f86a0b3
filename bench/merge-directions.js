// The directions of issue 15 for `vethcap merge`, each measured on its own (in process,
// on bench/merge.js's input), so what one of them could bring is known before the
// pipeline is rebuilt around it.
// Run: npm run build && node bench/merge-directions.js [packets per file, default 1000000]
// BENCH_DIRECTIONS_REPS=n sets the repetitions (default 5; the median is shown).
//
// 1. The reader: the record objects it makes today (CaptureParser, one object and one
//    subarray view per packet) against a record batch, a struct of arrays over the
//    chunk's bytes (offsets, lengths, timestamps), in memory (no I/O) and from the file;
//    and the batch with the objects made from it afterwards (what the pipeline would pay
//    as long as the merge and the correlator take objects).
// 2. A worker thread that reads and scans the files and hands each chunk over (the
//    chunk and its arrays transferred, not copied): the main thread's CPU per run
//    (from /proc/self/task) against reading in the main thread, with and without making
//    the objects there.
// 3. The floor the rest of the pipeline sets: decode + fingerprint of every record, the
//    merge, merge + correlation, and the pcapng writer with comments, in memory.
// Wall times on a loaded machine say little; CPU times are what each direction saves.
import { Worker } from 'node:worker_threads';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import {
  CaptureParser, CorrelationSession, DecodedFrame, OrderedPcapngWriter, TimestampMerge, decodeFrame, fingerprint, readCaptureFile,
} from '../dist/index.js';
import { synthesize } from './synth.js';

const N = Number(process.argv[2] ?? 1_000_000);
const REPS = Number(process.env.BENCH_DIRECTIONS_REPS ?? 5);
const CHUNK = 256 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'vethcap-bench-directions-'));

/** This thread's CPU time (ms), from /proc (10 ms resolution). */
function threadCpuMs() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function median(xs) {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// The record batch: a scan of a chunk of classic little-endian pcap records into arrays.
// The same source runs in the worker (as text), so both sides scan alike.
const SCAN = `
function scanBatch(b, from) {
  const max = Math.ceil((b.length - from) / 16);
  const off = new Int32Array(max), len = new Int32Array(max), orig = new Int32Array(max);
  const sec = new Float64Array(max), nsec = new Float64Array(max);
  const n = b.length;
  let pos = from, k = 0;
  while (n - pos >= 16) {
    const caplen = (b[pos + 8] | (b[pos + 9] << 8) | (b[pos + 10] << 16) | (b[pos + 11] << 24)) >>> 0;
    const stop = pos + 16 + caplen;
    if (stop > n) break;
    sec[k] = (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16) | (b[pos + 3] << 24)) >>> 0;
    nsec[k] = (b[pos + 4] | (b[pos + 5] << 8) | (b[pos + 6] << 16) | (b[pos + 7] << 24)) >>> 0;
    orig[k] = (b[pos + 12] | (b[pos + 13] << 8) | (b[pos + 14] << 16) | (b[pos + 15] << 24)) >>> 0;
    off[k] = pos + 16;
    len[k] = caplen;
    k++;
    pos = stop;
  }
  return { count: k, end: pos, off, len, orig, sec, nsec };
}
function* fileBatches(path, fs, chunk) {
  const fd = fs.openSync(path);
  let carry = null;
  let first = true;
  try {
    for (;;) {
      const b = new Uint8Array(chunk + (carry ? carry.length : 0));
      let o = 0;
      if (carry) { b.set(carry); o = carry.length; }
      const r = fs.readSync(fd, b, o, chunk, null);
      if (r === 0) break;
      const view = b.subarray(0, o + r);
      const s = scanBatch(view, first ? 24 : 0);
      first = false;
      carry = s.end < view.length ? view.slice(s.end) : null;
      yield { buf: b, count: s.count, off: s.off, len: s.len, orig: s.orig, sec: s.sec, nsec: s.nsec };
    }
  } finally { fs.closeSync(fd); }
}`;
const { scanBatch, fileBatches } = new Function(`${SCAN}; return { scanBatch, fileBatches };`)();
const fsSync = { openSync, readSync, closeSync };

let sink = 0;
/** The record objects the pipeline takes, made from a batch (as the merge would at release). */
function objectsOf(c, point) {
  const b = c.buf;
  for (let k = 0; k < c.count; k++) {
    const r = {
      kind: 'packet', point, interfaceId: 0, tsSec: c.sec[k], tsNsec: c.nsec[k], data: b.subarray(c.off[k], c.off[k] + c.len[k]),
      origLen: c.orig[k], linkType: 1, direction: 0, comment: undefined, packetId: undefined, flags: undefined, hasTimestamp: true,
    };
    sink = (sink + r.data.length + (r.tsNsec & 7)) | 0;
  }
}

function viaWorker(files, makeObjects) {
  return new Promise((resolve, reject) => {
    let n = 0;
    let done = 0;
    const workers = files.map((path, point) => {
      const w = new Worker(`const { parentPort, workerData } = require('node:worker_threads'); const fs = require('node:fs'); ${SCAN}
        for (const c of fileBatches(workerData, fs, ${CHUNK})) parentPort.postMessage(c, [c.buf.buffer, c.off.buffer, c.len.buffer, c.orig.buffer, c.sec.buffer, c.nsec.buffer]);
        parentPort.postMessage(null);`, { eval: true, workerData: path });
      w.on('message', (c) => {
        if (c === null) {
          if (++done === files.length) Promise.all(workers.map((x) => x.terminate())).then(() => resolve(n), reject);
          return;
        }
        n += c.count;
        if (makeObjects) objectsOf(c, point);
        else for (let k = 0; k < c.count; k++) sink = (sink + c.len[k] + (c.nsec[k] & 7)) | 0;
      });
      w.on('error', reject);
      return w;
    });
  });
}

/** Runs fn REPS times: median wall ms, process CPU ms, main-thread CPU ms, and records/s from the wall time. */
async function measure(name, records, fn) {
  const rows = [];
  for (let r = 0; r < REPS; r++) {
    const cpu0 = process.cpuUsage();
    const main0 = threadCpuMs();
    const t0 = process.hrtime.bigint();
    const n = await fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const cpu = process.cpuUsage(cpu0);
    if (n !== records) throw new Error(`${name}: ${n} records, want ${records}`);
    rows.push({ ms, cpuMs: (cpu.user + cpu.system) / 1000, mainMs: threadCpuMs() - main0 });
  }
  const ms = median(rows.map((x) => x.ms));
  const cpuMs = median(rows.map((x) => x.cpuMs));
  const mainMs = median(rows.map((x) => x.mainMs));
  const res = { name, ms: Math.round(ms), cpuMs: Math.round(cpuMs), mainThreadCpuMs: Math.round(mainMs), mRecordsPerSec: Number((records / ms / 1000).toFixed(2)), mRecordsPerCpuSec: Number((records / cpuMs / 1000).toFixed(2)) };
  console.log(`${name.padEnd(64)} ${String(res.ms).padStart(6)} ${String(res.cpuMs).padStart(7)} ${String(res.mainThreadCpuMs).padStart(8)} ${res.mRecordsPerSec.toFixed(2).padStart(8)} ${res.mRecordsPerCpuSec.toFixed(2).padStart(9)}`);
  return res;
}

try {
  const files = synthesize(dir, N);
  const bytes = files.map((f) => new Uint8Array(readFileSync(f)));
  const total = 2 * N;
  console.log(`2 x ${N} records, medians of ${REPS}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`${'direction'.padEnd(64)} ${'wall'.padStart(6)} ${'CPU ms'.padStart(7)} ${'main CPU'.padStart(8)} ${'M rec/s'.padStart(8)} ${'M rec/CPU s'.padStart(9)}`);

  // 1. The reader.
  await measure('reader, in memory: objects (CaptureParser, 256 KiB pushes)', total, () => {
    let n = 0;
    for (const b of bytes) {
      const p = new CaptureParser();
      for (let o = 0; o < b.length; o += CHUNK) for (const e of p.push(b.subarray(o, o + CHUNK))) if (e.kind === 'packet') n++;
      p.end();
    }
    return n;
  });
  await measure('reader, in memory: record batch (struct of arrays)', total, () => {
    let n = 0;
    for (const b of bytes) {
      let from = 24;
      for (let o = 0; o < b.length;) {
        const view = b.subarray(o, Math.min(b.length, o + CHUNK));
        const s = scanBatch(view, from);
        n += s.count;
        for (let k = 0; k < s.count; k++) sink = (sink + s.len[k] + (s.nsec[k] & 7)) | 0;
        o += s.end;
        from = 0;
        if (s.count === 0) break;
      }
    }
    return n;
  });
  await measure('reader, file: objects (readCaptureFile, as merge reads today)', total, async () => {
    let n = 0;
    for (const f of files) for await (const batch of readCaptureFile(f)) for (const e of batch) if (e.kind === 'packet') n++;
    return n;
  });
  await measure('reader, file: record batch (readSync, struct of arrays)', total, () => {
    let n = 0;
    for (const f of files) for (const c of fileBatches(f, fsSync, CHUNK)) {
      n += c.count;
      for (let k = 0; k < c.count; k++) sink = (sink + c.len[k] + (c.nsec[k] & 7)) | 0;
    }
    return n;
  });
  await measure('reader, file: record batch, then the objects made from it', total, () => {
    let n = 0;
    for (const [point, f] of files.entries()) for (const c of fileBatches(f, fsSync, CHUNK)) {
      n += c.count;
      objectsOf(c, point);
    }
    return n;
  });

  // 2. A worker thread for the reading and the scan.
  await measure('worker: reads + scans, hands batches over; main reads arrays', total, () => viaWorker(files, false));
  await measure('worker: reads + scans, hands batches over; main makes objects', total, () => viaWorker(files, true));

  // 3. The floor of the rest, in memory, on the record objects.
  const records = bytes.map((b, point) => {
    const out = [];
    const p = new CaptureParser();
    for (let o = 0; o < b.length; o += CHUNK) for (const e of p.push(b.slice(o, o + CHUNK))) if (e.kind === 'packet') { e.point = point; out.push(e); }
    return out;
  });
  const topology = { points: files.map((f, i) => ({ label: `p${i}`, description: f })) };
  /** Feeds `push` in batches the way pumpFiles does: the file behind is read next. */
  const feed = (push, advance, release) => {
    const at = [0, 0];
    while (at[0] < N || at[1] < N) {
      const f = at[0] < N && (at[1] >= N || at[0] <= at[1]) ? 0 : 1;
      const end = Math.min(N, at[f] + 3400);
      for (let k = at[f]; k < end; k++) push(f, records[f][k]);
      at[f] = end;
      advance(f, records[f][end - 1]);
      release();
    }
  };
  await measure('floor: decode + fingerprint of every record', total, () => {
    const frame = new DecodedFrame();
    let n = 0;
    for (const rs of records) for (const r of rs) {
      sink = (sink + fingerprint(decodeFrame(r.data, 1, frame), 32)) | 0;
      n++;
    }
    return n;
  });
  await measure('floor: the timestamp merge alone', total, () => {
    const m = new TimestampMerge(2);
    let n = 0;
    const out = () => { n++; };
    feed((p, r) => m.push(p, r), (p, ts) => m.advance(p, ts), () => m.release(out));
    m.flush(out);
    return n;
  });
  await measure('floor: merge + correlation (paths built, no output)', total, () => {
    let n = 0;
    const s = new CorrelationSession(topology, (path) => { n += path.copies.length; }, { windowNs: 100_000_000 });
    feed((p, r) => s.push(p, r), (p, ts) => s.advance(p, ts), () => s.release());
    s.finish();
    return n;
  });
  await measure('floor: merge + correlation + pcapng with comments (in memory)', total, () => {
    let n = 0;
    const w = new OrderedPcapngWriter({ points: topology.points, comments: true, os: 'Linux' });
    const s = new CorrelationSession(topology, (path) => {
      n += path.copies.length;
      w.add(path);
      if (w.shouldTake) w.recycle(w.take());
    }, { windowNs: 100_000_000 });
    feed((p, r) => s.push(p, r), (p, ts) => s.advance(p, ts), () => s.release());
    s.finish();
    w.finish();
    w.take();
    return n;
  });
  console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
