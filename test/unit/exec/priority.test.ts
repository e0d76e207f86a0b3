/** vethcap yields the CPU while capturing only when it can come back up (src/exec/priority.ts). */
import { describe, expect, it } from 'vitest';
import { hasSysNice } from '../../../src/exec/priority.js';

describe('the observer priority', () => {
  it('reads CAP_SYS_NICE (bit 23) from CapEff in /proc/PID/status', () => {
    expect(hasSysNice('Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t000001ffffffffff\n')).toBe(true);
    expect(hasSysNice('CapEff:\t0000000000800000\n')).toBe(true);
    // A container's root without it (Docker's default set), and an unprivileged user.
    expect(hasSysNice('CapEff:\t00000000a80425fb\n')).toBe(false);
    expect(hasSysNice('CapEff:\t0000000000000000\n')).toBe(false);
    expect(hasSysNice('Name:\tnode\n')).toBe(false);
  });
});
