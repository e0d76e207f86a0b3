import { describe, expect, it } from 'vitest';
import { decodeFrame, DecodedFrame, formatIpv4, formatIpv6, formatMac, isGroupMac, parseMac, summarizeFrame } from '../../../src/decode/index.js';
import { LINKTYPE } from '../../../src/model/record.js';
import {
  arp,
  ether,
  icmpEcho,
  icmpFrame,
  icmpv6NeighborSolicitation,
  ipv4,
  ipv6,
  ipv6Ext,
  pattern,
  sll,
  sll2,
  tcp,
  udp,
  udpFrame,
} from '../../helpers/frames.js';

const BOX = '02:42:c6:12:00:02';
const WEB = '02:42:c6:12:00:03';

const ping = icmpFrame({ srcMac: BOX, dstMac: WEB, src: '198.18.0.2', dst: '198.18.0.3', ipId: 0x1234, id: 25, seq: 0 });

describe('decodeFrame: Ethernet', () => {
  it('reads MACs, IPv4 and ICMP echo fields', () => {
    const f = decodeFrame(ping, LINKTYPE.ETHERNET);
    expect(ping.length).toBe(98);
    expect(f.truncated).toBeNull();
    expect(formatMac(f.srcMac)).toBe(BOX);
    expect(formatMac(f.dstMac)).toBe(WEB);
    expect(f.etherType).toBe(0x0800);
    expect(f.network).toBe('ipv4');
    expect(f.ipId).toBe(0x1234);
    expect(f.ttl).toBe(64);
    expect(f.ipProto).toBe(1);
    expect(f.ipTotalLength).toBe(84);
    expect(f.dontFragment).toBe(true);
    expect(formatIpv4(f.src4)).toBe('198.18.0.2');
    expect(formatIpv4(f.dst4)).toBe('198.18.0.3');
    expect(f.transport).toBe('icmp');
    expect([f.icmpType, f.icmpCode, f.icmpId, f.icmpSeq]).toEqual([8, 0, 25, 0]);
    expect([f.payloadOffset, f.payloadEnd, f.payloadLength]).toEqual([42, 98, 56]);
    expect(summarizeFrame(f)).toBe('ICMP echo request 198.18.0.2 → 198.18.0.3 id=25 seq=0');
  });

  it('reads one 802.1Q tag', () => {
    const frame = ether({ src: BOX, dst: WEB, type: 0x0800, vlan: 42 }, ipv4({ src: '198.18.0.2', dst: '198.18.0.3', proto: 17, id: 7 }, udp(5353, 53, pattern(4))));
    const f = decodeFrame(frame, LINKTYPE.ETHERNET);
    expect(f.vlanId).toBe(42);
    expect([f.srcPort, f.dstPort, f.payloadLength]).toEqual([5353, 53, 4]);
    expect(summarizeFrame(f)).toBe('vlan 42 UDP 198.18.0.2:5353 → 198.18.0.3:53 len=4');
  });

  it('reads TCP seq/ack/flags and ignores Ethernet padding', () => {
    const seg = tcp({ sport: 40000, dport: 80, seq: 1000, ack: 0, flags: 0x02 });
    const frame = ether({ src: BOX, dst: WEB, type: 0x0800 }, ipv4({ src: '198.18.0.2', dst: '198.18.0.3', proto: 6, id: 1 }, seg));
    const padded = new Uint8Array(frame.length + 6);
    padded.set(frame);
    const f = decodeFrame(padded, LINKTYPE.ETHERNET);
    expect([f.srcPort, f.dstPort, f.tcpSeq, f.tcpAck, f.tcpFlags]).toEqual([40000, 80, 1000, 0, 2]);
    expect(f.payloadEnd).toBe(frame.length);
    expect(f.payloadLength).toBe(0);
    expect(summarizeFrame(f)).toBe('TCP 198.18.0.2:40000 → 198.18.0.3:80 [S] seq=1000 len=0');
    const synack = decodeFrame(
      ether({ src: WEB, dst: BOX, type: 0x0800 }, ipv4({ src: '198.18.0.3', dst: '198.18.0.2', proto: 6, id: 2 }, tcp({ sport: 80, dport: 40000, seq: 4000000000, ack: 1001, flags: 0x12 }))),
      LINKTYPE.ETHERNET,
    );
    expect(summarizeFrame(synack)).toBe('TCP 198.18.0.3:80 → 198.18.0.2:40000 [S.] seq=4000000000 ack=1001 len=0');
  });

  it('reads ARP requests and replies', () => {
    const who = decodeFrame(
      ether({ src: BOX, dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806 }, arp({ op: 1, senderMac: BOX, senderIp: '198.18.0.2', targetMac: '00:00:00:00:00:00', targetIp: '198.18.0.3' })),
      LINKTYPE.ETHERNET,
    );
    expect(who.network).toBe('arp');
    expect([who.arpOp, formatIpv4(who.arpSenderIp), formatIpv4(who.arpTargetIp), formatMac(who.arpSenderMac)]).toEqual([1, '198.18.0.2', '198.18.0.3', BOX]);
    expect(isGroupMac(who.dstMac)).toBe(true);
    expect(isGroupMac(who.srcMac)).toBe(false);
    expect(summarizeFrame(who)).toBe('ARP who-has 198.18.0.3 tell 198.18.0.2');
    const reply = decodeFrame(
      ether({ src: WEB, dst: BOX, type: 0x0806 }, arp({ op: 2, senderMac: WEB, senderIp: '198.18.0.3', targetMac: BOX, targetIp: '198.18.0.2' })),
      LINKTYPE.ETHERNET,
    );
    expect(summarizeFrame(reply)).toBe(`ARP reply 198.18.0.3 is-at ${WEB}`);
  });

  it('reads IPv6, skips extension headers, and names neighbor discovery', () => {
    const ns = icmpv6NeighborSolicitation('2001:db8::3', BOX);
    const frame = ether({ src: BOX, dst: '33:33:ff:00:00:03', type: 0x86dd }, ipv6({ src: '2001:db8::2', dst: 'ff02::1:ff00:3', next: 0, hopLimit: 255 }, ipv6Ext(58, ns)));
    const f = decodeFrame(frame, LINKTYPE.ETHERNET);
    expect(f.network).toBe('ipv6');
    expect(f.ttl).toBe(255);
    expect(f.ipProto).toBe(58);
    expect(formatIpv6(f.data, f.src6)).toBe('2001:db8::2');
    expect(formatIpv6(f.data, f.dst6)).toBe('ff02::1:ff00:3');
    expect(f.icmpType).toBe(135);
    expect(formatIpv6(f.data, f.ndTarget)).toBe('2001:db8::3');
    expect(summarizeFrame(f)).toBe('ICMPv6 neighbor solicitation who-has 2001:db8::3 2001:db8::2 → ff02::1:ff00:3');
  });

  it('reads ICMPv6 echo and IPv6 UDP', () => {
    const echo = decodeFrame(ether({ src: BOX, dst: WEB, type: 0x86dd }, ipv6({ src: '2001:db8::2', dst: '2001:db8::3', next: 58 }, icmpEcho(128, 9, 3))), LINKTYPE.ETHERNET);
    expect(summarizeFrame(echo)).toBe('ICMPv6 echo request 2001:db8::2 → 2001:db8::3 id=9 seq=3');
    const u = decodeFrame(ether({ src: BOX, dst: WEB, type: 0x86dd }, ipv6({ src: '2001:db8::2', dst: '2001:db8::3', next: 17 }, udp(1, 2, pattern(3)))), LINKTYPE.ETHERNET);
    expect(summarizeFrame(u)).toBe('UDP [2001:db8::2]:1 → [2001:db8::3]:2 len=3');
  });

  it('names IPv4 fragments', () => {
    const first = decodeFrame(ether({ src: BOX, dst: WEB, type: 0x0800 }, ipv4({ src: '198.18.0.2', dst: '198.18.0.3', proto: 17, id: 99, mf: true }, udp(1, 2, pattern(16)))), LINKTYPE.ETHERNET);
    expect(first.moreFragments).toBe(true);
    expect(first.srcPort).toBe(1);
    const later = decodeFrame(ether({ src: BOX, dst: WEB, type: 0x0800 }, ipv4({ src: '198.18.0.2', dst: '198.18.0.3', proto: 17, id: 99, fragOffset: 24 }, pattern(16))), LINKTYPE.ETHERNET);
    expect(later.fragOffset).toBe(24);
    expect(later.l4Offset).toBe(-1);
    expect(later.srcPort).toBe(-1);
    expect(summarizeFrame(later)).toBe('IPv4 198.18.0.2 → 198.18.0.3 fragment id=99 offset=24 proto=17');
  });

  it('names other ethertypes', () => {
    const f = decodeFrame(ether({ src: BOX, dst: '01:80:c2:00:00:0e', type: 0x88cc }, pattern(20)), LINKTYPE.ETHERNET);
    expect(f.network).toBe('other');
    expect(summarizeFrame(f)).toBe(`ethertype 0x88cc ${BOX} → 01:80:c2:00:00:0e`);
  });
});

describe('decodeFrame: other link types', () => {
  const packet = ipv4({ src: '198.18.0.2', dst: '198.18.0.3', proto: 1, id: 5 }, icmpEcho(8, 1, 2));

  it('reads Linux cooked v1 with its packet type and source MAC', () => {
    const f = decodeFrame(sll(4, BOX, 0x0800, packet), LINKTYPE.LINUX_SLL);
    expect(f.sllPacketType).toBe(4);
    expect(formatMac(f.srcMac)).toBe(BOX);
    expect(f.dstMac).toBe(-1);
    expect(f.ipId).toBe(5);
    expect(f.icmpSeq).toBe(2);
  });

  it('reads Linux cooked v2', () => {
    const f = decodeFrame(sll2(0, WEB, 0x0800, 7, packet), LINKTYPE.LINUX_SLL2);
    expect(f.sllPacketType).toBe(0);
    expect(formatMac(f.srcMac)).toBe(WEB);
    expect(f.icmpSeq).toBe(2);
  });

  it('reads raw IPv4 and IPv6', () => {
    expect(decodeFrame(packet, LINKTYPE.RAW).icmpId).toBe(1);
    const v6 = decodeFrame(ipv6({ src: '2001:db8::2', dst: '2001:db8::3', next: 17 }, udp(1, 2, pattern(1))), LINKTYPE.RAW);
    expect(v6.srcPort).toBe(1);
  });

  it('leaves an unknown link type undecoded', () => {
    const f = decodeFrame(packet, 12345);
    expect(f.network).toBe('none');
    expect(summarizeFrame(f)).toBe('link-type 12345');
  });
});

describe('decodeFrame: truncation is data, not an exception', () => {
  it('marks every cut point without throwing', () => {
    const frames = [
      ping,
      udpFrame({ srcMac: BOX, dstMac: WEB, src: '198.18.0.2', dst: '198.18.0.3', ipId: 1, sport: 1, dport: 2 }),
      ether({ src: BOX, dst: WEB, type: 0x0800 }, ipv4({ src: '198.18.0.2', dst: '198.18.0.3', proto: 6, id: 1 }, tcp({ sport: 1, dport: 2, seq: 3, flags: 0x18 }, pattern(10)))),
      ether({ src: BOX, dst: 'ff:ff:ff:ff:ff:ff', type: 0x0806 }, arp({ op: 1, senderMac: BOX, senderIp: '198.18.0.2', targetMac: '00:00:00:00:00:00', targetIp: '198.18.0.3' })),
      ether({ src: BOX, dst: WEB, type: 0x86dd }, ipv6({ src: '2001:db8::2', dst: '2001:db8::3', next: 0 }, ipv6Ext(58, icmpv6NeighborSolicitation('2001:db8::3', BOX)))),
    ];
    const reused = new DecodedFrame();
    for (const frame of frames) {
      for (let n = 0; n < frame.length; n++) {
        const f = decodeFrame(frame.subarray(0, n), LINKTYPE.ETHERNET, reused);
        const payloadCut = f.payloadEnd - f.payloadOffset < f.payloadLength;
        expect(f.truncated !== null || payloadCut, `length ${n}`).toBe(true);
        expect(typeof summarizeFrame(f)).toBe('string');
      }
    }
  });

  it('keeps what it read before the cut', () => {
    const f = decodeFrame(ping.subarray(0, 38), LINKTYPE.ETHERNET);
    expect(f.truncated).toBe('icmp');
    expect(f.ipId).toBe(0x1234);
    expect(f.icmpType).toBe(8);
    expect(summarizeFrame(f)).toBe('ICMP echo request 198.18.0.2 → 198.18.0.3 [|icmp]');
    const ip = decodeFrame(ping.subarray(0, 20), LINKTYPE.ETHERNET);
    expect(ip.truncated).toBe('ipv4');
    expect(summarizeFrame(ip)).toBe('IPv4 [|ipv4]');
  });

  it('survives garbage header lengths', () => {
    const bad = Uint8Array.from(ping);
    bad[14] = 0x4f; // IHL 60 bytes
    bad[16] = 0xff; // total length 65k
    expect(() => decodeFrame(bad, LINKTYPE.ETHERNET)).not.toThrow();
    const zero = Uint8Array.from(ping);
    zero[14] = 0x41; // IHL 4 bytes: invalid
    expect(decodeFrame(zero, LINKTYPE.ETHERNET).transport).toBe('none');
  });
});

describe('format', () => {
  it('round-trips MACs', () => {
    expect(formatMac(parseMac('02:42:C6:12:00:02'))).toBe('02:42:c6:12:00:02');
    expect(parseMac('nonsense')).toBe(-1);
    expect(formatMac(parseMac('ff:ff:ff:ff:ff:ff'))).toBe('ff:ff:ff:ff:ff:ff');
  });
});
