import { sameBytes } from '../decode/bytes.js';
import type { DecodedFrame } from '../decode/frame.js';
import { spanEnd, spanStart } from './fingerprint.js';

const NETWORK_CODE = { none: 0, arp: 1, ipv4: 4, ipv6: 6, other: 2 } as const;

/**
 * Everything `sameInvariants` compares, copied out of a decoded frame as numbers plus
 * the span of identifying bytes (a view into the record's data, not a copy): what an
 * open group keeps of its first copy, so that a window of a second at 330 k packets/s
 * holds small objects rather than decoded frames.
 */
export class InvariantKey {
  private kNetwork = 0;
  private kEtherType = -1;
  private kIpId = -1;
  private kIpProto = -1;
  private kFragOffset = 0;
  private kPayloadLength = -1;
  private kTcpSeq = -1;
  private kTcpAck = -1;
  private kTcpFlags = -1;
  private kIcmpType = -1;
  private kIcmpCode = -1;
  private kIcmpSeq = -1;
  private kBytes: Uint8Array = EMPTY;
  private kStart = 0;
  private kEnd = 0;

  /** Take the invariants of `f`. */
  setKey(f: DecodedFrame, maxBytes: number): void {
    this.kNetwork = NETWORK_CODE[f.network];
    this.kEtherType = f.etherType;
    this.kIpId = f.ipId;
    this.kIpProto = f.ipProto;
    this.kFragOffset = f.fragOffset;
    this.kPayloadLength = f.payloadLength;
    this.kTcpSeq = f.tcpSeq;
    this.kTcpAck = f.tcpAck;
    this.kTcpFlags = f.tcpFlags;
    this.kIcmpType = f.icmpType;
    this.kIcmpCode = f.icmpCode;
    this.kIcmpSeq = f.icmpSeq;
    this.kBytes = f.data;
    this.kStart = spanStart(f);
    this.kEnd = spanEnd(f, maxBytes);
  }

  /** Forget the bytes (the key matches nothing useful until the next setKey). */
  clearKey(): void {
    this.kBytes = EMPTY;
    this.kStart = 0;
    this.kEnd = 0;
  }

  /** True when `f` has exactly these invariants. */
  matchesKey(f: DecodedFrame, maxBytes: number): boolean {
    const net = NETWORK_CODE[f.network];
    if (this.kNetwork !== net) return false;
    if (net === 4 || net === 6) {
      if (
        this.kIpId !== f.ipId ||
        this.kIpProto !== f.ipProto ||
        this.kFragOffset !== f.fragOffset ||
        this.kPayloadLength !== f.payloadLength ||
        this.kTcpSeq !== f.tcpSeq ||
        this.kTcpAck !== f.tcpAck ||
        this.kTcpFlags !== f.tcpFlags ||
        this.kIcmpType !== f.icmpType ||
        this.kIcmpCode !== f.icmpCode ||
        this.kIcmpSeq !== f.icmpSeq
      ) {
        return false;
      }
    } else if (this.kEtherType !== f.etherType) {
      return false;
    }
    const fs = spanStart(f);
    const n = this.kEnd - this.kStart;
    if (spanEnd(f, maxBytes) - fs !== n) return false;
    return sameBytes(this.kBytes, this.kStart, f.data, fs, n);
  }
}

const EMPTY = new Uint8Array(0);

/** Exact comparison of everything `fingerprint` hashes (for tests and tools; the hot path keeps a key). */
export function sameInvariants(a: DecodedFrame, b: DecodedFrame, maxBytes: number): boolean {
  const key = new InvariantKey();
  key.setKey(a, maxBytes);
  return key.matchesKey(b, maxBytes);
}
