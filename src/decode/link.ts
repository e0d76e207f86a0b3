import { LINKTYPE } from '../model/record.js';
import { mac48, u16, u8 } from './bytes.js';
import { ETHERTYPE, type DecodedFrame } from './frame.js';

/**
 * Decode the link-layer header of `f.data` for `f.linkType`: MACs, the (one) 802.1Q
 * tag, the ethertype and where the network header starts. Returns false when the frame
 * is truncated inside the link header or the link type is not one vethcap knows.
 */
export function decodeLink(f: DecodedFrame): boolean {
  const d = f.data;
  switch (f.linkType) {
    case LINKTYPE.ETHERNET:
      return decodeEthernet(f, d);
    case LINKTYPE.LINUX_SLL:
      return decodeSll(f, d);
    case LINKTYPE.LINUX_SLL2:
      return decodeSll2(f, d);
    case LINKTYPE.RAW:
    case 12: // LINKTYPE_RAW's number on some BSDs (DLT_RAW)
    case 14: // the same, on OpenBSD
    case 228: // LINKTYPE_IPV4
    case 229: // LINKTYPE_IPV6
      return decodeRaw(f, d);
    default:
      return false;
  }
}

function decodeEthernet(f: DecodedFrame, d: Uint8Array): boolean {
  if (d.length < 14) {
    f.truncated = 'link';
    return false;
  }
  f.dstMac = mac48(d, 0);
  f.srcMac = mac48(d, 6);
  let type = u16(d, 12);
  let off = 14;
  // 802.1Q, or an 802.1ad / old QinQ outer tag: the VLAN id of the (first) tag.
  if (type === ETHERTYPE.VLAN || type === 0x88a8 || type === 0x9100) {
    if (d.length < 18) {
      f.truncated = 'vlan';
      return false;
    }
    f.vlanId = u16(d, 14) & 0x0fff;
    type = u16(d, 16);
    off = 18;
  }
  f.etherType = type;
  f.netOffset = off;
  return true;
}

/** Linux cooked capture v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
function decodeSll(f: DecodedFrame, d: Uint8Array): boolean {
  if (d.length < 16) {
    f.truncated = 'link';
    return false;
  }
  f.sllPacketType = u16(d, 0);
  if (u16(d, 4) === 6) f.srcMac = mac48(d, 6);
  f.etherType = u16(d, 14);
  f.netOffset = 16;
  return true;
}

/** Linux cooked capture v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, 8 address bytes. */
function decodeSll2(f: DecodedFrame, d: Uint8Array): boolean {
  if (d.length < 20) {
    f.truncated = 'link';
    return false;
  }
  f.etherType = u16(d, 0);
  f.sllPacketType = u8(d, 10);
  if (u8(d, 11) === 6) f.srcMac = mac48(d, 12);
  f.netOffset = 20;
  return true;
}

/** Raw IP: the version nibble says which. */
function decodeRaw(f: DecodedFrame, d: Uint8Array): boolean {
  if (d.length < 1) {
    f.truncated = 'link';
    return false;
  }
  const version = u8(d, 0) >> 4;
  if (version === 4) f.etherType = ETHERTYPE.IPV4;
  else if (version === 6) f.etherType = ETHERTYPE.IPV6;
  else return false;
  f.netOffset = 0;
  return true;
}
