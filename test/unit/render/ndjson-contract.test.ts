/**
 * docs/json.md promises that NDJSON keys keep their names and meanings: new keys may
 * appear, none goes or changes. fixtures/ndjson-before-findings-*.ndjson are
 * `vethcap merge fixtures/sessions/NAME --json` as written before paths carried
 * `findings`; today's output must hold every key of every line, at every depth, with an
 * equal value. Regenerate them only for a deliberate, documented break.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const SESSIONS = ['icmp', 'udp', 'tcp', 'arp', 'ipv6-nd', 'nat'];

const lines = (text: string): unknown[] => text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as unknown);

/** Where `after` lacks or changes something of `before` (keys it adds are fine), as `where: why` lines. */
function broken(before: unknown, after: unknown, where: string, out: string[]): string[] {
  if (Array.isArray(before)) {
    if (!Array.isArray(after) || after.length !== before.length) out.push(`${where}: was an array of ${before.length}, is ${JSON.stringify(after)?.slice(0, 80)}`);
    else before.forEach((v, i) => broken(v, after[i], `${where}[${i}]`, out));
  } else if (before !== null && typeof before === 'object') {
    if (after === null || typeof after !== 'object' || Array.isArray(after)) out.push(`${where}: was an object, is ${JSON.stringify(after)?.slice(0, 80)}`);
    else for (const [k, v] of Object.entries(before)) {
      if (!(k in after)) out.push(`${where}.${k}: gone`);
      else broken(v, (after as Record<string, unknown>)[k], `${where}.${k}`, out);
    }
  } else if (!Object.is(before, after)) {
    out.push(`${where}: was ${JSON.stringify(before)}, is ${JSON.stringify(after)}`);
  }
  return out;
}

describe('NDJSON written before path findings, against today\'s', () => {
  it('finds what it compares: a line per path and a summary, the new key on every path line', async () => {
    const before = lines(readFileSync(new URL('./fixtures/ndjson-before-findings-nat.ndjson', import.meta.url), 'utf8'));
    expect(before).toHaveLength(15);
    expect(before[0]).not.toHaveProperty('findings');
    const after = lines((await runCli(['merge', 'fixtures/sessions/nat', '--json'])).stdout);
    expect(after.slice(0, -1).every((l) => Array.isArray((l as { findings?: unknown }).findings))).toBe(true);
    // The comparison sees a change: a value edited, a key dropped, an array cut short.
    const edited = structuredClone(after) as Array<Record<string, unknown>>;
    edited[0]!.lost = { after: 'x', before: 'y' };
    delete edited[1]!.nat;
    (edited[2]!.hops as unknown[]).pop();
    expect(broken(before, edited, 'output', [])).toEqual(['output[0].lost: was null, is {"after":"x","before":"y"}', 'output[1].nat: gone', expect.stringMatching(/^output\[2\]\.hops: was an array of \d+/)]);
  });

  it.each(SESSIONS)('%s: every key of every line before is there after, with an equal value', async (name) => {
    const before = lines(readFileSync(new URL(`./fixtures/ndjson-before-findings-${name}.ndjson`, import.meta.url), 'utf8'));
    const r = await runCli(['merge', `fixtures/sessions/${name}`, '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(broken(before, lines(r.stdout), 'output', [])).toEqual([]);
  });
});
