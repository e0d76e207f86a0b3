import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HINT_CODES } from '../../../src/verify/hint-findings.js';
import { LOSS_CAUSE_CODES, PROBLEM_CODES } from '../../../src/verify/verdict-findings.js';
import { CAUSES, HINTS, PROBLEMS } from './samples.js';

/**
 * docs/json.md documents every verify code with exactly its fields: a code or a field added
 * without its row fails here.
 */

const DOC = readFileSync(new URL('../../../docs/json.md', import.meta.url), 'utf8');
/** The section, from its heading to the next one of the same level. */
const AT = DOC.indexOf('## `vethcap verify --json`');
const END = DOC.indexOf('\n## ', AT + 1);
const VERIFY = DOC.slice(AT, END === -1 ? undefined : END);

/** `| \`CODE\` | \`a\`, \`b\` | meaning |` rows under the heading `### title`: code → fields. */
function table(title: string): Record<string, string[]> {
  const at = VERIFY.indexOf(`### ${title}`);
  expect(at, title).toBeGreaterThan(0);
  const section = VERIFY.slice(at).split(/\n### /)[0]!.slice(1);
  const out: Record<string, string[]> = {};
  for (const m of section.matchAll(/^\| `([A-Z_]+)` \| ([^|]*) \|/gm)) out[m[1]!] = [...m[2]!.matchAll(/`(\w+)`/g)].map((f) => f[1]!);
  return out;
}

const fields = (sample: object) => Object.keys(sample).filter((k) => k !== 'code');

describe('docs/json.md, verify section', () => {
  it.each([
    ['Hint findings', HINT_CODES, HINTS as Record<string, object>],
    ['Loss causes', LOSS_CAUSE_CODES, CAUSES as Record<string, object>],
    ['Problems', PROBLEM_CODES, PROBLEMS as Record<string, object>],
  ] as const)('%s: every code, with its fields', (title, codes, samples) => {
    const documented = table(title);
    expect(Object.keys(documented).sort()).toEqual([...codes].sort());
    for (const code of codes) expect([code, ...documented[code]!]).toEqual([code, ...fields(samples[code]!)]);
  });

  it('lists the keys the JSON carries', () => {
    for (const key of ['lost', 'problems', 'problemFindings', 'line', 'hints', 'findings', 'notes', 'capture']) expect(VERIFY).toContain(`| \`${key}\` |`);
  });
});
