// Runs the benchmarks in order, each in its own node process, and fails if one does.
// Run: npm run bench   (builds dist/ first). Add a benchmark by adding a line below.
// What each prints is also written, with the machine, the date and the load, into
// docs/benchmarks.md (the README links there): the figures travel with the repository.
// BENCH_ONLY=merge.js,codec.js runs only those; docs/benchmarks.md then keeps the other
// sections from its previous run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
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
  // The HTML report at 100,000 paths: size, cost, chromium's opening time (needs /usr/bin/chromium).
  ['bench/report.js'],
  // Needs root, tcpdump, trafgen (netsniff-ng): builds a lab of namespaces and removes it.
  // With --docker (when an engine answers and the Docker tests' image is there): the same on two containers.
  ['bench/trace.js', ...(dockerReady() ? ['--docker'] : [])],
  // Needs root, tcpdump, iperf3: bulk TCP through a lab's five points, bare tcpdumps (full at every
  // point; full at one and -s 192 at the others) against vethcap trace (full; --headers-only).
  ['bench/bulk.js'],
  // Start-up on two Docker containers: exec → the command after --, arming and look-up, against
  // bare tcpdumps started as vethcap starts its own (needs an engine and the Docker tests' image).
  ...(dockerReady() ? [['bench/start.js']] : []),
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

const DOC = join(root, 'docs/benchmarks.md');
const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);

/** The sections of the previous docs/benchmarks.md, by heading (kept for benchmarks not run now). */
function previousSections() {
  const sections = new Map();
  if (!existsSync(DOC)) return sections;
  for (const part of readFileSync(DOC, 'utf8').split(/^## /m).slice(1)) sections.set(part.slice(0, part.indexOf('\n')).trim(), `## ${part.trimEnd()}\n`);
  return sections;
}

function machine() {
  const cpu = cpus();
  const os = spawnSync('sh', ['-c', '. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"'], { encoding: 'utf8' }).stdout.trim();
  const tools = ['tcpdump --version', 'mergecap -v', 'trafgen -v'].map((c) => spawnSync('sh', ['-c', `${c} 2>&1 | head -1`], { encoding: 'utf8' }).stdout.trim()).filter(Boolean);
  return [
    `${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `${os || 'Linux'}, kernel ${release()}, Node ${process.version}`,
    ...tools,
  ];
}

const sections = previousSections();
const started = new Date();
const loadBefore = loadavg()[0];
let failed = 0;
for (const [script, ...args] of BENCHMARKS) {
  if (only && !only.some((o) => script.endsWith(o))) continue;
  const path = scriptPath(script);
  const title = `\`${['node', script, ...args].join(' ')}\``;
  console.log(`\n=== ${script} ${args.join(' ')}`);
  const t0 = Date.now();
  // Its output goes to the terminal as it comes, and into the document.
  const r = spawnSync(process.execPath, [path, ...args], { cwd: root, stdio: ['inherit', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(r.stdout ?? '');
  const status = r.status === 0 ? '' : ` — **failed** (${r.signal ?? `exit ${r.status}`})`;
  if (r.status !== 0) {
    console.error(`bench: ${script} failed (${r.signal ?? `exit ${r.status}`})`);
    failed++;
  }
  const when = `${new Date(t0).toISOString().slice(0, 16).replace('T', ' ')} UTC, ${((Date.now() - t0) / 1000).toFixed(0)} s, load average ${loadavg()[0].toFixed(2)}`;
  sections.set(title, `## ${title}\n\n${when}${status}\n\n\`\`\`\n${(r.stdout ?? '').trim()}\n\`\`\`\n`);
}
const doc = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (bench/run.js); do not edit by hand. Each section is the output of one',
  'benchmark, with when it ran and the load then: figures from a busy machine are skewed, so read',
  'the ratios against the peer measured in the same run (mergecap, bare tcpdump) rather than absolute',
  'times. How each is measured: the comment at the top of its script in bench/.',
  '',
  `Last run: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC (load average ${loadBefore.toFixed(2)} at the start) on:`,
  '',
  ...machine().map((l) => `- ${l}`),
  '',
  ...sections.values(),
].join('\n');
writeFileSync(DOC, doc.trimEnd() + '\n');
console.log(`\nbench: wrote ${DOC}`);
process.exit(failed > 0 ? 1 : 0);
