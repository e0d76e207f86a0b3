import { VethcapError, type VethcapErrorOptions } from '../errors.js';

/** Levenshtein distance, small strings only (container names). Pure. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] as number;
      prev[j] = Math.min(up + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] as number;
}

/** Names close to `wanted` (typo distance or substring), best first, at most `limit`. */
export function closeNames(wanted: string, names: readonly string[], limit = 3): string[] {
  const w = wanted.toLowerCase();
  return names
    .map((name) => {
      const n = name.toLowerCase();
      const d = editDistance(w, n);
      const score = n.includes(w) || w.includes(n) ? Math.min(d, 1) : d;
      return { name, score };
    })
    .filter(({ score, name }) => score <= Math.max(2, Math.floor(name.length / 3)))
    .sort((x, y) => x.score - y.score || x.name.localeCompare(y.name))
    .slice(0, limit)
    .map(({ name }) => name);
}


/**
 * TARGET_NOT_FOUND from one runtime, with the close names it suggested: a bare name looked
 * up in several runtimes is reported once, with every runtime's suggestions.
 */
export class TargetNotFound extends VethcapError {
  readonly suggestions: readonly string[];

  constructor(message: string, suggestions: readonly string[], options: VethcapErrorOptions = {}) {
    super('TARGET_NOT_FOUND', message, options);
    this.suggestions = suggestions;
  }
}
