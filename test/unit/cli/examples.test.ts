/**
 * The examples users copy: every `vethcap …` line of README.md's code blocks and of each
 * command's --help, read from those texts (never copied here), so none can drift from the
 * real flags. merge's examples run on recorded captures; the others need containers, root
 * or a Ctrl-C, so they are checked by the CLI's own parser (parseCommandLine: the same
 * yargs set-up and handler checks, stopping before anything runs).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommandLine } from '../../../src/cli/main.js';
import { runCli } from '../../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COMMANDS = ['trace', 'verify', 'resolve', 'merge', 'demo', 'extcap', 'wireshark', 'completion'] as const;

/** Shell words of an example line, up to a redirection or pipe; quotes as sh reads them. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'" || c === '"') {
      const close = line.indexOf(c, i + 1);
      if (close < 0) throw new Error(`unbalanced quote in: ${line}`);
      word = (word ?? '') + line.slice(i + 1, close);
      i = close;
    } else if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if ((c === '>' || c === '|' || c === '#') && word === undefined) {
      break;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** `vethcap …` lines of README.md's indented code blocks (not the synopsis lines with <…> and [...]). */
function readmeExamples(): string[][] {
  const text = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const examples: string[][] = [];
  for (const line of text.split('\n')) {
    const m = /^ {4}(?:\$ )?(?:\S.*&& )?(?:sudo )?(?:\.\/bin\/)?vethcap (.*)$/.exec(line);
    if (!m || /<\w|\[-/.test(m[1]!)) continue;
    examples.push(shellWords(m[1]!));
  }
  return examples;
}

/** The Examples section of `vethcap COMMAND --help` (piped, so one example per line). */
async function helpExamples(command: string): Promise<string[][]> {
  const r = await runCli([command, '--help']);
  expect(r.exitCode, r.stderr).toBe(0);
  const section = r.stdout.split('\nExamples:\n')[1] ?? '';
  const examples: string[][] = [];
  for (const line of section.split('\n')) {
    if (line.trim() === '') break;
    const m = /^ {2}(?:sudo )?vethcap (.+?)(?: {2,}.*)?$/.exec(line);
    if (m) examples.push(shellWords(m[1]!));
  }
  return examples;
}

const sources: Array<[string, string[][]]> = [];
beforeAll(async () => {
  sources.push(['README.md', readmeExamples()]);
  for (const c of COMMANDS) sources.push([`vethcap ${c} --help`, await helpExamples(c)]);
});

describe('examples in README.md and --help', () => {
  it('are found: every command has examples in both', () => {
    const readme = sources[0]![1];
    for (const c of COMMANDS) expect(readme.filter((w) => w[0] === c).length, `README.md examples of ${c}`).toBeGreaterThan(0);
    for (const [where, examples] of sources.slice(1)) expect(examples.length, where).toBeGreaterThan(0);
  });

  it('all parse with the real flags', async () => {
    let checked = 0;
    for (const [where, examples] of sources) {
      for (const words of examples) {
        const parsed = await parseCommandLine(words).catch((error: unknown) => {
          throw new Error(`${where}: vethcap ${words.join(' ')}: ${error instanceof Error ? error.message : String(error)}`);
        });
        expect(parsed.command, words.join(' ')).toBe(words[0]);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  });

  it('a mistyped flag does not parse (the check above can fail)', async () => {
    await expect(parseCommandLine(['trace', 'box', '--filtre', 'icmp'])).rejects.toMatchObject({ code: 'USAGE' });
    await expect(parseCommandLine(['merge', '--label', 'a.pcap'])).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe("merge's examples run", () => {
  // The file names the examples use, as recorded captures of the icmp session.
  const SESSION = join(ROOT, 'fixtures/sessions/icmp');
  const AS: Record<string, string> = { 'box.pcap': 'box_eth0.pcap', 'a.pcap': 'box_eth0.pcap', 'veth.pcap': 'host_vff1f1f1h0.pcap', 'b.pcap': 'host_vff1f1f1h0.pcap' };
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vethcap-examples-'));
    for (const [name, file] of Object.entries(AS)) copyFileSync(join(SESSION, file), join(dir, name));
    symlinkSync(join(ROOT, 'fixtures'), join(dir, 'fixtures'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('each one, from README.md and --help', async () => {
    const merges = sources.flatMap(([where, examples]) => examples.filter((w) => w[0] === 'merge').map((w) => [where, w] as const));
    expect(merges.length).toBeGreaterThanOrEqual(4);
    const seen = { file: 0, json: 0, label: 0 };
    for (const [where, words] of merges) {
      const what = `${where}: vethcap ${words.join(' ')}`;
      for (const w of words) if (/\.pcap$/.test(w) && !w.includes('=')) expect(existsSync(join(dir, w)), `${what}: no capture stands in for ${w}`).toBe(true);
      const r = await runCli(words, { cwd: dir });
      expect(r.exitCode, `${what}\n${r.stderr}`).toBe(0);
      expect(r.stdout.length, what).toBeGreaterThan(0);
      const out = words.find((_w, i) => words[i - 1] === '-w' || words[i - 1] === '-o');
      if (out !== undefined) {
        expect(readFileSync(join(dir, out)).readUInt32LE(0), `${what}: a pcapng`).toBe(0x0a0d0d0a);
        rmSync(join(dir, out));
        seen.file++;
      }
      if (words.includes('--json')) {
        const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(lines.at(-1), what).toHaveProperty('summary');
        expect(lines.length, what).toBeGreaterThan(1);
        seen.json++;
      }
      for (const spec of words.filter((_w, i) => words[i - 1] === '--label')) {
        expect(r.stdout, `${what}: the label ${spec}`).toContain(spec.split('=')[0]!);
        seen.label++;
      }
    }
    // The checks above depend on the examples; each kind must have been exercised.
    expect(seen.file).toBeGreaterThan(0);
    expect(seen.json).toBeGreaterThan(0);
    expect(seen.label).toBeGreaterThan(0);
  });
});
