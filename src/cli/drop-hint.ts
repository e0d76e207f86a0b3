import { HEADERS_SNAPLEN } from '../plan/headers-only.js';

/**
 * The sentence a trace ends with when two or more points dropped copies in the kernel and
 * --headers-only was not given, else null. Every point dropping at once is the mark of bulk
 * traffic that each point writes in full (bench/bulk.js): with whole packets at one point
 * only, the drops fell about tenfold there.
 */
export function dropHint(perPoint: ReadonlyArray<{ droppedByKernel: number | null }>, headersOnly: boolean): string | null {
  if (headersOnly) return null;
  const dropping = perPoint.filter((p) => (p.droppedByKernel ?? 0) > 0);
  if (dropping.length < 2) return null;
  const n = dropping.reduce((sum, p) => sum + (p.droppedByKernel ?? 0), 0);
  return `${n} copies dropped in the kernel at ${dropping.length} points (the captures missed them, not the network). For bulk traffic, --headers-only keeps whole packets at one point and ${HEADERS_SNAPLEN} bytes at the others, so the bytes are written once instead of at every point; else raise -B.`;
}
