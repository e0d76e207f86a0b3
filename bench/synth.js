// The input of bench/merge.js and bench/merge-directions.js: two nanosecond pcap files of
// N 60-byte Ethernet/IPv4/UDP frames, "the same traffic at two points" (see bench/merge.js).
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';

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
export function synthesize(dir, n) {
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
