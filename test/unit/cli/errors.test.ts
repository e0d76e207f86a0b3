import { describe, expect, it } from 'vitest';
import { formatError } from '../../../src/cli/report-error.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes.js';
import { ERROR_CODES, VethcapError, ioReason } from '../../../src/errors.js';
import { missingCaps, parseEffectiveCaps } from '../../../src/exec/privileges.js';
import { runCli } from '../../helpers/cli.js';
import { privileged } from '../../helpers/env.js';

describe('formatError', () => {
  it('prints the sentence, the hint and the last stderr lines, no stack', () => {
    const report = formatError(
      new VethcapError('CAPTURE_FAILED', 'box:eth0 did not start.', { hint: 'check the filter.', command: 'tcpdump -i eth0', stderr: 'a\nb\ntcpdump: syntax error\n' }),
    );
    expect(report.exitCode).toBe(EXIT.CAPTURE);
    expect(report.lines).toEqual(['vethcap: [CAPTURE_FAILED] box:eth0 did not start.', '  hint: check the filter.', '  command: tcpdump -i eth0', '  | a', '  | b', '  | tcpdump: syntax error']);
  });
  it('calls anything else an internal error with exit 70 and no stack unless debugging', () => {
    const report = formatError(new TypeError('x is undefined'));
    expect(report.exitCode).toBe(70);
    expect(report.lines.join('\n')).not.toMatch(/at .*\.js/);
    expect(formatError(new TypeError('x'), true).lines.join('\n')).toMatch(/TypeError/);
  });
  it('maps every error code to a documented exit code', () => {
    for (const code of Object.values(ERROR_CODES)) expect(Object.values(EXIT)).toContain(exitCodeFor(code));
  });
});

describe('capabilities', () => {
  it('reads CapEff and names what is missing', () => {
    const root = parseEffectiveCaps('Name:\tnode\nCapEff:\t000001ffffffffff\n');
    expect(missingCaps(root, ['SYS_ADMIN', 'NET_RAW'])).toEqual([]);
    const netRawOnly = parseEffectiveCaps('CapEff:\t0000000000002000\n');
    expect(missingCaps(netRawOnly, ['SYS_ADMIN', 'NET_RAW'])).toEqual(['SYS_ADMIN']);
    expect(missingCaps(parseEffectiveCaps('no such line'), ['NET_RAW'])).toEqual(['NET_RAW']);
  });
});

describe('file errors in words', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: raw, open '/x'`), { code });
  it('names the errno without Node\'s wording', () => {
    expect(ioReason(errno('ENOENT'), 'no such directory')).toBe('no such directory');
    expect(ioReason(errno('EACCES'))).toBe('permission denied');
    expect(ioReason(errno('ENOSPC'))).toBe('no space left on the device');
    expect(ioReason(errno('ENOTDIR'))).toBe('a part of the path is not a directory');
    expect(ioReason(errno('EWHAT'))).toBe("EWHAT: raw, open '/x'");
  });
  it('merge -w into a folder that does not exist: exit 7, one sentence', async () => {
    const input = new URL('../../../fixtures/sessions/icmp', import.meta.url).pathname;
    const r = await runCli(['merge', input, '-q', '-w', '/nonexistent-vethcap-dir/out.pcapng']);
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stderr.trim()).toBe('vethcap: [IO] cannot write /nonexistent-vethcap-dir/out.pcapng: no such directory.');
  });
});

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping']))('demo', () => {
  it('refuses a -w folder that does not exist before it builds anything', async () => {
    const r = await runCli(['demo', '-w', '/nonexistent-vethcap-dir/demo.pcapng']);
    expect(r.exitCode, r.stderr).toBe(7);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim()).toBe('vethcap: [IO] cannot write /nonexistent-vethcap-dir/demo.pcapng: no such directory.');
  });
});

// A mistake of the user's is exit 2 with a sentence; exit 70 is kept for bugs, which have
// a code of their own (INTERNAL) so the two can never be confused.
describe('usage mistakes against bugs', () => {
  const session = new URL('../../../fixtures/sessions/icmp', import.meta.url).pathname;
  it.each([
    [['merge', session, '--json', '--quiet'], 'vethcap: [USAGE] --json and --quiet do not go together: --json already prints only data.'],
    [['merge', session, '--window', '0'], 'vethcap: [USAGE] --window takes a number of milliseconds above 0.'],
    [['trace', 'box', '--json', '-q'], 'vethcap: [USAGE] --json and --quiet do not go together: --json already prints only data.'],
  ])('%j: exit 2, one sentence, no "internal error"', async (args, sentence) => {
    const r = await runCli(args);
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(sentence);
    expect(r.stderr).not.toMatch(/internal error|this is a bug/);
  });
  it('a broken invariant (INTERNAL) is exit 70 and says it is a bug', () => {
    expect(exitCodeFor('INTERNAL')).toBe(EXIT.INTERNAL);
    const report = formatError(new VethcapError('INTERNAL', 'no host gw in lab abc'));
    expect(report.exitCode).toBe(70);
    expect(report.lines[0]).toBe('vethcap: [INTERNAL] internal error: no host gw in lab abc');
    expect(report.lines[1]).toMatch(/this is a bug in vethcap/);
  });
  it('no other code is reported as exit 70', () => {
    for (const code of Object.values(ERROR_CODES)) if (code !== 'INTERNAL') expect(exitCodeFor(code), code).not.toBe(EXIT.INTERNAL);
  });
});
