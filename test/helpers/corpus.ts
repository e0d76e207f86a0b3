import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The shared capture corpus: `../shared/corpus` beside the repository (where CI and the
 * developers' machines put it), or VETHCAP_CORPUS.
 */
export const CORPUS =
  process.env.VETHCAP_CORPUS ??
  [fileURLToPath(new URL('../../../shared/corpus', import.meta.url)), '/work/shared/corpus'].find((p) => existsSync(p)) ??
  fileURLToPath(new URL('../../../shared/corpus', import.meta.url));
