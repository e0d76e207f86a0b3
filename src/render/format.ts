import type { Direction } from '../model/record.js';
import { DIRECTION } from '../model/record.js';
import type { Timestamp } from '../model/time.js';

export type TimeZone = 'local' | 'utc';

/** Wall-clock time of day to the nanosecond: `12:26:11.716018412`, in UTC or local time. */
export function formatClock(ts: Timestamp, zone: TimeZone): string {
  // A timeline shows thousands of packets per second: the clock of the last second is kept
  // (a Date and its time-zone lookup per packet cost more than the rest of the line).
  if (ts.tsSec !== lastClockSec || zone !== lastClockZone) {
    const d = new Date(ts.tsSec * 1000);
    const h = zone === 'utc' ? d.getUTCHours() : d.getHours();
    const m = zone === 'utc' ? d.getUTCMinutes() : d.getMinutes();
    const s = zone === 'utc' ? d.getUTCSeconds() : d.getSeconds();
    lastClockSec = ts.tsSec;
    lastClockZone = zone;
    lastClock = `${two(h)}:${two(m)}:${two(s)}.`;
  }
  return lastClock + String(ts.tsNsec).padStart(9, '0');
}

let lastClockSec = NaN;
let lastClockZone: TimeZone = 'utc';
let lastClock = '';

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** A duration for people: `850 ns`, `4.3 µs`, `16.8 µs`, `12.5 ms`, `1.250 s`. */
export function formatDuration(ns: number): string {
  const sign = ns < 0 ? '-' : '';
  const a = Math.abs(ns);
  if (a < 1_000) return `${sign}${Math.round(a)} ns`;
  if (a < 1_000_000) return `${sign}${(a / 1_000).toFixed(1)} µs`;
  if (a < 1_000_000_000) return `${sign}${(a / 1_000_000).toFixed(1)} ms`;
  return `${sign}${(a / 1_000_000_000).toFixed(3)} s`;
}

/** `in`, `out`, or `?` when unknown. */
export function formatDirection(d: Direction): 'in' | 'out' | '?' {
  return d === DIRECTION.INBOUND ? 'in' : d === DIRECTION.OUTBOUND ? 'out' : '?';
}
