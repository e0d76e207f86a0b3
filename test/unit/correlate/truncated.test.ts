import { describe, expect, it } from 'vitest';
import { CorrelationSession, fingerprint, pathFindings, sameInvariants, type PacketPath } from '../../../src/correlate/index.js';
import { decodeFrame } from '../../../src/decode/index.js';
import { LINKTYPE, type CaptureRecord } from '../../../src/model/record.js';
import type { Topology } from '../../../src/model/topology.js';
import { HEADERS_SNAPLEN } from '../../../src/plan/headers-only.js';
import { concat, ether, icmpEcho, ipv4, ipv6, ipv6Ext, macBytes, pattern, tcp, udp } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints } from '../../helpers/topology.js';

// `trace --headers-only` keeps whole packets at one point and the first HEADERS_SNAPLEN bytes
// at the others: the cut copies must fingerprint as the whole one, join its path, and make
// no finding of their own (the correlator compares declared lengths, never captured ones).

const MAX = 32; // the correlator's fingerprint bytes (docs/correlation.md)

/** A TCP header with 40 bytes of options (data offset 15: the most TCP allows), then `payload`. */
function tcpMaxOptions(seq: number, payload: Uint8Array): Uint8Array {
  const header = tcp({ sport: 40000, dport: 5201, seq, ack: 7, flags: 0x10 });
  header[12] = 0xf0;
  const options = new Uint8Array(40).fill(1); // NOPs
  options.set([8, 10, 0, 0, 0, 1, 0, 0, 0, 2], 28); // a timestamp option at the end
  return concat(header, options, payload);
}

/** Ethernet with two VLAN tags (802.1ad outer, 802.1Q inner), as a trunk port may hand over. */
function qinq(type: number, payload: Uint8Array): Uint8Array {
  const be16 = (v: number) => Uint8Array.of(v >> 8, v & 255);
  return concat(macBytes(MAC.web), macBytes(MAC.box), be16(0x88a8), be16(100), be16(0x8100), be16(200), be16(type), payload);
}

const IPV6_HOP_BY_HOP = 0;
const IPV6_FRAGMENT = 44;
/** An IPv6 fragment header for the first (offset 0) fragment of datagram `id`, more to come. */
function fragmentHeader(next: number, id: number, payload: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(next, 0, 0, 1, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255), payload);
}

const bulk = pattern(1448, 3);
/** [name, frame]: frames whose transport payload is part of the fingerprint. */
const frames: Array<[string, Uint8Array]> = [
  ['IPv4 TCP, no options', ether({ src: MAC.box, dst: MAC.web, type: 0x0800 }, ipv4({ src: IP.box, dst: IP.web, proto: 6, id: 77 }, tcp({ sport: 40000, dport: 5201, seq: 1, ack: 7, flags: 0x10 }, bulk)))],
  ['IPv4 TCP with the most options, VLAN', ether({ src: MAC.box, dst: MAC.web, type: 0x0800, vlan: 42 }, ipv4({ src: IP.box, dst: IP.web, proto: 6, id: 78 }, tcpMaxOptions(1, bulk)))],
  ['IPv6 TCP with the most options after hop-by-hop and fragment headers, VLAN (the worst case decoded)',
    ether({ src: MAC.box, dst: MAC.web, type: 0x86dd, vlan: 42 }, ipv6({ src: '2001:2::2', dst: '2001:2::3', next: IPV6_HOP_BY_HOP }, ipv6Ext(IPV6_FRAGMENT, fragmentHeader(6, 0x1234, tcpMaxOptions(1, bulk)))))],
  ['IPv6 TCP with the most options, one VLAN tag', ether({ src: MAC.box, dst: MAC.web, type: 0x86dd, vlan: 42 }, ipv6({ src: '2001:2::2', dst: '2001:2::3', next: 6 }, tcpMaxOptions(9, bulk)))],
  ['IPv4 UDP', ether({ src: MAC.box, dst: MAC.web, type: 0x0800 }, ipv4({ src: IP.box, dst: IP.web, proto: 17, id: 79 }, udp(5000, 5001, bulk)))],
  ['IPv4 ICMP echo, large', ether({ src: MAC.box, dst: MAC.web, type: 0x0800 }, ipv4({ src: IP.box, dst: IP.web, proto: 1, id: 80 }, icmpEcho(8, 25, 1, bulk)))],
];

const cut = (frame: Uint8Array, snaplen: number): Uint8Array => frame.subarray(0, Math.min(frame.length, snaplen));

describe('a copy cut to HEADERS_SNAPLEN', () => {
  it.each(frames)('%s: the headers and 32 payload bytes fit in it', (_name, frame) => {
    const f = decodeFrame(cut(frame, HEADERS_SNAPLEN), LINKTYPE.ETHERNET);
    expect(f.truncated).toBeNull();
    // The identifying span of the cut copy is whole: MAX payload bytes past the headers.
    const whole = decodeFrame(frame, LINKTYPE.ETHERNET);
    const start = whole.network === 'ipv4' || whole.network === 'ipv6' ? whole.payloadOffset : whole.netOffset;
    expect(start + MAX).toBeLessThanOrEqual(HEADERS_SNAPLEN);
  });

  it.each(frames)('%s: same fingerprint and invariants as the whole copy', (_name, frame) => {
    const whole = decodeFrame(frame, LINKTYPE.ETHERNET);
    const short = decodeFrame(cut(frame, HEADERS_SNAPLEN), LINKTYPE.ETHERNET);
    expect(fingerprint(short, MAX)).toBe(fingerprint(whole, MAX));
    expect(sameInvariants(short, whole, MAX)).toBe(true);
    // A cut copy still tells apart a packet whose payload differs within the 32 bytes.
    const other = Uint8Array.from(frame);
    const at = frame.length - bulk.length + 20;
    other[at] = other[at]! ^ 0xff;
    expect(sameInvariants(short, decodeFrame(other, LINKTYPE.ETHERNET), MAX)).toBe(false);
  });

  it('the worst case decoded needs 166 bytes, within HEADERS_SNAPLEN', () => {
    const [, worst] = frames[2]!;
    const f = decodeFrame(worst, LINKTYPE.ETHERNET);
    // 14 + 4 (a tag) + 40 + 8 + 8 + 60 = 134 bytes of headers, then 32 of payload.
    expect(f.payloadOffset).toBe(134);
    expect(f.payloadOffset + MAX).toBeLessThanOrEqual(HEADERS_SNAPLEN);
  });

  it('two VLAN tags: decoded as far as the outer tag, the 32 bytes after it fit too', () => {
    // The decoder reads one tag (src/decode/link.ts): a double-tagged frame fingerprints on
    // the 32 bytes from its inner tag on, well inside the cut copy.
    const frame = qinq(0x86dd, ipv6({ src: '2001:2::2', dst: '2001:2::3', next: 6 }, tcpMaxOptions(1, bulk)));
    const whole = decodeFrame(frame, LINKTYPE.ETHERNET);
    const short = decodeFrame(cut(frame, HEADERS_SNAPLEN), LINKTYPE.ETHERNET);
    expect(whole.netOffset + MAX).toBeLessThanOrEqual(HEADERS_SNAPLEN);
    expect(fingerprint(short, MAX)).toBe(fingerprint(whole, MAX));
    expect(sameInvariants(short, whole, MAX)).toBe(true);
  });

  it('a snap length that cuts into the 32 payload bytes would not match: why the mode never goes below HEADERS_SNAPLEN', () => {
    const [, frame] = frames[3]!; // IPv6 + TCP with options, VLAN: payload from byte 118
    const whole = decodeFrame(frame, LINKTYPE.ETHERNET);
    const tooShort = decodeFrame(cut(frame, whole.payloadOffset + 16), LINKTYPE.ETHERNET);
    expect(sameInvariants(tooShort, whole, MAX)).toBe(false);
  });
});

/** Run records through merge + correlate; return the paths. */
function correlate(topology: Topology, records: CaptureRecord[]): PacketPath[] {
  const paths: PacketPath[] = [];
  const s = new CorrelationSession(topology, (p) => paths.push(p));
  for (const r of records) s.push(r.point, r);
  s.finish();
  return paths;
}

/** A copy at `point` cut to `snaplen` bytes, as tcpdump -s hands it over (origLen the wire length). */
function cutRecord(point: number, ns: number, frame: Uint8Array, snaplen: number): CaptureRecord {
  return { ...rec(point, ns, cut(frame, snaplen)), origLen: frame.length };
}

describe('correlating cut copies with the whole one', () => {
  const data = (seq: number) => ether({ src: MAC.box, dst: MAC.web, type: 0x0800 }, ipv4({ src: IP.box, dst: IP.web, proto: 6, id: seq & 0xffff }, tcp({ sport: 40000, dport: 5201, seq: seq * 1448, ack: 7, flags: 0x10 }, pattern(1448, seq))));
  const ack = (n: number) => ether({ src: MAC.web, dst: MAC.box, type: 0x0800 }, ipv4({ src: IP.web, dst: IP.box, proto: 6, id: 30000 + n }, tcp({ sport: 5201, dport: 40000, seq: 7, ack: n * 1448, flags: 0x10 })));

  it.each([0, 2, 4])('whole at point %i, cut elsewhere: one complete path per packet, no finding', (full) => {
    const records: CaptureRecord[] = [];
    for (let n = 1; n <= 50; n++) {
      const t = n * 10_000;
      for (let p = 0; p < 5; p++) records.push(p === full ? rec(p, t + p * 500, data(n)) : cutRecord(p, t + p * 500, data(n), HEADERS_SNAPLEN));
      // The ACK back, web → box, crosses the points the other way (its 66 bytes fit whole everywhere).
      for (let p = 4; p >= 0; p--) records.push(rec(p, t + 5_000 + (4 - p) * 500, ack(n)));
    }
    const paths = correlate(fivePoints(), records);
    expect(paths).toHaveLength(100);
    for (const path of paths) {
      expect(path.copies).toHaveLength(5);
      expect(path.verdict).toBe('complete');
      expect(path.complete).toBe(true);
      expect(path.nat).toEqual([]);
      expect(path.ttl).toEqual([]);
      expect(path.macRewrites).toEqual([]);
      expect(pathFindings(path)).toEqual([]);
    }
    const dataPaths = paths.filter((p) => p.copies[0]!.label === 'box:eth0');
    expect(dataPaths).toHaveLength(50);
    for (const path of dataPaths) {
      // The wire length, whichever copy came first.
      expect(path.length).toBe(14 + 20 + 20 + 1448);
      for (const c of path.copies) {
        const whole = c.label === fivePoints().points[full]!.label;
        expect(c.record.data.length).toBe(whole ? path.length : HEADERS_SNAPLEN);
        expect(c.record.origLen).toBe(path.length);
      }
    }
  });

  it('a retransmission (same bytes) whole at one point, cut elsewhere, makes its own complete path', () => {
    const records: CaptureRecord[] = [];
    for (const t of [0, 300_000_000]) {
      for (let p = 0; p < 5; p++) records.push(p === 0 ? rec(p, t + p * 500, data(1)) : cutRecord(p, t + p * 500, data(1), HEADERS_SNAPLEN));
    }
    const paths = correlate(fivePoints(), records);
    expect(paths.map((p) => [p.copies.length, p.verdict])).toEqual([[5, 'complete'], [5, 'complete']]);
  });
});
