// Bundles the CLI (dist/cli/main.js, built by tsc) with yargs into one file,
// dist/vethcap.js, which bin/vethcap loads. Why: node resolving and compiling ~150 small
// ES modules took ~110 ms of every start (measured: import of dist/cli/main.js 184 ms,
// of the bundle 78 ms), and start-up is part of the time to "armed". The library
// (dist/index.js) stays unbundled. dockerode stays external: it is loaded lazily, only
// for a Docker endpoint vethcap's own engine client does not speak (TLS, ssh://), and
// carries native add-ons.
// Run: node scripts/bundle.mjs (npm run build does).
import { rmSync } from 'node:fs';
import { build } from 'rolldown';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// The chunks of the last build go: their names carry hashes, so old ones would pile up.
rmSync(join(root, 'dist/bundle'), { recursive: true, force: true });

await build({
  input: join(root, 'dist/cli/main.js'),
  platform: 'node',
  external: ['dockerode'],
  logLevel: 'warn',
  onLog(level, log, handler) {
    // resolve.js is imported both statically and dynamically: expected, not a problem.
    if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
    handler(level, log);
  },
  // The entry is dist/vethcap.js; what its commands load lazily (import()) comes in chunks.
  output: { dir: join(root, 'dist'), entryFileNames: 'vethcap.js', chunkFileNames: 'bundle/[name]-[hash].js', format: 'esm' },
});
