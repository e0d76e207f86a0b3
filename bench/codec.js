// Benchmark of the capture-file codec (reader and writers).
// Run: npm run build && node bench/codec.js [packets]
// Plain JavaScript on the built dist/ so it runs on Node 20 without a TypeScript loader.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  CaptureParser, PcapWriter, PcapngWriter, openFileSink, readCaptureFile,
} from '../dist/index.js';

const N = Number(process.argv[2] ?? 1_000_000);
const RUNS = 3;
const dir = mkdtempSync(join(tmpdir(), 'vethcap-bench-'));

/** A 60-byte Ethernet/IPv4/UDP frame (18 bytes of UDP payload) with a varying IP id and port. */
function frame(i) {
  const f = new Uint8Array(60);
  f.set([0x02, 0x42, 0xc6, 0x12, 0x00, 0x03, 0x02, 0x42, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00]);
  f.set([0x45, 0, 0, 46, (i >>> 8) & 0xff, i & 0xff, 0x40, 0, 64, 17, 0, 0, 198, 18, 0, 2, 198, 18, 0, 3], 14);
  f.set([0x30, 0x39, (i >>> 8) & 0xff, i & 0xff, 0, 26, 0, 0], 34);
  return f;
}

function best(label, fn) {
  return async () => {
    let bestMs = Infinity;
    let result;
    for (let r = 0; r < RUNS; r++) {
      const t0 = process.hrtime.bigint();
      result = await fn();
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      bestMs = Math.min(bestMs, ms);
    }
    const rate = (N / bestMs) * 1000;
    console.log(`${label.padEnd(44)} ${bestMs.toFixed(1).padStart(8)} ms  ${(rate / 1e6).toFixed(2)} M packets/s  (best of ${RUNS})`);
    return result;
  };
}

try {
  // 1. Synthesize the nanosecond pcap (classic pcap writer).
  const pcapPath = join(dir, 'synth.pcap');
  {
    const templates = Array.from({ length: 256 }, (_, i) => frame(i));
    const w = new PcapWriter({ linkType: 1, snaplen: 262144 });
    const chunks = [];
    const t0 = process.hrtime.bigint();
    const pkt = { point: 0, tsSec: 1764333971, tsNsec: 0, data: templates[0], origLen: 60 };
    for (let i = 0; i < N; i++) {
      pkt.tsSec = 1764333971 + Math.floor(i / 1000);
      pkt.tsNsec = (i % 1000) * 1_000_003;
      pkt.data = templates[i & 255];
      w.write(pkt);
      if (w.shouldTake) chunks.push(w.take());
    }
    chunks.push(w.take());
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    writeFileSync(pcapPath, Buffer.concat(chunks));
    console.log(`synthesized ${N} packets, ${statSync(pcapPath).size} bytes: pcap writer ${(N / ms / 1000).toFixed(2)} M packets/s (in memory)`);
  }

  // 2. Read it: from the file (I/O edge) and from memory (pure parser).
  await best('read file (readCaptureFile)', async () => {
    let n = 0;
    let bytes = 0;
    for await (const batch of readCaptureFile(pcapPath)) {
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i];
        if (e.kind === 'packet') {
          n++;
          bytes += e.data.length + (e.tsNsec & 1);
        }
      }
    }
    if (n !== N) throw new Error(`read ${n} packets, expected ${N}`);
    return bytes;
  })();

  const whole = new Uint8Array(await readFile(pcapPath));
  await best('parse in memory (CaptureParser, 1 MiB pushes)', () => {
    const p = new CaptureParser();
    let n = 0;
    for (let o = 0; o < whole.length; o += 1 << 20) {
      const ev = p.push(whole.subarray(o, o + (1 << 20)));
      for (let i = 0; i < ev.length; i++) if (ev[i].kind === 'packet') n++;
    }
    p.end();
    if (n !== N) throw new Error(`parsed ${n} packets`);
    return n;
  })();

  // 3. Write 1M packets to pcapng, to a file. The input is one reused packet object fed
  // from typed arrays (no million live objects to make the GC the thing measured).
  const tsSec = new Float64Array(N);
  const tsNsec = new Float64Array(N);
  const templates = Array.from({ length: 256 }, (_, i) => frame(i));
  for (let i = 0; i < N; i++) {
    tsSec[i] = 1764333971 + Math.floor(i / 1000);
    tsNsec[i] = (i % 1000) * 1_000_003;
  }
  const ngPath = join(dir, 'annotated.pcapng');
  const plainPath = join(dir, 'plain.pcapng');
  const ifaces = [
    { name: 'box:eth0', description: 'eth0 inside box', filter: 'udp', linkType: 1 },
    { name: 'host:veth854b6a5', description: 'host end of box:eth0', linkType: 1 },
    { name: 'host:docker0', description: 'bridge device docker0', linkType: 1 },
  ];
  const comments = ['box:eth0 out', '+4.3 µs host:veth854b6a5 in, bridge port of docker0', 'host:docker0 bridge device copy (same kernel timestamp)'];
  const writeNg = (annotate, toFile) => async () => {
    const path = annotate ? ngPath : plainPath;
    const w = new PcapngWriter({ interfaces: ifaces, os: 'Linux' });
    const sink = toFile ? await openFileSink(path) : undefined;
    const pkt = { point: 0, tsSec: 0, tsNsec: 0, data: templates[0], origLen: 60, direction: 0, comment: undefined, packetId: undefined };
    let bytes = 0;
    for (let i = 0; i < N; i++) {
      const point = i % 3;
      pkt.point = point;
      pkt.tsSec = tsSec[i];
      pkt.tsNsec = tsNsec[i];
      pkt.data = templates[i & 255];
      if (annotate) {
        pkt.direction = point === 1 ? 1 : 2;
        pkt.packetId = Math.floor(i / 3) + 1;
        pkt.comment = comments[point];
      }
      w.write(pkt);
      if (w.shouldTake) {
        const c = w.take();
        bytes += c.length;
        if (sink) await sink.write(c);
      }
    }
    for (let p = 0; p < 3; p++) w.stats({ point: p, endTime: { tsSec: tsSec[N - 1], tsNsec: tsNsec[N - 1] }, ifRecv: Math.ceil(N / 3), ifDrop: 0 });
    const c = w.take();
    bytes += c.length;
    if (sink) {
      await sink.write(c);
      await sink.close();
    }
    return bytes;
  };
  await best('write pcapng in memory, plain EPBs', writeNg(false, false))();
  await best('write pcapng in memory, flags+id+comment', writeNg(true, false))();
  await best('write pcapng file, plain EPBs', writeNg(false, true))();
  await best('write pcapng file, flags+id+comment', writeNg(true, true))();
  console.log(`pcapng output: plain ${statSync(plainPath).size} bytes, annotated ${statSync(ngPath).size} bytes`);
  const cap = spawnSync('capinfos', ['-c', '-M', ngPath], { encoding: 'utf8' });
  if (cap.status === 0) console.log(`capinfos: ${cap.stdout.split('\n').find((l) => l.includes('Number of packets'))?.trim()}`);

  await best('read pcapng file (annotated EPBs, options decoded)', async () => {
    let n = 0;
    for await (const batch of readCaptureFile(ngPath)) {
      for (let i = 0; i < batch.length; i++) if (batch[i].kind === 'packet') n++;
    }
    if (n !== N) throw new Error(`read ${n} packets from pcapng`);
  })();
  await best('read pcapng file (plain EPBs)', async () => {
    let n = 0;
    for await (const batch of readCaptureFile(plainPath)) {
      for (let i = 0; i < batch.length; i++) if (batch[i].kind === 'packet') n++;
    }
    if (n !== N) throw new Error(`read ${n} packets from plain pcapng`);
  })();

  // 4. The realistic pipeline: read the pcap file and write every packet to a pcapng file.
  await best('pipeline: read pcap file -> write pcapng file', async () => {
    const w = new PcapngWriter({ interfaces: ifaces, os: 'Linux' });
    const sink = await openFileSink(ngPath);
    for await (const batch of readCaptureFile(pcapPath)) {
      for (let i = 0; i < batch.length; i++) {
        const e = batch[i];
        if (e.kind === 'packet') w.write(e);
      }
      if (w.shouldTake) await sink.write(w.take());
    }
    await sink.write(w.take());
    await sink.close();
  })();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
