/**
 * Timestamps are kept to the nanosecond as two numbers: whole seconds since the epoch
 * and nanoseconds within that second. A single double cannot hold epoch nanoseconds
 * exactly (2^53 ns is 104 days), and a bigint per packet costs an allocation on the hot
 * path; two small numbers are exact, cheap to compare, and their difference in ns is
 * exact for any interval under 104 days.
 */
export interface Timestamp {
  /** Whole seconds since 1970-01-01T00:00:00Z. */
  readonly tsSec: number;
  /** Nanoseconds within the second, 0 to 999,999,999. */
  readonly tsNsec: number;
}

/** Negative when a is earlier than b, 0 when equal, positive when later. */
export function compareTs(a: Timestamp, b: Timestamp): number {
  return a.tsSec !== b.tsSec ? a.tsSec - b.tsSec : a.tsNsec - b.tsNsec;
}

/** b - a in nanoseconds (exact for intervals under 104 days). */
export function diffNs(a: Timestamp, b: Timestamp): number {
  return (b.tsSec - a.tsSec) * 1e9 + (b.tsNsec - a.tsNsec);
}

/** The timestamp as a decimal string of seconds with nine fractional digits. */
export function formatEpoch(ts: Timestamp): string {
  return `${ts.tsSec}.${String(ts.tsNsec).padStart(9, '0')}`;
}

/** The timestamp as a bigint count of nanoseconds since the epoch. */
export function toEpochNs(ts: Timestamp): bigint {
  return BigInt(ts.tsSec) * 1_000_000_000n + BigInt(ts.tsNsec);
}
