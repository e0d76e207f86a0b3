import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatError } from '../../../src/cli/report-error.js';
import { jsonErrorWanted } from '../../../src/cli/main.js';
import { ERROR_CODES, VethcapError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { runCli } from '../../helpers/cli.js';
import { dockerAvailable } from '../../helpers/env.js';

// The code is the API: these tests read the `[CODE]` on stderr, the exit code and the JSON
// error object, never the sentence, whose wording may change.

/** The code on the first stderr line, `vethcap: [CODE] …`. */
function codeOf(stderr: string): string | undefined {
  return /^vethcap: \[([A-Z_]+)\] \S/.exec(stderr)?.[1];
}

/** The JSON error object, which must be the last line of stdout. */
function jsonError(stdout: string): { code: string; message: string; hint?: string } {
  const lines = stdout.trimEnd().split('\n');
  const last = JSON.parse(lines.at(-1)!) as { error: { code: string; message: string; hint?: string } };
  expect(Object.keys(last)).toEqual(['error']);
  return last.error;
}

const NO_DOCKER = { DOCKER_HOST: 'unix:///nonexistent/docker.sock' };

describe('errors carry their code on stderr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vethcap-codes-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an unknown container without Docker: [DOCKER_UNAVAILABLE], exit 4', async () => {
    const r = await runCli(['resolve', 'vethcap-nosuch'], { env: NO_DOCKER });
    expect(codeOf(r.stderr), r.stderr).toBe('DOCKER_UNAVAILABLE');
    expect(r.exitCode).toBe(4);
    expect(r.stdout).toBe('');
  });

  it.runIf(dockerAvailable())('an unknown container with Docker: [TARGET_NOT_FOUND], exit 3', async () => {
    const r = await runCli(['trace', 'vethcap-nosuch-container']);
    expect(codeOf(r.stderr), r.stderr).toBe('TARGET_NOT_FOUND');
    expect(r.exitCode).toBe(3);
  });

  it.each([[['trace', 'box', '--count', 'x']], [['bogus']], [['merge']], [['trace', 'box', '--label', 'x']], [[]]])('bad usage %j: [USAGE], exit 2', async (args) => {
    const r = await runCli(args);
    expect(codeOf(r.stderr), r.stderr).toBe('USAGE');
    expect(r.exitCode).toBe(2);
  });

  it('a merge of a file that is not a capture: [BAD_CAPTURE], exit 7', async () => {
    const file = join(dir, 'notes.pcap');
    writeFileSync(file, 'hello, not a capture\n');
    const r = await runCli(['merge', file]);
    expect(codeOf(r.stderr), r.stderr).toBe('BAD_CAPTURE');
    expect(r.exitCode).toBe(7);
  });

  it('an internal error: [INTERNAL], exit 70, asks for a report, no stack unless VETHCAP_DEBUG=1', () => {
    const report = formatError(new TypeError('x is undefined'));
    expect(codeOf(report.lines[0]!)).toBe('INTERNAL');
    expect(report.exitCode).toBe(70);
    expect(report.lines.join('\n')).toMatch(/report/);
    expect(report.lines.join('\n')).not.toMatch(/\n\s+at /);
    expect(report.json).toEqual({ error: { code: 'INTERNAL', message: 'x is undefined', hint: expect.stringMatching(/report/) as unknown } });
  });
});

describe('--json: the error is one object on stdout, and stderr still says it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vethcap-json-errors-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('merge nonexistent.pcap --json', async () => {
    const r = await runCli(['merge', join(dir, 'nonexistent.pcap'), '--json']);
    expect(r.exitCode).toBe(7);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
    const error = jsonError(r.stdout);
    expect(error.code).toBe('IO');
    expect(typeof error.message).toBe('string');
    expect(codeOf(r.stderr)).toBe('IO');
  });

  it('resolve nosuch --json, without Docker: the hint too', async () => {
    const r = await runCli(['resolve', 'nosuch', '--json'], { env: NO_DOCKER });
    expect(r.exitCode).toBe(4);
    const error = jsonError(r.stdout);
    expect(error.code).toBe('DOCKER_UNAVAILABLE');
    expect(error.hint).toBeTruthy();
    expect(codeOf(r.stderr)).toBe('DOCKER_UNAVAILABLE');
  });

  it.runIf(dockerAvailable())('resolve nosuch --json, with Docker', async () => {
    const r = await runCli(['resolve', 'vethcap-nosuch-container', '--json']);
    expect(r.exitCode).toBe(3);
    expect(jsonError(r.stdout).code).toBe('TARGET_NOT_FOUND');
  });

  it('after NDJSON path lines, the error object is the last line', async () => {
    // A good capture, then a record that claims 2 GiB: paths come out, then BAD_CAPTURE.
    const good = readFileSync(new URL('../../../fixtures/sessions/icmp/box_eth0.pcap', import.meta.url));
    const record = Buffer.alloc(16);
    record.writeUInt32LE(1, 0);
    record.writeUInt32LE(0x7fffffff, 8);
    record.writeUInt32LE(0x7fffffff, 12);
    const file = join(dir, 'damaged.pcap');
    writeFileSync(file, Buffer.concat([good, record, Buffer.from('xx')]));
    const r = await runCli(['merge', file, '--json']);
    expect(r.exitCode).toBe(7);
    const lines = r.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(1);
    for (const path of lines.slice(0, -1)) expect(path).toHaveProperty('id');
    expect(jsonError(r.stdout).code).toBe('BAD_CAPTURE');
  });

  it.each([
    [['trace', '--json']],
    [['merge', '--json']],
    [['resolve', '--json']],
    [['verify', '--to', 'web', '--json']],
    [['trace', 'box', '--json', '-q']],
  ])('a usage error of %j is JSON too', async (args) => {
    const r = await runCli(args);
    expect(r.exitCode).toBe(2);
    expect(jsonError(r.stdout).code).toBe('USAGE');
    expect(codeOf(r.stderr)).toBe('USAGE');
  });

  it('no JSON on stdout without --json, or when a pcapng goes there (-w -)', async () => {
    const plain = await runCli(['merge', join(dir, 'nonexistent.pcap')]);
    expect(plain.stdout).toBe('');
    const pcap = await runCli(['merge', join(dir, 'nonexistent.pcap'), '--json', '-w', '-']);
    expect(pcap.stdout).toBe('');
    expect(codeOf(pcap.stderr)).toBe('IO');
  });

  it('reads --json as yargs does: not after --, not for demo, not when turned off', () => {
    expect(jsonErrorWanted(['trace', 'box', '--json'])).toBe(true);
    expect(jsonErrorWanted(['merge', 'a.pcap', '--json=true'])).toBe(true);
    expect(jsonErrorWanted(['trace', 'box', '--', 'curl', '--json', 'x'])).toBe(false);
    expect(jsonErrorWanted(['demo', '--json'])).toBe(false);
    expect(jsonErrorWanted(['trace', 'box', '--json', '--no-json'])).toBe(false);
    expect(jsonErrorWanted(['merge', 'a.pcap', '--json', '-o', '-'])).toBe(false);
    expect(jsonErrorWanted(['merge', 'a.pcap', '--json', '--write=-'])).toBe(false);
  });

  it('the object holds code, message and, when there is one, hint', () => {
    expect(formatError(new VethcapError('IO', 'cannot read x.'))).toMatchObject({ json: { error: { code: 'IO', message: 'cannot read x.' } } });
    expect(formatError(new VethcapError('IO', 'cannot read x.')).json.error).not.toHaveProperty('hint');
    expect(formatError(new VethcapError('USAGE', 'no.', { hint: 'yes.' })).json).toEqual({ error: { code: 'USAGE', message: 'no.', hint: 'yes.' } });
  });
});

describe('the codes are documented', () => {
  const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
  it('each with its exit code in docs/json.md ("Errors") and in README.md ("Exit codes")', () => {
    const errors = read('docs/json.md').split('\n## Errors\n')[1] ?? '';
    const exitCodes = (read('README.md').split('\n## Exit codes\n')[1] ?? '').split('\n## ')[0]!;
    for (const code of Object.values(ERROR_CODES)) {
      const exit = code === 'INTERRUPTED' ? '130, 143' : String(exitCodeFor(code));
      expect(errors, code).toContain(`| \`${code}\` | ${exit} |`);
      const row = exitCodes.split('\n').find((line) => line.includes(`\`${code}\``));
      expect(row?.startsWith(`| ${exit} |`), `${code}: ${row}`).toBe(true);
    }
  });
});
