import { describe, expect, it } from 'vitest';
import { formatError } from '../../../src/cli/report-error.js';
import { EXIT, exitCodeFor } from '../../../src/cli/exit-codes.js';
import { ERROR_CODES, VethcapError } from '../../../src/errors.js';
import { missingCaps, parseEffectiveCaps } from '../../../src/exec/privileges.js';

describe('formatError', () => {
  it('prints the sentence, the hint and the last stderr lines, no stack', () => {
    const report = formatError(
      new VethcapError('CAPTURE_FAILED', 'box:eth0 did not start.', { hint: 'check the filter.', command: 'tcpdump -i eth0', stderr: 'a\nb\ntcpdump: syntax error\n' }),
    );
    expect(report.exitCode).toBe(EXIT.CAPTURE);
    expect(report.lines).toEqual(['vethcap: box:eth0 did not start.', '  hint: check the filter.', '  command: tcpdump -i eth0', '  | a', '  | b', '  | tcpdump: syntax error']);
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
