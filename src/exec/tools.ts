import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { VethcapError } from '../errors.js';
import { toolHint } from './tool-error.js';

/** The full path of an executable on PATH, or undefined. */
export async function findOnPath(bin: string, pathVar = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, bin);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Fails with one MISSING_TOOL sentence naming every missing program, before any work starts. */
export async function requireTools(bins: readonly string[]): Promise<void> {
  const found = await Promise.all(bins.map((bin) => findOnPath(bin)));
  const missing = bins.filter((_, i) => found[i] === undefined);
  if (missing.length === 0) return;
  const first = missing[0] as string;
  throw new VethcapError(
    'MISSING_TOOL',
    `vethcap needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed or not on PATH.`,
    { hint: missing.length === 1 ? toolHint(first) : 'Debian/Ubuntu: apt-get install iproute2 util-linux tcpdump.' },
  );
}
