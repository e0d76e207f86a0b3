import { describe, expect, it } from 'vitest';
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6, networkLayer, networkLayerInto } from '../../../src/pcap/linklayer.js';

const eth = (type: number[], extra: number[] = []): Uint8Array => Uint8Array.from([...new Array<number>(12).fill(2), ...type, ...extra, 0x45, 0]);

describe('networkLayer', () => {
  it('finds IPv4 behind Ethernet, with and without VLAN tags', () => {
    expect(networkLayer(1, eth([0x08, 0x00]))).toEqual({ offset: 14, ethertype: ETHERTYPE_IPV4 });
    expect(networkLayer(1, eth([0x81, 0x00, 0, 5, 0x86, 0xdd]))).toEqual({ offset: 18, ethertype: ETHERTYPE_IPV6 });
    expect(networkLayer(1, eth([0x88, 0xa8, 0, 5, 0x81, 0x00, 0, 6, 0x08, 0x06]))).toEqual({ offset: 22, ethertype: 0x0806 });
    expect(networkLayer(1, eth([0x00, 0x2e]))).toBeUndefined(); // 802.3 length
    expect(networkLayer(1, new Uint8Array(13))).toBeUndefined();
  });

  it('reads Linux cooked v1 and v2', () => {
    const sll = new Uint8Array(20);
    sll[14] = 0x08;
    expect(networkLayer(113, sll)).toEqual({ offset: 16, ethertype: ETHERTYPE_IPV4 });
    const sll2 = new Uint8Array(24);
    sll2.set([0x86, 0xdd], 0);
    expect(networkLayer(276, sll2)).toEqual({ offset: 20, ethertype: ETHERTYPE_IPV6 });
    expect(networkLayer(276, new Uint8Array(19))).toBeUndefined();
  });

  it('reads raw IP by its version nibble', () => {
    for (const lt of [101, 12, 14]) {
      expect(networkLayer(lt, Uint8Array.of(0x45))).toEqual({ offset: 0, ethertype: ETHERTYPE_IPV4 });
      expect(networkLayer(lt, Uint8Array.of(0x60))).toEqual({ offset: 0, ethertype: ETHERTYPE_IPV6 });
      expect(networkLayer(lt, Uint8Array.of(0x10))).toBeUndefined();
    }
    expect(networkLayer(228, Uint8Array.of(0x45))?.ethertype).toBe(ETHERTYPE_IPV4);
    expect(networkLayer(229, Uint8Array.of(0x60))?.ethertype).toBe(ETHERTYPE_IPV6);
    expect(networkLayer(147, Uint8Array.of(0x45))).toBeUndefined();
  });

  it('fills a reusable object without allocating', () => {
    const out = { offset: -1, ethertype: -1 };
    expect(networkLayerInto(1, eth([0x08, 0x00]), out)).toBe(true);
    expect(out).toEqual({ offset: 14, ethertype: ETHERTYPE_IPV4 });
  });
});
