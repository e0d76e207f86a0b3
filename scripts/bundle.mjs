// Bundles the CLI (dist/cli/main.js, built by tsc) with yargs into one file,
// dist/vethcap.js, which bin/vethcap loads. Why: node resolving and compiling ~150 small
// ES modules took ~110 ms of every start (measured: import of dist/cli/main.js 184 ms,
// of the bundle 78 ms), and start-up is part of the time to "armed". The library
// (dist/index.js) stays unbundled. dockerode stays external: it is loaded lazily, only
// for a Docker endpoint vethcap's own engine client does not speak (TLS, ssh://), and
// carries native add-ons.
// Run: node scripts/bundle.mjs (npm run build does).
import { build } from 'rolldown';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

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
  output: { file: join(root, 'dist/vethcap.js'), format: 'esm' },
});
