/**
 * Guards that keep the shape of src/ (issue 13): the pure stages do no I/O of their own,
 * and no module imports itself back through others. Imports are read from the source text
 * (static `import … from`, `export … from`, and `import('…')`), type-only ones included:
 * a cycle through types still ties two modules' meanings together.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function modules(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? modules(join(dir, e.name)) : e.name.endsWith('.ts') ? [relative(SRC, join(dir, e.name))] : []));
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** What a module imports: package names as written, relative ones as src-relative .ts paths. */
function importsOf(module: string): string[] {
  const text = readFileSync(join(SRC, module), 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    out.push(spec.startsWith('.') ? normalize(join(dirname(module), spec)).replace(/\.js$/, '.ts') : spec);
  }
  return out;
}

const ALL = modules();
const GRAPH = new Map(ALL.map((m) => [m, importsOf(m)]));

/**
 * The stages that must stay pure: no file system, no processes, no Docker. In verify/, all
 * but the two modules that run things: verify.ts (the run) and host-snapshot.ts (the host's
 * state); the verdict, the hints, their parsers and their words are pure.
 */
const PURE = [/^decode\//, /^merge\//, /^correlate\//, /^render\//, /^model\//, /^pcap\//, /^report\//, /^verify\/(?!verify\.ts$|host-snapshot\.ts$)/];
const IO = [/^(node:)?fs(\/promises)?$/, /^(node:)?child_process$/, /^execa$/, /^dockerode$/, /^(node:)?net$/];

describe('the shape of src/', () => {
  it('finds the modules and their imports (the guards below read real files)', () => {
    expect(ALL.length).toBeGreaterThan(100);
    expect(GRAPH.get('trace/trace.ts')).toContain('pipeline/runner.ts');
    expect(GRAPH.get('capture/capture-session.ts')).toEqual(expect.arrayContaining(['capture/tcpdump.ts']));
    // verify's pure modules are guarded, and the host's I/O is where the guard expects it.
    expect(ALL.filter((m) => PURE.some((p) => p.test(m)) && m.startsWith('verify/'))).toEqual(expect.arrayContaining(['verify/verdict.ts', 'verify/hints.ts', 'verify/hint-text.ts', 'verify/parse-nft.ts']));
    expect(GRAPH.get('verify/host-snapshot.ts')).toEqual(expect.arrayContaining(['exec/spawn.ts', 'node:fs/promises']));
  });

  it('the pure stages (decode, merge, correlate, render, model, the pcap codec, the HTML report, verify but its I/O) import no fs, child_process, execa, dockerode or net, directly or through other modules', () => {
    const offenders: string[] = [];
    for (const m of ALL.filter((x) => PURE.some((p) => p.test(x)))) {
      // Everything it reaches, through any chain of imports.
      const seen = new Set<string>([m]);
      const queue = [m];
      while (queue.length > 0) {
        const at = queue.pop()!;
        for (const dep of GRAPH.get(at) ?? []) {
          if (IO.some((p) => p.test(dep))) offenders.push(`${m} reaches ${dep} (through ${at})`);
          else if (GRAPH.has(dep) && !seen.has(dep)) {
            seen.add(dep);
            queue.push(dep);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('has no import cycles (Tarjan over every relative import, type-only ones included)', () => {
    let index = 0;
    const idx = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string): void => {
      idx.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of (GRAPH.get(v) ?? []).filter((d) => GRAPH.has(d))) {
        if (!idx.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
      if (low.get(v) === idx.get(v)) {
        const scc: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          scc.push(w);
        } while (w !== v);
        if (scc.length > 1 || (GRAPH.get(v) ?? []).includes(v)) cycles.push(scc.sort());
      }
    };
    for (const m of ALL) if (!idx.has(m)) visit(m);
    expect(cycles).toEqual([]);
  });

  it('one module starts processes (src/exec/spawn.ts), so a program that cannot be run is reported the same everywhere', () => {
    // A value import of child_process or execa; `import type { ChildProcess }` is fine.
    const STARTS = /(?:^|\n)\s*import\s+(?!type\s)[^'"]*?from\s*['"](?:(?:node:)?child_process|execa)['"]/;
    const starters = ALL.filter((m) => STARTS.test(readFileSync(join(SRC, m), 'utf8')));
    expect(starters).toEqual(['exec/spawn.ts']);
  });
});
