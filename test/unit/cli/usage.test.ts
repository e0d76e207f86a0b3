import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, runCli } from '../../helpers/cli.js';

// Bad numbers are refused with a sentence and exit 2 before anything starts (no capture,
// no namespace): these run without privileges.
describe('numeric options', () => {
  it.each([
    [['trace', 'box', '--count', 'x'], /--count takes/],
    [['trace', 'box', '--duration', '0'], /--duration takes/],
    [['trace', 'box', '--snaplen', 'abc'], /--snaplen takes a whole number of bytes/],
    [['trace', 'box', '-B', '1.5'], /--buffer-size takes/],
    [['trace', 'box', '--drain', '-1'], /--drain takes/],
    [['demo', '--count', 'x'], /--count takes a whole number of pings/],
    [['demo', '-c', '101'], /--count takes a whole number of pings/],
    [['verify', 'box', '--to', 'web', '--count', '0'], /--count takes/],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// A command without its target says what it needs, in vethcap's words, not yargs'.
describe('missing arguments', () => {
  it.each([
    [['trace'], /^vethcap: \[USAGE\] trace needs a target: a container/],
    [['resolve'], /^vethcap: \[USAGE\] resolve needs a target/],
    [['verify', '--to', 'web'], /^vethcap: \[USAGE\] verify needs a source/],
    [['merge'], /^vethcap: \[USAGE\] merge needs capture files/],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/non-option/);
  });
});

describe('--version', () => {
  it("prints vethcap's version wherever it runs, not the version of the project it stands in", async () => {
    const own = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const other = mkdtempSync(join(tmpdir(), 'vethcap-version-'));
    try {
      writeFileSync(join(other, 'package.json'), '{"name":"someone-else","version":"9.9.9"}');
      const r = await execa(process.execPath, [BIN, '--version'], { cwd: other, reject: false });
      expect(r.stdout.trim()).toBe(own);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
