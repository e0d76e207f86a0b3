import { DIRECTION, LINKTYPE, type CaptureRecord, type Direction } from '../../src/model/record.js';

/** A record at `point`, `ns` nanoseconds after a fixed base second. */
export function rec(point: number, ns: number, data: Uint8Array = new Uint8Array(0), direction: Direction = DIRECTION.UNKNOWN): CaptureRecord {
  const BASE = 1_764_333_971; // 2025-11-28T12:46:11Z
  const sec = BASE + Math.floor(ns / 1e9);
  return { point, tsSec: sec, tsNsec: ns - Math.floor(ns / 1e9) * 1e9, data, origLen: data.length, linkType: LINKTYPE.ETHERNET, direction };
}

/** Nanoseconds after the base second, for assertions. */
export function nsOf(r: { tsSec: number; tsNsec: number }): number {
  return (r.tsSec - 1_764_333_971) * 1e9 + r.tsNsec;
}
