import type { CounterRule } from './host-state.js';

/**
 * `nft -a list ruleset`, read for verify's hints: the rules that carry a counter, with
 * where they live and whether they drop. Pure: the text in, the rules out.
 */

/** Tables nft says iptables-nft manages (its warnings on stderr): their rules are read through iptables-save instead. */
export function managedTables(warnings: string): Set<string> {
  const out = new Set<string>();
  for (const m of warnings.matchAll(/table (\S+) (\S+) is managed by iptables-nft/g)) out.add(`${m[1]} ${m[2]}`);
  return out;
}

/**
 * Rules with a counter, keyed by family, table, chain and handle (the line itself when it
 * has no handle), leaving out `skipTables` ("family name").
 */
export function parseNftRuleset(text: string, skipTables: ReadonlySet<string> = new Set()): Record<string, CounterRule> {
  const out: Record<string, CounterRule> = {};
  let family = '';
  let table = '';
  let chain = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t) {
      family = t[1]!;
      table = t[2]!;
      chain = '';
      continue;
    }
    const c = /^chain (\S+) \{/.exec(line);
    if (c) {
      chain = c[1]!;
      continue;
    }
    if (!table || !chain || skipTables.has(`${family} ${table}`)) continue;
    const counter = /counter packets (\d+) bytes \d+/.exec(line);
    if (!counter) continue;
    const handle = /# handle (\d+)$/.exec(line)?.[1];
    const rule = line.replace(/\s*# handle \d+$/, '').replace(/counter packets \d+ bytes \d+ ?/, 'counter ').trim();
    out[`${family} ${table} ${chain} ${handle ?? line}`] = {
      family,
      table,
      chain,
      handle: handle === undefined ? null : Number(handle),
      rule,
      packets: Number(counter[1]),
      drops: /\b(drop|reject)\b/.test(rule),
    };
  }
  return out;
}
