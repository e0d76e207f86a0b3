/** Small statistics over plain numbers (pure). */

/**
 * Nearest-rank percentile of ascending `sorted` values: the smallest value at or below
 * which p % of them lie. Undefined when there are none; each caller says what an empty
 * sample means to it (the run summary 0, verify's verdict null).
 */
export function percentile(sorted: readonly number[], p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}
