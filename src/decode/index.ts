export { DecodedFrame, ETHERTYPE, IPPROTO, TCP_FLAG, type Layer, type NetworkKind, type TransportKind } from './frame.js';
export { decodeFrame } from './decode-frame.js';
export { formatIpv4, formatIpv6, formatMac, isGroupMac, parseMac } from './format.js';
export { dstAddress, dstEndpoint, srcAddress, srcEndpoint, withPort } from './addresses.js';
export { formatTcpFlags, protocolName, summarizeFrame } from './summary.js';
