/**
 * Files safe to hand over: what `vethcap merge -w` (and every other file vethcap writes,
 * through the same openOutputFile) does with the name it is given.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chownSync, createReadStream, linkSync, lstatSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../helpers/cli.js';
import { privileged } from '../../helpers/env.js';

const SESSION = new URL('../../../fixtures/sessions/icmp', import.meta.url).pathname;
const PCAPNG_MAGIC = 0x0a0d0d0a;
const NOBODY = 65534;
const asRoot = privileged([]);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vethcap-out-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const merge = (out: string, env?: NodeJS.ProcessEnv) => runCli(['merge', SESSION, '-q', '-w', out], env ? { env } : {});
const mode = (path: string) => statSync(path).mode & 0o7777;

describe('output files', () => {
  it('a new file is created 0600', async () => {
    const out = join(dir, 'new.pcapng');
    const r = await merge(out);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mode(out)).toBe(0o600);
    expect(readFileSync(out).readUInt32LE(0)).toBe(PCAPNG_MAGIC);
  });

  it("overwrites the user's own regular file, and makes it 0600", async () => {
    const out = join(dir, 'old.pcapng');
    writeFileSync(out, 'x'.repeat(100_000), { mode: 0o644 });
    const r = await merge(out);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(mode(out)).toBe(0o600);
    const bytes = readFileSync(out);
    expect(bytes.readUInt32LE(0)).toBe(PCAPNG_MAGIC);
    expect(bytes.includes('xxxx')).toBe(false);
  });

  it('refuses a symbolic link (exit 7) and leaves its target alone', async () => {
    const target = join(dir, 'target');
    writeFileSync(target, 'keep me', { mode: 0o644 });
    symlinkSync(target, join(dir, 'link.pcapng'));
    const r = await merge(join(dir, 'link.pcapng'));
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stderr.trim()).toBe(`vethcap: [IO] cannot write ${join(dir, 'link.pcapng')}: it is a symbolic link, and vethcap does not write through one (give the path of the file itself).`);
    expect(readFileSync(target, 'utf8')).toBe('keep me');
    expect(mode(target)).toBe(0o644);
  });

  it('refuses a dangling symbolic link without creating its target', async () => {
    symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling.pcapng'));
    const r = await merge(join(dir, 'dangling.pcapng'));
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/it is a symbolic link/);
    expect(() => lstatSync(join(dir, 'nowhere'))).toThrow(/ENOENT/);
  });

  it.each([
    ['/dev/null', 'it is a character device, not a regular file'],
    ['.', 'it is a directory, not a regular file'],
  ])('refuses %s: %s', async (name, reason) => {
    const r = await runCli(['merge', SESSION, '-q', '-w', name], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stderr.trim()).toBe(`vethcap: [IO] cannot write ${name}: ${reason}.`);
  });

  it('refuses a file with other hard links (writing would change them too)', async () => {
    const other = join(dir, 'other');
    writeFileSync(other, 'keep me');
    linkSync(other, join(dir, 'hard.pcapng'));
    const r = await merge(join(dir, 'hard.pcapng'));
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stderr).toMatch(/it has 2 hard links/);
    expect(readFileSync(other, 'utf8')).toBe('keep me');
  });

  it('writes into a FIFO (Wireshark hands extcap tools one) and leaves it in place', async () => {
    const fifo = join(dir, 'wireshark.fifo');
    execFileSync('mkfifo', [fifo]);
    const chunks: Buffer[] = [];
    const reader = new Promise<void>((resolve, reject) => {
      createReadStream(fifo).on('data', (c) => chunks.push(c as Buffer)).on('end', resolve).on('error', reject);
    });
    const r = await merge(fifo);
    await reader;
    expect(r.exitCode, r.stderr).toBe(0);
    const bytes = Buffer.concat(chunks);
    expect(bytes.readUInt32LE(0)).toBe(PCAPNG_MAGIC);
    expect(bytes.length).toBeGreaterThan(1000);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  describe.runIf(asRoot)('as root', () => {
    it('run through sudo (SUDO_UID/SUDO_GID), the file belongs to that user', async () => {
      const out = join(dir, 'sudo.pcapng');
      const r = await merge(out, { SUDO_UID: String(NOBODY), SUDO_GID: String(NOBODY) });
      expect(r.exitCode, r.stderr).toBe(0);
      const st = statSync(out);
      expect([st.uid, st.gid]).toEqual([NOBODY, NOBODY]);
      expect(mode(out)).toBe(0o600);
    });

    it("under sudo, the invoking user's own existing file may be overwritten", async () => {
      const out = join(dir, 'mine.pcapng');
      writeFileSync(out, 'old');
      chownSync(out, NOBODY, NOBODY);
      const r = await merge(out, { SUDO_UID: String(NOBODY), SUDO_GID: String(NOBODY) });
      expect(r.exitCode, r.stderr).toBe(0);
      expect(readFileSync(out).readUInt32LE(0)).toBe(PCAPNG_MAGIC);
    });

    it("refuses another user's file (one planted in /tmp, say): exit 7", async () => {
      const out = join(dir, 'planted.pcapng');
      writeFileSync(out, 'planted', { mode: 0o666 });
      chownSync(out, NOBODY, NOBODY);
      const r = await merge(out);
      expect(r.exitCode, r.stderr).toBe(7);
      expect(r.stderr.trim()).toBe(`vethcap: [IO] cannot write ${out}: it belongs to another user (uid ${NOBODY}); remove it or choose another name.`);
      expect(readFileSync(out, 'utf8')).toBe('planted');
    });
  });
});
