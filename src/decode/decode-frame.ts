import { decodeLink } from './link.js';
import { DecodedFrame, ETHERTYPE } from './frame.js';
import { decodeArp, decodeIpv4, decodeIpv6 } from './network.js';
import { decodeTransport } from './transport.js';

/**
 * Decode one captured frame. Never throws on malformed or truncated input: what could
 * be read is filled in, the rest stays -1, and `truncated` names the layer that was cut
 * short (tcpdump's `[|proto]`). Pass `out` to reuse an object on a hot path.
 */
export function decodeFrame(data: Uint8Array, linkType: number, out: DecodedFrame = new DecodedFrame()): DecodedFrame {
  out.reset();
  out.data = data;
  out.linkType = linkType;
  if (!decodeLink(out)) return out;
  switch (out.etherType) {
    case ETHERTYPE.IPV4:
      if (decodeIpv4(out)) decodeTransport(out);
      break;
    case ETHERTYPE.IPV6:
      if (decodeIpv6(out)) decodeTransport(out);
      break;
    case ETHERTYPE.ARP:
      decodeArp(out);
      break;
    default:
      out.network = 'other';
  }
  return out;
}
