import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/exec/run.js';
import { spawnTool } from '../../../src/exec/spawn.js';
import { toolError } from '../../../src/exec/tool-error.js';
import { runInNamespace } from '../../../src/trace/command.js';

// Codes, not sentences: the code is what scripts and the exit code depend on.
describe('a program that cannot be run', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vethcap-spawn-'));
  const notExecutable = join(dir, 'not-executable');
  writeFileSync(notExecutable, '#!/bin/sh\necho hi\n');
  chmodSync(notExecutable, 0o644); // no x bit at all: EACCES even for root
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ENOENT (not installed) is MISSING_TOOL naming the program, with a hint', async () => {
    const error = await run('vethcap-no-such-tool', ['x']).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MISSING_TOOL', command: 'vethcap-no-such-tool x' });
    expect((error as Error).message).toContain('vethcap-no-such-tool');
    expect((error as { hint?: string }).hint).toBeTruthy();
  });

  it('exit 127 (what nsenter and sh exit with when they cannot find the program) is MISSING_TOOL', async () => {
    await expect(run('sh', ['-c', 'exit 127'])).rejects.toMatchObject({ code: 'MISSING_TOOL' });
  });

  it('EACCES (not executable) is PERMISSION', async () => {
    await expect(run(notExecutable, [])).rejects.toMatchObject({ code: 'PERMISSION' });
  });

  it('a program that ran and failed is COMMAND_FAILED with its stderr; one that worked gives its stdout', async () => {
    await expect(run('sh', ['-c', 'echo oops >&2; exit 3'])).rejects.toMatchObject({ code: 'COMMAND_FAILED', stderr: 'oops\n' });
    await expect(run('sh', ['-c', 'echo "$LC_ALL"'])).resolves.toBe('C');
    await expect(run('sleep', ['5'], { timeoutMs: 100 })).rejects.toMatchObject({ code: 'COMMAND_FAILED' });
  });

  it('a long-lived child: `ended` resolves (never rejects) and toolError maps it the same way', async () => {
    const missing = spawnTool('vethcap-no-such-tool', []);
    const end = await missing.ended;
    expect(end.spawnError).toBe('ENOENT');
    expect(missing.toolError(end)).toMatchObject({ code: 'MISSING_TOOL' });
    const denied = spawnTool(notExecutable, []);
    expect(denied.toolError(await denied.ended)).toMatchObject({ code: 'PERMISSION' });
    const ok = spawnTool('sh', ['-c', 'exit 0']);
    expect(ok.toolError(await ok.ended)).toBeUndefined();
  });

  it('the command after -- goes through the same mapping', async () => {
    await expect(runInNamespace(undefined, ['vethcap-no-such-tool']).done).rejects.toMatchObject({ code: 'MISSING_TOOL' });
    await expect(runInNamespace(undefined, [notExecutable]).done).rejects.toMatchObject({ code: 'PERMISSION' });
    await expect(runInNamespace(undefined, ['sh', '-c', 'exit 4']).done).resolves.toBe(4);
  });
});

describe('toolError (the mapping alone)', () => {
  const ctx = { file: 'tcpdump', bin: 'nsenter', command: 'nsenter --net=/proc/1/ns/net -- tcpdump -i eth0' };
  it('through nsenter, exit 127 names the program nsenter could not run, and its package', () => {
    const error = toolError({ exitCode: 127, signal: null }, ctx);
    expect(error).toMatchObject({ code: 'MISSING_TOOL', message: expect.stringContaining('tcpdump') as unknown });
    expect(error?.hint).toContain('apt-get install tcpdump');
  });
  it('exit 126 is PERMISSION; a missing nsenter itself is named with util-linux', () => {
    expect(toolError({ exitCode: 126, signal: null }, ctx)).toMatchObject({ code: 'PERMISSION' });
    expect(toolError({ spawnError: 'ENOENT', exitCode: null, signal: null }, ctx)?.hint).toContain('util-linux');
    expect(toolError({ spawnError: 'EPERM', exitCode: null, signal: null }, ctx)).toMatchObject({ code: 'PERMISSION' });
  });
  it('any other end is left to the caller', () => {
    expect(toolError({ exitCode: 1, signal: null }, ctx)).toBeUndefined();
    expect(toolError({ exitCode: null, signal: 'SIGINT' }, ctx)).toBeUndefined();
  });
});
