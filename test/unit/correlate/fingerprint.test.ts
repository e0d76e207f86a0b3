import { describe, expect, it } from 'vitest';
import { fingerprint, sameInvariants } from '../../../src/correlate/index.js';
import { decodeFrame } from '../../../src/decode/index.js';
import { LINKTYPE } from '../../../src/model/record.js';
import { ether, icmpEcho, icmpFrame, ipv6, pattern, sll, tcp, udp } from '../../helpers/frames.js';
import { IP, MAC } from '../../helpers/topology.js';

const MAX = 32;
const fp = (frame: Uint8Array, link: number = LINKTYPE.ETHERNET): number => fingerprint(decodeFrame(frame, link), MAX);
const same = (a: Uint8Array, b: Uint8Array): boolean => sameInvariants(decodeFrame(a, LINKTYPE.ETHERNET), decodeFrame(b, LINKTYPE.ETHERNET), MAX);

describe('fingerprint', () => {
  it('ignores what a router and NAT rewrite: MACs, TTL, addresses, ICMP id', () => {
    const a = icmpFrame({ srcMac: MAC.box, dstMac: MAC.gateway, src: IP.box, dst: IP.remote, ipId: 9, id: 25, seq: 4 });
    const b = icmpFrame({ srcMac: MAC.uplink, dstMac: MAC.nextHop, src: IP.uplink, dst: IP.remote, ipId: 9, id: 4711, seq: 4, ttl: 63 });
    expect(fp(a)).toBe(fp(b));
    expect(same(a, b)).toBe(true);
  });

  it('tells apart what identifies a packet: IP ID, ICMP seq and type, payload', () => {
    const base = { srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 9, id: 25, seq: 4 };
    const a = icmpFrame(base);
    for (const b of [icmpFrame({ ...base, ipId: 10 }), icmpFrame({ ...base, seq: 5 }), icmpFrame({ ...base, reply: true })]) {
      expect(same(a, b)).toBe(false);
    }
  });

  it('matches a cooked capture with an Ethernet one', () => {
    const eth = icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 9, id: 25, seq: 4 });
    const cooked = sll(4, MAC.box, 0x0800, eth.subarray(14));
    expect(fp(cooked, LINKTYPE.LINUX_SLL)).toBe(fp(eth));
    expect(sameInvariants(decodeFrame(cooked, LINKTYPE.LINUX_SLL), decodeFrame(eth, LINKTYPE.ETHERNET), MAX)).toBe(true);
  });

  it('uses TCP seq/ack but not ports; IPv6 without addresses', () => {
    const seg = (sport: number, seq: number): Uint8Array =>
      ether({ src: MAC.box, dst: MAC.web, type: 0x86dd }, ipv6({ src: '2001:db8::2', dst: '2001:db8::3', next: 6 }, tcp({ sport, dport: 80, seq, ack: 1, flags: 0x18 }, pattern(10))));
    expect(same(seg(40000, 100), seg(61000, 100))).toBe(true);
    expect(same(seg(40000, 100), seg(40000, 101))).toBe(false);
    const u = (src: string): Uint8Array => ether({ src: MAC.box, dst: MAC.web, type: 0x86dd }, ipv6({ src, dst: '2001:db8::3', next: 17 }, udp(1, 2, pattern(8))));
    expect(same(u('2001:db8::2'), u('2001:db8:1::9'))).toBe(true);
    const e = (seq: number): Uint8Array => ether({ src: MAC.box, dst: MAC.web, type: 0x86dd }, ipv6({ src: '2001:db8::2', dst: '2001:db8::3', next: 58 }, icmpEcho(128, 1, seq)));
    expect(same(e(1), e(2))).toBe(false);
  });

  it('compares payload bytes past the hashed prefix', () => {
    const p1 = pattern(40);
    const p2 = Uint8Array.from(p1);
    p2[30] = 0xff; // beyond the 16 hashed bytes, inside the 32 compared
    const f = (payload: Uint8Array): Uint8Array => ether({ src: MAC.box, dst: MAC.web, type: 0x86dd }, ipv6({ src: '2001:db8::2', dst: '2001:db8::3', next: 17 }, udp(1, 2, payload)));
    expect(fp(f(p1))).toBe(fp(f(p2)));
    expect(same(f(p1), f(p2))).toBe(false);
  });
});
