// Runs the benchmarks in order, each in its own node process, and fails if one does.
// Run: npm run bench   (builds dist/ first). Add a benchmark by adding a line below.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function dockerReady() {
  const ok = (args) => spawnSync('docker', args, { stdio: 'ignore' }).status === 0;
  return ok(['info']) && ok(['image', 'inspect', 'vethcap-test/busybox:1']);
}

/** [script, ...args]. TypeScript benchmarks run from bench/out after compiling (below). */
const BENCHMARKS = [
  ['bench/codec.js'],
  ['bench/correlate.ts', '1000000', '100'],
  ['bench/merge.js'],
  // Needs root, tcpdump, trafgen (netsniff-ng): builds a lab of namespaces and removes it.
  // With --docker (when an engine answers and the Docker tests' image is there): the same on two containers.
  ['bench/trace.js', ...(dockerReady() ? ['--docker'] : [])],
  // Memory over a long trace at a steady rate (10 minutes unless BENCH_SOAK_S says otherwise).
  ['bench/trace.js', '--skip', 'bare,vethcap,arm', '--soak', process.env.BENCH_SOAK_S ?? '600', '--out', 'bench/out/trace-soak.json'],
];

/** bench/x.ts runs as bench/out/bench/x.js, compiled once with the project's tsconfig. */
let compiled = false;
function scriptPath(script) {
  if (!script.endsWith('.ts')) return script;
  if (!compiled) {
    console.log('$ tsc -p tsconfig.json --outDir bench/out');
    const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--outDir', 'bench/out'], { cwd: root, stdio: 'inherit' });
    if (tsc.status !== 0) {
      console.error('bench: compiling the TypeScript benchmarks failed');
      process.exit(1);
    }
    compiled = true;
  }
  return join('bench/out', script.replace(/\.ts$/, '.js'));
}

let failed = 0;
for (const [script, ...args] of BENCHMARKS) {
  const path = scriptPath(script);
  console.log(`\n=== ${script} ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [path, ...args], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: ${script} failed (${r.signal ?? `exit ${r.status}`})`);
    failed++;
  }
}
process.exit(failed > 0 ? 1 : 0);
