import { readFile } from 'node:fs/promises';
import { VethcapError } from '../errors.js';

export const CAP = { NET_ADMIN: 12, NET_RAW: 13, SYS_PTRACE: 19, SYS_ADMIN: 21 } as const;
export type CapabilityName = keyof typeof CAP;

/** Parses the CapEff line of /proc/self/status into a bit set (pure). */
export function parseEffectiveCaps(status: string): bigint {
  const line = /^CapEff:\s*([0-9a-f]+)/im.exec(status);
  return line ? BigInt(`0x${line[1]}`) : 0n;
}

export function missingCaps(effective: bigint, needed: readonly CapabilityName[]): CapabilityName[] {
  return needed.filter((name) => (effective & (1n << BigInt(CAP[name]))) === 0n);
}

/**
 * Fails with PERMISSION, naming the missing capabilities, unless the process has them
 * (root normally has all of them).
 */
export async function requireCapabilities(needed: readonly CapabilityName[], what: string): Promise<void> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const missing = missingCaps(parseEffectiveCaps(status), needed);
  if (missing.length === 0) return;
  throw new VethcapError(
    'PERMISSION',
    `${what} needs root, or the capabilities ${needed.map((c) => `CAP_${c}`).join(' and ')} (missing: ${missing.map((c) => `CAP_${c}`).join(', ')}).`,
    { hint: 'run it with sudo.' },
  );
}
