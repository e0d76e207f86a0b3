import type { DecodedFrame } from '../decode/frame.js';
import { DIRECTION, type CaptureRecord, type Direction } from '../model/record.js';
import type { PointInfo } from './topology-index.js';

const SLL_OUTGOING = 4;

/**
 * The frame's direction at its point: as the capture says (pcapng epb_flags, or the
 * cooked header's packet type), else inferred from the topology: at a namespace end it
 * is outbound when the source MAC is the endpoint's own; at a host veth, inbound then.
 */
export function directionAt(p: PointInfo, r: CaptureRecord, f: DecodedFrame): Direction {
  if (r.direction !== DIRECTION.UNKNOWN) return r.direction;
  if (f.sllPacketType >= 0) return f.sllPacketType === SLL_OUTGOING ? DIRECTION.OUTBOUND : DIRECTION.INBOUND;
  if (p.endpointMac < 0 || f.srcMac < 0) return DIRECTION.UNKNOWN;
  const fromEndpoint = f.srcMac === p.endpointMac;
  if (p.role === 'namespace-end') return fromEndpoint ? DIRECTION.OUTBOUND : DIRECTION.INBOUND;
  if (p.role === 'host-veth') return fromEndpoint ? DIRECTION.INBOUND : DIRECTION.OUTBOUND;
  return DIRECTION.UNKNOWN;
}

/**
 * Where a copy stands along a path when timestamps tie (the kernel reuses the ingress
 * timestamp): leaving a namespace, entering the host side, the bridge device's
 * observation, leaving through a port, arriving in a namespace. Points without a role
 * in a path (files) rank last and keep input order.
 */
export function tieRank(p: PointInfo, direction: Direction): number {
  switch (p.role) {
    case 'namespace-end':
      return direction === DIRECTION.OUTBOUND ? 0 : direction === DIRECTION.INBOUND ? 4 : 5;
    case 'host-veth':
    case 'uplink':
      return direction === DIRECTION.INBOUND ? 1 : direction === DIRECTION.OUTBOUND ? 3 : 5;
    case 'bridge':
      return 2;
    default:
      return 5;
  }
}
