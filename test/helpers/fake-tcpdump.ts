/** Where the fake tcpdump is (test/fake-tcpdump/tcpdump), and putting it first on PATH. */
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory to put first on PATH: it holds `tcpdump` and nothing else of use. */
export const FAKE_TCPDUMP_BIN = join(dirname(fileURLToPath(import.meta.url)), '..', 'fake-tcpdump');
/** The fake itself, to run directly. */
export const FAKE_TCPDUMP = join(FAKE_TCPDUMP_BIN, 'tcpdump');

/**
 * Sets process.env for the fake (PATH first, and the FAKE_TCPDUMP_* variables given, the
 * others cleared) for code that spawns "tcpdump" with process.env, as TcpdumpProcess does;
 * returns the function that puts process.env back.
 */
export function useFakeTcpdump(vars: Record<string, string>): () => void {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('FAKE_TCPDUMP_')) delete process.env[k];
  process.env.PATH = `${FAKE_TCPDUMP_BIN}${delimiter}${process.env.PATH ?? ''}`;
  Object.assign(process.env, vars);
  return () => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  };
}
