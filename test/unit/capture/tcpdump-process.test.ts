import { afterEach, describe, expect, it } from 'vitest';
import { TcpdumpProcess } from '../../../src/capture/tcpdump.js';

describe('TcpdumpProcess without tcpdump', () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it('says tcpdump is missing (MISSING_TOOL) and ends, without an unhandled error', async () => {
    process.env.PATH = '/nonexistent';
    const p = new TcpdumpProcess({ label: 'host:lo', ifname: 'lo' });
    await expect(p.armed).rejects.toMatchObject({ code: 'MISSING_TOOL', message: 'tcpdump is not installed or not on PATH.' });
    await expect(p.exited).resolves.toBeNull();
    await expect(p.stop()).resolves.toBeNull();
  });
});
