import type { ChainPolicy, CounterRule } from './host-state.js';

/**
 * `iptables-save -c -t filter`, read for verify's hints: every rule with its counter and
 * whether it drops, and the built-in chains' policies with theirs. Pure: text in, data out.
 */
export function parseIptablesSave(text: string): { rules: Record<string, CounterRule>; policies: Record<string, ChainPolicy> } {
  const rules: Record<string, CounterRule> = {};
  const policies: Record<string, ChainPolicy> = {};
  // The same rule twice in a chain is two rules: its key counts the occurrences.
  const seen = new Map<string, number>();
  let table = 'filter';
  for (const line of text.split('\n')) {
    const t = /^\*(\S+)/.exec(line);
    if (t) {
      table = t[1]!;
      continue;
    }
    const p = /^:(\S+) (\S+) \[(\d+):\d+\]/.exec(line);
    if (p) {
      // A user chain has no policy ('-').
      if (p[2] !== '-') policies[p[1]!] = { policy: p[2]!, packets: Number(p[3]) };
      continue;
    }
    const r = /^\[(\d+):\d+\] (-A (\S+) .*)$/.exec(line);
    if (!r) continue;
    const rule = r[2]!;
    const n = (seen.get(rule) ?? 0) + 1;
    seen.set(rule, n);
    rules[`${rule}#${n}`] = { family: null, table, chain: r[3]!, handle: null, rule, packets: Number(r[1]), drops: /-j (DROP|REJECT)\b/.test(rule) };
  }
  return { rules, policies };
}

/**
 * Whether an iptables rule accepts a bridge's traffic: it jumps to ACCEPT and matches the
 * bridge as its in- or out-interface (not negated). Read from the rule as iptables-save
 * prints it.
 */
export function acceptsBridge(rule: CounterRule, bridge: string): boolean {
  const name = bridge.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?<!! )-[io] ${name}(?![\\w.-])[^!]*-j ACCEPT\\b`).test(rule.rule);
}
