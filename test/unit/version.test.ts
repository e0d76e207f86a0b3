import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VETHCAP_VERSION, VETHCAP_USER_APPL } from '../../src/version.js';

describe('the version', () => {
  it('is written once in the code, equal to package.json\'s, and recorded in the files vethcap writes', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VETHCAP_VERSION).toBe(pkg.version);
    expect(VETHCAP_USER_APPL).toBe(`vethcap ${pkg.version}`);
  });
});
