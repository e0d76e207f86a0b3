import { readFileSync } from 'node:fs';

/**
 * vethcap's version, from its own package.json: two folders up from dist/cli/*.js, one up
 * from the bundle dist/vethcap.js. yargs' own look-up starts from the working directory
 * when it runs bundled, so `vethcap --version` printed whatever project the user stood in.
 */
export function packageVersion(from: string = import.meta.url): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, from), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'vethcap' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not there: try the next
    }
  }
  return 'unknown';
}
