/** The pure parser on small files built in the test: formats, byte orders, blocks, chunking. */
import { describe, expect, it } from 'vitest';
import { VethcapError } from '../../../src/errors.js';
import type { CaptureEvent, InterfaceEvent, PacketEvent, StatsEvent } from '../../../src/pcap/events.js';
import { CaptureParser } from '../../../src/pcap/parser.js';
import {
  block, concat, epb, idb, isb, pb, payload, pcapHeader, pcapRecord, shb, spb, strOpt, tsOpt, u32Opt, u64Opt, u8Opt,
  mixedPcap, mixedPcapng,
} from './build.js';

/** Parses `bytes` pushed in the given chunk sizes; returns events and the error (if any). */
export function parse(bytes: Uint8Array, chunks: number[] = [bytes.length]): { events: CaptureEvent[]; error: unknown } {
  const p = new CaptureParser();
  const events: CaptureEvent[] = [];
  let o = 0;
  try {
    for (const n of chunks) {
      events.push(...p.push(bytes.slice(o, o + n)));
      o += n;
    }
    if (o < bytes.length) events.push(...p.push(bytes.slice(o)));
    events.push(...p.end());
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

function ok(bytes: Uint8Array): CaptureEvent[] {
  const r = parse(bytes);
  if (r.error !== undefined) throw r.error;
  return r.events;
}
const packetsOf = (ev: CaptureEvent[]): PacketEvent[] => ev.filter((e): e is PacketEvent => e.kind === 'packet');
const ifacesOf = (ev: CaptureEvent[]): InterfaceEvent[] => ev.filter((e): e is InterfaceEvent => e.kind === 'interface');
const ts = (p: { tsSec: number; tsNsec: number }): string => `${p.tsSec}.${String(p.tsNsec).padStart(9, '0')}`;

function badCapture(r: { error: unknown }, pattern: RegExp): void {
  expect(r.error).toBeInstanceOf(VethcapError);
  expect((r.error as VethcapError).code).toBe('BAD_CAPTURE');
  expect((r.error as VethcapError).message).toMatch(pattern);
}

describe('classic pcap', () => {
  for (const le of [true, false]) {
    for (const nano of [false, true]) {
      it(`reads ${le ? 'little' : 'big'}-endian ${nano ? 'nanosecond' : 'microsecond'} pcap`, () => {
        const d1 = payload(60, 1);
        const d2 = payload(33, 2);
        const file = concat(
          pcapHeader(le, nano, 1, 262144),
          pcapRecord(le, 1764333971, nano ? 716018412 : 716018, d1),
          pcapRecord(le, 4294967295, nano ? 999999999 : 999999, d2, 1514),
        );
        const ev = ok(file);
        expect(ev[0]).toMatchObject({ kind: 'section', format: 'pcap', littleEndian: le, versionMajor: 2, versionMinor: 4 });
        expect(ev[1]).toMatchObject({ kind: 'interface', interfaceId: 0, linkType: 1, snaplen: 262144, unitsPerSecond: nano ? 1e9 : 1e6 });
        const pk = packetsOf(ev);
        expect(pk.map(ts)).toEqual(nano ? ['1764333971.716018412', '4294967295.999999999'] : ['1764333971.716018000', '4294967295.999999000']);
        expect(pk.map((p) => [p.point, p.interfaceId, p.origLen, p.linkType, p.direction, p.data.length])).toEqual([
          [0, 0, 60, 1, 0, 60], [0, 0, 1514, 1, 0, 33],
        ]);
        expect(Array.from(pk[1]!.data)).toEqual(Array.from(d2));
      });
    }
  }

  it('masks the link type to 16 bits and reports the FCS length', () => {
    const ev = ok(concat(pcapHeader(true, false, 0x10000000 | (2 << 29) | 276), pcapRecord(true, 1, 2, payload(20))));
    expect(ifacesOf(ev)[0]).toMatchObject({ linkType: 276, fcsLen: 4 });
    expect(packetsOf(ev)[0]!.linkType).toBe(276);
  });

  it('carries fractions past one second into the seconds', () => {
    const pk = packetsOf(ok(concat(pcapHeader(true, false, 1), pcapRecord(true, 10, 2_500_000, payload(4)))));
    expect(ts(pk[0]!)).toBe('12.500000000');
    const pn = packetsOf(ok(concat(pcapHeader(false, true, 1), pcapRecord(false, 0xffffffff, 4_294_967_295, payload(4)))));
    expect(ts(pn[0]!)).toBe('4294967299.294967295');
  });

  it('accepts caplen larger than the snaplen and origlen smaller than caplen', () => {
    const pk = packetsOf(ok(concat(pcapHeader(true, true, 1, 16), pcapRecord(true, 1, 1, payload(40), 20))));
    expect([pk[0]!.data.length, pk[0]!.origLen]).toEqual([40, 20]);
  });

  it('refuses other magics and versions with a sentence', () => {
    badCapture(parse(concat(Uint8Array.of(0x34, 0xcd, 0xb2, 0xa1), new Uint8Array(20))), /modified pcap/);
    badCapture(parse(new TextEncoder().encode('<!DOCTYPE html><html></html>')), /^not a pcap or pcapng file: starts with 3c 21 44 4f$/);
    badCapture(parse(Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), /gzip/);
    badCapture(parse(new Uint8Array(0)), /empty input/);
    badCapture(parse(Uint8Array.of(1, 2)), /too short/);
    badCapture(parse(pcapHeader(true, false, 1, 65535, 1, 4)), /unsupported pcap version 1\.4/);
    expect(parse(pcapHeader(true, false, 1, 65535, 2, 5)).error).toBeUndefined();
  });
});

describe('pcapng', () => {
  for (const le of [true, false]) {
    it(`reads a ${le ? 'little' : 'big'}-endian section with IDB options, EPB options and ISB`, () => {
      const file = concat(
        shb(le, [strOpt(2, 'x86_64'), strOpt(3, 'Linux 6.1'), strOpt(4, 'test app'), strOpt(1, 'section comment')]),
        idb(le, 1, 262144, [strOpt(2, 'box:eth0'), strOpt(3, 'inside box'), u8Opt(9, 9), [11, Uint8Array.of(0, 0x69, 0x63, 0x6d, 0x70)], u8Opt(13, 4)]),
        idb(le, 276, 0),
        epb(le, 0, 1764333971716018412n, payload(60), 60, [strOpt(1, 'first'), strOpt(1, 'second'), u32Opt(le, 2, 2), u64Opt(le, 5, 2n ** 64n - 1n)]),
        epb(le, 1, 1764333971716018n, payload(7), 1500, [u32Opt(le, 2, 0x01000001)]),
        epb(le, 1, 0n, payload(0)),
        isb(le, 0, 1764333980000000000n, [tsOpt(le, 2, 1764333970000000001n), tsOpt(le, 3, 1764333980000000002n), u64Opt(le, 4, 3n), u64Opt(le, 5, 1n), u64Opt(le, 6, 9n)]),
      );
      const ev = ok(file);
      expect(ev[0]).toMatchObject({ kind: 'section', format: 'pcapng', littleEndian: le, hardware: 'x86_64', os: 'Linux 6.1', userAppl: 'test app', comment: 'section comment' });
      expect(ifacesOf(ev)).toMatchObject([
        { interfaceId: 0, localId: 0, section: 0, linkType: 1, snaplen: 262144, name: 'box:eth0', description: 'inside box', filter: 'icmp', tsresol: 9, unitsPerSecond: 1e9, fcsLen: 4 },
        { interfaceId: 1, localId: 1, linkType: 276, snaplen: 0, unitsPerSecond: 1e6 },
      ]);
      const pk = packetsOf(ev);
      expect(pk.map(ts)).toEqual(['1764333971.716018412', '1764333971.716018000', '0.000000000']);
      expect(pk.map((p) => [p.interfaceId, p.point, p.linkType, p.data.length, p.origLen, p.direction, p.comment, p.packetId, p.flags])).toEqual([
        [0, 0, 1, 60, 60, 2, 'first\nsecond', 2n ** 64n - 1n, 2],
        [1, 1, 276, 7, 1500, 1, undefined, undefined, 0x01000001],
        [1, 1, 276, 0, 0, 0, undefined, undefined, undefined],
      ]);
      const st = ev.find((e): e is StatsEvent => e.kind === 'stats')!;
      expect([ts(st.ts), ts(st.startTime!), ts(st.endTime!), st.ifRecv, st.ifDrop, st.filterAccept]).toEqual([
        '1764333980.000000000', '1764333970.000000001', '1764333980.000000002', 3n, 1n, 9n,
      ]);
    });
  }

  it.each([
    ['default 10^-6', undefined, 1764333971716018n, '1764333971.716018000'],
    ['10^-9', 9, 1764333971716018412n, '1764333971.716018412'],
    ['10^-3', 3, 1764333971716n, '1764333971.716000000'],
    ['10^0', 0, 4323283200n, '4323283200.000000000'],
    ['10^-12 (bigint path)', 12, 1764333971716018412345n & (2n ** 64n - 1n), ''],
    ['2^-10', 0x8a, 1024n * 1764333971n + 512n, '1764333971.500000000'],
    ['2^-20', 0x94, 1048576n * 100n + 1n, '100.000000953'],
    ['2^-30', 0x9e, 2n ** 30n * 5n + 2n ** 29n + 1n, '5.500000000'],
    ['2^-32', 0xa0, 2n ** 32n * 7n + 2n ** 31n, '7.500000000'],
    ['2^-40 (bigint path)', 0xa8, 2n ** 40n * 3n + 2n ** 38n, '3.250000000'],
  ])('converts timestamps at %s exactly', (_n, tsresol, units, want) => {
    const opts = tsresol === undefined ? [] : [u8Opt(9, tsresol)];
    const file = concat(shb(true), idb(true, 1, 0, opts), epb(true, 0, units, payload(1)));
    const p = packetsOf(ok(file))[0]!;
    const per = tsresol === undefined ? 10n ** 6n : tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
    const sec = units / per;
    const ns = ((units % per) * 1_000_000_000n) / per;
    expect(ts(p)).toBe(want === '' ? `${sec}.${String(ns).padStart(9, '0')}` : want);
    expect(p.tsNsec).toBeLessThan(1e9);
  });

  it('reads several sections of both byte orders, numbering interfaces across them', () => {
    const s1 = concat(shb(true), idb(true, 1, 100), idb(true, 101, 100), epb(true, 1, 5n, payload(3)));
    const s2 = concat(shb(false), idb(false, 113, 200, [u8Opt(9, 9)]), epb(false, 0, 7n, payload(4)));
    const file = concat(s1, s2, shb(true, [], 1, 2), idb(true, 1, 0), epb(true, 0, 9n, payload(5)));
    const ev = ok(file);
    expect(ev.filter((e) => e.kind === 'section').map((e) => e.kind === 'section' && [e.index, e.littleEndian, e.offset])).toEqual([
      [0, true, 0], [1, false, s1.length], [2, true, s1.length + s2.length],
    ]);
    expect(ifacesOf(ev).map((i) => [i.interfaceId, i.section, i.localId, i.linkType])).toEqual([
      [0, 0, 0, 1], [1, 0, 1, 101], [2, 1, 0, 113], [3, 2, 0, 1],
    ]);
    expect(packetsOf(ev).map((p) => [p.interfaceId, p.linkType, ts(p)])).toEqual([
      [1, 101, '0.000005000'], [2, 113, '0.000000007'], [3, 1, '0.000009000'],
    ]);
  });

  it('reads Simple Packet Blocks with interface 0\'s snaplen and no timestamp', () => {
    const ev = ok(concat(shb(false), idb(false, 1, 8), spb(false, 60, payload(8)), spb(false, 4, payload(4)), idb(false, 1, 0)));
    expect(packetsOf(ev).map((p) => [p.data.length, p.origLen, p.hasTimestamp, p.tsSec, p.tsNsec])).toEqual([
      [8, 60, false, 0, 0], [4, 4, false, 0, 0],
    ]);
  });

  it('reads the obsolete Packet Block', () => {
    const pk = packetsOf(ok(concat(shb(true), idb(true, 1, 0), pb(true, 0, 1_000_001n, payload(9)))));
    expect(pk.map((p) => [p.data.length, ts(p), p.hasTimestamp])).toEqual([[9, '1.000001000', true]]);
  });

  it('skips NRB, DSB, custom and unknown blocks by their length', () => {
    const le = true;
    const file = concat(
      shb(le), block(le, 4, Uint8Array.of(1, 0, 8, 0, 198, 18, 0, 2, 0x62, 0x6f, 0x78, 0, 0, 0, 0, 0)),
      idb(le, 1, 0),
      block(le, 0x0a, payload(20)), block(le, 0xbad, payload(13)), block(le, 0x40000bad, payload(4)),
      epb(le, 0, 1n, payload(5)), block(le, 0x12345678, payload(100)), block(le, 9, payload(3)),
      epb(le, 0, 2n, payload(6)),
    );
    expect(packetsOf(ok(file)).map((p) => p.data.length)).toEqual([5, 6]);
  });

  it('refuses damaged blocks with the byte offset', () => {
    const head = concat(shb(true), idb(true, 1, 0));
    const at = head.length;
    badCapture(parse(concat(head, epb(true, 3, 1n, payload(4)))), new RegExp(`byte ${at}: enhanced packet block refers to interface 3, but this section describes 1`));
    const zero = concat(head, Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    badCapture(parse(zero), new RegExp(`block at byte ${at}: block length 0 is impossible`));
    const odd = concat(head, Uint8Array.of(6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    badCapture(parse(odd), /not a multiple of 4/);
    const huge = concat(head, Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0x7f, 0, 0, 0, 0));
    badCapture(parse(huge), /the limit is/);
    const e = epb(true, 0, 1n, payload(8));
    e[20] = 200; // caplen 200 in a 48-byte block
    badCapture(parse(concat(head, e)), /says 200 captured bytes, which do not fit/);
    const t = epb(true, 0, 1n, payload(8));
    t[t.length - 4] = 0; // trailing length mismatch
    badCapture(parse(concat(head, t)), /trailing length 0 does not match its leading length 40/);
    const o = epb(true, 0, 1n, payload(4), 4, [strOpt(1, 'abcd')]);
    o[28 + 4 + 2] = 200; // option length 200
    badCapture(parse(concat(head, o)), /option 1 .* says 200 bytes/);
    badCapture(parse(shb(true, [], 2, 0)), /unsupported pcapng version 2\.0/);
    badCapture(parse(concat(idb(true, 1, 0))), /not a pcap or pcapng file: starts with 01 00 00 00/);
  });
});

describe('chunking', () => {
  for (const [name, file] of [['pcapng', mixedPcapng()], ['pcap', mixedPcap()]] as const) {
    it(`gives the same events for every split of a ${name} file, and 1-byte chunks`, () => {
      const whole = parse(file);
      expect(whole.error).toBeUndefined();
      const norm = (ev: CaptureEvent[]): unknown[] => ev.map((e) => (e.kind === 'packet' ? { ...e, data: Array.from(e.data) } : e));
      const want = norm(whole.events);
      for (let cut = 1; cut < file.length; cut++) {
        const r = parse(file, [cut]);
        expect(r.error).toBeUndefined();
        expect(norm(r.events)).toEqual(want);
      }
      const ones = parse(file, Array.from({ length: file.length }, () => 1));
      expect(ones.error).toBeUndefined();
      expect(norm(ones.events)).toEqual(want);
    });
  }

  it('hands out views into the pushed chunk, copying only a record that spans chunks', () => {
    const file = mixedPcap();
    const p = new CaptureParser();
    const first = file.slice(0, 24 + 16 + 21 + 16 + 10);
    const ev1 = packetsOf(p.push(first));
    expect(ev1).toHaveLength(2);
    expect(ev1.every((e) => e.data.buffer === first.buffer)).toBe(true);
    const second = file.slice(first.length);
    const ev2 = packetsOf(p.push(second));
    expect(ev2).toHaveLength(1);
    expect(ev2[0]!.data.buffer).not.toBe(second.buffer);
    expect(ev2[0]!.data.buffer).not.toBe(first.buffer);
    expect(p.end()).toEqual([]);
  });
});

/** Offsets where a unit (file header, record, block) ends, found by walking lengths. */
function unitBoundaries(file: Uint8Array): Set<number> {
  const set = new Set<number>();
  const v = new DataView(file.buffer, file.byteOffset, file.length);
  if (v.getUint32(0) === 0x0a0d0d0a) {
    let le = true;
    for (let o = 0; o < file.length;) {
      if (v.getUint32(o) === 0x0a0d0d0a) le = v.getUint32(o + 8, true) === 0x1a2b3c4d;
      o += v.getUint32(o + 4, le);
      set.add(o);
    }
  } else {
    const le = v.getUint32(0, true) === 0xa1b2c3d4 || v.getUint32(0, true) === 0xa1b23c4d;
    set.add(24);
    for (let o = 24; o < file.length;) {
      o += 16 + v.getUint32(o + 8, le);
      set.add(o);
    }
  }
  return set;
}

describe('truncation', () => {
  for (const [name, file] of [['pcapng', mixedPcapng()], ['pcap', mixedPcap()]] as const) {
    it(`yields every complete record, then one BAD_CAPTURE, at every cut of a ${name} file`, () => {
      const full = packetsOf(parse(file).events);
      // completeAt[n]: how many packets lie wholly within the first n bytes (pushing byte by byte).
      const completeAt = [0];
      const p = new CaptureParser();
      let count = 0;
      for (let i = 0; i < file.length; i++) {
        count += packetsOf(p.push(file.slice(i, i + 1))).length;
        completeAt.push(count);
      }
      expect(count).toBe(full.length);
      for (let n = 0; n < file.length; n++) {
        const r = parse(file.slice(0, n));
        const got = packetsOf(r.events);
        expect(got).toHaveLength(completeAt[n]!);
        expect(got.map((q) => ts(q) + Array.from(q.data).join())).toEqual(
          full.slice(0, got.length).map((q) => ts(q) + Array.from(q.data).join()),
        );
        // A cut inside a unit always fails, and only with BAD_CAPTURE.
        expect(r.error === undefined ? 'no error' : 'error').toBe(unitBoundaries(file).has(n) && n > 0 ? 'no error' : 'error');
        if (r.error !== undefined) {
          expect(r.error).toBeInstanceOf(VethcapError);
          expect((r.error as VethcapError).code).toBe('BAD_CAPTURE');
          expect((r.error as VethcapError).message).toMatch(/(truncated|empty input|not a pcap)/);
        }
      }
    });
  }

  it('says where and how much is missing', () => {
    const file = mixedPcapng();
    const shbLen = file[4]!;
    const epbAt = shbLen + file[shbLen + 4]!; // the first EPB follows the SHB and the IDB
    const epbLen = file[epbAt + 4]!;
    const r = parse(file.slice(0, epbAt + 20));
    badCapture(r, new RegExp(`^truncated pcapng block at byte ${epbAt}: header says ${epbLen} bytes, 20 remain$`));
    badCapture(parse(file.slice(0, epbAt + 5)), new RegExp(`^truncated pcapng block header at byte ${epbAt}: 5 bytes remain of its 12-byte header$`));
    badCapture(parse(mixedPcap().slice(0, 24 + 16 + 10)), /^truncated pcap record at byte 24: header says 37 bytes, 26 remain$/);
  });

  it('trusts no length for allocation: a huge block claimed, a little data given', () => {
    const p = new CaptureParser();
    p.push(concat(shb(true), idb(true, 1, 0)));
    const head = Uint8Array.of(6, 0, 0, 0, 0, 0, 0, 0x0f, 0, 0, 0, 0); // EPB claiming 240 MiB
    expect(p.push(head)).toEqual([]);
    for (let i = 0; i < 3; i++) expect(p.push(new Uint8Array(1 << 20))).toEqual([]);
    expect(() => p.end()).toThrow(/^truncated pcapng block at byte 48: header says 251658240 bytes, 3145740 remain$/);
  });

  it('keeps the error for later pushes and end()', () => {
    const p = new CaptureParser();
    const ev = p.push(concat(pcapHeader(true, false, 1), pcapRecord(true, 1, 1, payload(4)), Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)));
    expect(packetsOf(ev)).toHaveLength(1);
    expect(p.error?.message).toMatch(/damaged pcap record at byte 44: it claims 4294967295 captured bytes/);
    expect(() => p.push(Uint8Array.of(1))).toThrow(p.error);
    expect(() => p.end()).toThrow(p.error);
  });
});
