/** The pcapng and pcap writers, checked through tshark, capinfos, tcpdump and our reader. */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DIRECTION } from '../../../src/model/record.js';
import type { CapturePoint } from '../../../src/model/topology.js';
import type { CaptureEvent, PacketEvent, StatsEvent, InterfaceEvent, SectionEvent } from '../../../src/pcap/events.js';
import { readAllEvents } from '../../../src/sources/read-capture.js';
import { interfacesFromPoints, PcapngWriter, type WritablePacket } from '../../../src/pcap/pcapng-writer.js';
import { PCAP_LOSS_WARNING, pcapLossWarning, PcapWriter } from '../../../src/pcap/pcap-writer.js';
import { openFileSink } from '../../../src/sinks/capture-sink.js';
import { haveTool, run, tempDir } from './tools.js';

const tmp = tempDir();
afterAll(() => { if (process.env.KEEP_TMP === undefined) tmp.remove(); else console.log(tmp.dir); });

const points: CapturePoint[] = [
  { label: 'box:eth0', description: 'eth0 inside box (namespace end)', role: 'namespace-end', ifname: 'eth0', filter: 'icmp or udp' },
  { label: 'host:veth854b6a5', description: 'host end of box:eth0, bridge port of docker0', role: 'host-veth', ifname: 'veth854b6a5', filter: 'icmp or udp' },
  { label: 'host:docker0', description: 'bridge device docker0', role: 'bridge', ifname: 'docker0' },
];

function frame(n: number, len = 60): Uint8Array {
  const d = new Uint8Array(len);
  d.set([0x02, 0x42, 0xc6, 0x12, 0x00, 0x03, 0x02, 0x42, 0xc6, 0x12, 0x00, 0x02, 0x08, 0x00, 0x45], 0);
  for (let i = 15; i < len; i++) d[i] = (i * 7 + n) & 0xff;
  return d;
}

const packets: WritablePacket[] = [
  { point: 0, tsSec: 1764333971, tsNsec: 716018412, data: frame(1), origLen: 60, direction: DIRECTION.OUTBOUND, comment: '#1 ICMP echo request leaves box', packetId: 1n },
  { point: 1, tsSec: 1764333971, tsNsec: 716022712, data: frame(1), origLen: 60, direction: DIRECTION.INBOUND, comment: '+4.3 µs → bridge port of docker0', packetId: 1n },
  { point: 2, tsSec: 1764333971, tsNsec: 716022712, data: frame(1), origLen: 60, comment: 'bridge device copy (same kernel timestamp)', packetId: 1 },
  { point: 0, tsSec: 1764333972, tsNsec: 0, data: frame(2, 98), origLen: 1514, direction: DIRECTION.INBOUND, packetId: 2n ** 63n + 5n },
  { point: 1, tsSec: 1764333972, tsNsec: 999999999, data: frame(3), origLen: 60 },
  { point: 2, tsSec: 4323283200, tsNsec: 1, data: frame(4), origLen: 60, direction: DIRECTION.OUTBOUND, comment: 'ünïcödé, tabs\tand\nnewline' },
];

const stats = [
  { point: 0, startTime: { tsSec: 1764333970, tsNsec: 5 }, endTime: { tsSec: 1764333980, tsNsec: 6 }, ifRecv: 2, ifDrop: 0 },
  { point: 1, startTime: { tsSec: 1764333970, tsNsec: 5 }, endTime: { tsSec: 1764333980, tsNsec: 6 }, ifRecv: 2n, ifDrop: 7n },
  { point: 2, endTime: { tsSec: 1764333980, tsNsec: 6 }, ifRecv: 2 },
];

function epoch(p: { tsSec: number; tsNsec: number }): string {
  return `${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}`;
}

async function writeSample(path: string, chunkBytes?: number): Promise<void> {
  const w = new PcapngWriter({ interfaces: interfacesFromPoints(points), snaplen: 262144, os: 'Linux test' }, chunkBytes);
  const sink = await openFileSink(path);
  for (const p of packets) {
    w.write(p);
    if (w.buffered > 100) await sink.write(w.take());
  }
  for (const s of stats) w.stats(s);
  await sink.write(w.take());
  await sink.close();
}

const pcapng = tmp.file('sample.pcapng');
const needTools = process.env.CI === 'true';
const tsharkOk = haveTool('tshark');
if (needTools && !tsharkOk) throw new Error('tshark is required in CI (apt-get install tshark)');
// Without tcpdump outside CI, its checks are reported as skipped, not passed.
const tcpdumpOk = haveTool('tcpdump');
if (needTools && !tcpdumpOk) throw new Error('tcpdump is required in CI (apt-get install tcpdump)');

describe('pcapng writer', () => {
  it('round-trips through our own reader', async () => {
    await writeSample(pcapng, 256);
    const events: CaptureEvent[] = await readAllEvents(pcapng);
    const section = events.filter((e): e is SectionEvent => e.kind === 'section');
    expect(section).toHaveLength(1);
    expect(section[0]).toMatchObject({ userAppl: 'vethcap 0.1.0', os: 'Linux test', versionMajor: 1, versionMinor: 0 });
    const ifs = events.filter((e): e is InterfaceEvent => e.kind === 'interface');
    expect(ifs.map((i) => [i.name, i.description, i.filter, i.snaplen, i.linkType, i.tsresol])).toEqual(
      points.map((p) => [p.label, p.description, p.filter, 262144, 1, 9]),
    );
    const pk = events.filter((e): e is PacketEvent => e.kind === 'packet');
    expect(pk).toHaveLength(packets.length);
    pk.forEach((got, i) => {
      const want = packets[i]!;
      expect(got.interfaceId).toBe(want.point);
      expect(epoch(got)).toBe(epoch(want));
      expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
      expect(got.origLen).toBe(want.origLen);
      expect(got.direction).toBe(want.direction ?? 0);
      expect(got.comment).toBe(want.comment);
      expect(got.packetId).toBe(want.packetId === undefined ? undefined : BigInt(want.packetId));
    });
    const st = events.filter((e): e is StatsEvent => e.kind === 'stats');
    expect(st.map((s) => [s.interfaceId, s.ifRecv, s.ifDrop, s.startTime && epoch(s.startTime), s.endTime && epoch(s.endTime)])).toEqual([
      [0, 2n, 0n, '1764333970.000000005', '1764333980.000000006'],
      [1, 2n, 7n, '1764333970.000000005', '1764333980.000000006'],
      [2, 2n, undefined, undefined, '1764333980.000000006'],
    ]);
  });

  describe.skipIf(!tsharkOk)('external tools', () => {
    it('tshark reads every field back', async () => {
      await writeSample(pcapng);
      const fields = ['frame.interface_name', 'frame.interface_description', 'frame.comment', 'frame.packet_id',
        'frame.packet_flags_direction', 'frame.time_epoch', 'frame.len', 'frame.cap_len'];
      const out = run('tshark', ['-r', pcapng, '-T', 'json', ...fields.flatMap((f) => ['-e', f])]);
      const rows = (JSON.parse(out) as { _source: { layers: Record<string, string[]> } }[]).map((r) => r._source.layers);
      expect(rows).toHaveLength(packets.length);
      rows.forEach((row, i) => {
        const want = packets[i]!;
        const pt = points[want.point]!;
        expect(row['frame.interface_name']).toEqual([pt.label]);
        expect(row['frame.interface_description']).toEqual([pt.description]);
        expect(row['frame.comment']).toEqual(want.comment === undefined ? undefined : [want.comment]);
        expect(row['frame.packet_id']).toEqual(want.packetId === undefined ? undefined : [String(want.packetId)]);
        const dir = row['frame.packet_flags_direction'];
        expect(dir === undefined ? 0 : Number(dir[0])).toBe(want.direction ?? 0);
        expect(row['frame.time_epoch']).toEqual([epoch(want)]);
        expect(row['frame.len']).toEqual([String(want.origLen)]);
        expect(row['frame.cap_len']).toEqual([String(want.data.length)]);
      });
    });

    it('tshark sees the IDB options and ISBs', () => {
      const info = run('capinfos', ['-M', pcapng]);
      expect(info).toMatch(/Number of packets:\s+6\b/);
      expect(info).toMatch(/Number of interfaces in file: 3/);
      expect(info).toContain('Name = box:eth0');
      expect(info).toContain('Description = eth0 inside box (namespace end)');
      expect(info).toContain('Capture length = 262144');
      expect(info).toContain('Time precision = nanoseconds (9)');
      expect(info).toMatch(/Capture application:\s+vethcap 0\.1\.0/);
      expect(info).toMatch(/Capture oper-sys:\s+Linux test/);
      expect(info).toMatch(/Number of stat entries = 1/);
      expect(info).toContain('Filter string = icmp or udp');
      expect(info).toContain('Name = host:docker0');
    });

    it.skipIf(!tcpdumpOk)('tcpdump reads it', () => {
      const out = run('tcpdump', ['-nn', '-r', pcapng]);
      expect(out.trim().split('\n')).toHaveLength(packets.length);
    });
  });
});

describe('pcap writer', () => {
  const fits = packets.filter((p) => p.tsSec < 2 ** 32);
  const samplePcap = (): string => {
    const w = new PcapWriter({ linkType: 1 });
    w.writeAll(fits);
    const path = tmp.file('sample.pcap');
    writeFileSync(path, w.take());
    return path;
  };

  it('writes nanosecond pcap that we read', async () => {
    const pk = (await readAllEvents(samplePcap())).filter((e): e is PacketEvent => e.kind === 'packet');
    expect(pk.map(epoch)).toEqual(fits.map(epoch));
    expect(pk.every((p) => p.direction === 0 && p.comment === undefined)).toBe(true);
  });

  it.skipIf(!tsharkOk)('tshark and capinfos read the pcap', () => {
    const path = samplePcap();
    const out = run('tshark', ['-r', path, '-T', 'fields', '-e', 'frame.time_epoch']);
    expect(out.trim().split('\n')).toEqual(fits.map(epoch));
    expect(run('capinfos', ['-M', path])).toMatch(/File encapsulation:\s+ether\b/);
  });

  it.skipIf(!tcpdumpOk)('tcpdump reads the pcap', () => {
    expect(run('tcpdump', ['-nn', '-r', samplePcap()]).trim().split('\n')).toHaveLength(fits.length);
  });

  it('refuses what pcap cannot hold, and says what it loses', () => {
    const w = new PcapWriter({ linkType: 1 });
    expect(() => w.write({ ...packets[5]! })).toThrow(/32-bit seconds/);
    expect(() => w.write({ ...packets[0]!, linkType: 276 })).toThrow(/one link type/);
    expect(PCAP_LOSS_WARNING).toMatch(/interfaces, packet comments, packet ids or directions/);
    expect(pcapLossWarning(3)).toContain('all 3 capture points');
  });
});

describe('PcapngWriter with a comment encoder', () => {
  it('writes what the encoder writes, and a comment too long for its room from its text', async () => {
    const { CaptureParser } = await import('../../../src/pcap/parser.js');
    const enc = new TextEncoder();
    const encoder = {
      encode: (s: string, out: Uint8Array, at: number, room: number): number => {
        const b = enc.encode(s);
        if (b.length > room) return -1;
        out.set(b, at);
        return b.length;
      },
      text: (s: string): string => s,
    };
    const w = new PcapngWriter({ interfaces: [{ name: 'a' }] }, 1024);
    const texts = ['hop 1/2 a out', 'x'.repeat(700) + ' µs', '', 'short'];
    texts.forEach((t, i) => w.write({ point: 0, tsSec: 1, tsNsec: i, data: new Uint8Array(60).fill(i + 1), origLen: 60, packetId: i + 1 }, encoder, t));
    const events = new CaptureParser().push(w.take());
    const packets = events.filter((e): e is PacketEvent => e.kind === 'packet');
    expect(packets.map((p) => p.comment)).toEqual(['hop 1/2 a out', 'x'.repeat(700) + ' µs', undefined, 'short']);
    expect(packets.map((p) => p.packetId)).toEqual([1n, 2n, 3n, 4n]);
    expect(packets.map((p) => p.data[0])).toEqual([1, 2, 3, 4]);
  });
});
