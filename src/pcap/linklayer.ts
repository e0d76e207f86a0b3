/**
 * Where the network layer starts in a frame, for the link types vethcap captures
 * (pure). The correlation engine uses it to find the IP header without decoding the
 * link layer itself.
 */
import { LINKTYPE } from '../model/record.js';

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;

/** Raw-IP link types besides LINKTYPE_RAW: DLT_RAW's values on some BSDs, and IPv4/IPv6 only. */
const LINKTYPE_RAW_BSD_12 = 12;
const LINKTYPE_RAW_BSD_14 = 14;
const LINKTYPE_IPV4 = 228;
const LINKTYPE_IPV6 = 229;

/** Mutable result of networkLayerInto. */
export interface NetworkLayer {
  /** Byte offset of the network-layer header in the frame. */
  offset: number;
  /** Its EtherType (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, ...). */
  ethertype: number;
}

function rawIp(data: Uint8Array, out: NetworkLayer): boolean {
  if (data.length < 1) return false;
  const version = data[0]! >> 4;
  if (version !== 4 && version !== 6) return false;
  out.offset = 0;
  out.ethertype = version === 4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
  return true;
}

/**
 * Fills `out` with the network layer's offset and EtherType and returns true, or returns
 * false when the frame is too short, the link type is not one of Ethernet (skipping
 * 802.1Q/802.1ad tags), Linux cooked v1/v2, or raw IP, or an Ethernet frame carries an
 * 802.3 length instead of an EtherType. No allocation: reuse `out` on the hot path.
 */
export function networkLayerInto(linkType: number, data: Uint8Array, out: NetworkLayer): boolean {
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      let o = 12;
      for (;;) {
        if (data.length < o + 2) return false;
        const t = (data[o]! << 8) | data[o + 1]!;
        if (t === 0x8100 || t === 0x88a8 || t === 0x9100) {
          o += 4;
          continue;
        }
        if (t < 0x0600) return false;
        out.offset = o + 2;
        out.ethertype = t;
        return true;
      }
    }
    case LINKTYPE.LINUX_SLL: {
      if (data.length < 16) return false;
      out.offset = 16;
      out.ethertype = (data[14]! << 8) | data[15]!;
      return true;
    }
    case LINKTYPE.LINUX_SLL2: {
      if (data.length < 20) return false;
      out.offset = 20;
      out.ethertype = (data[0]! << 8) | data[1]!;
      return true;
    }
    case LINKTYPE.RAW:
    case LINKTYPE_RAW_BSD_12:
    case LINKTYPE_RAW_BSD_14:
      return rawIp(data, out);
    case LINKTYPE_IPV4:
      out.offset = 0;
      out.ethertype = ETHERTYPE_IPV4;
      return data.length > 0;
    case LINKTYPE_IPV6:
      out.offset = 0;
      out.ethertype = ETHERTYPE_IPV6;
      return data.length > 0;
    default:
      return false;
  }
}

/** networkLayerInto as a fresh object, or undefined (convenient off the hot path). */
export function networkLayer(linkType: number, data: Uint8Array): NetworkLayer | undefined {
  const out: NetworkLayer = { offset: 0, ethertype: 0 };
  return networkLayerInto(linkType, data, out) ? out : undefined;
}
