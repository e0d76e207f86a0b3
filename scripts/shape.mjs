#!/usr/bin/env node
// shape.mjs: measures the shape of a checkout's src/ tree, for before/after tables in closing notes.
//
//   node scripts/shape.mjs [--json] [DIR ...]
//
// DIR defaults to the repo this script sits in; any checkout works (e.g. `git worktree add /tmp/x OLDREV`),
// since `typescript` is loaded from next to this script (else from DIR, or NODE_PATH). Several DIRs give one column each.
//
// What each number means and how it is counted:
// - files / lines / non-blank lines: the *.ts files below DIR/src (recursively); lines are counted like
//   `wc -l`, plus a last line without a newline; non-blank lines hold at least one non-space character
//   (comments count as lines).
// - functions: function declarations, class methods, constructors and accessors, and arrow functions or
//   function expressions assigned to a name (`const f = () => …`, `f: () => …` in an object, a class
//   field). Anonymous callbacks (`xs.map(x => …)`) are not functions of their own here. A function's
//   lines run from the line of its first token (`export`, `async`, …; not its doc comment) to the line
//   of its closing brace, blank and comment lines included; nested functions also count in their
//   parent's lines. "> 100" and "> 60" are strictly more than that many lines.
// - import cycles: the graph of src/ modules with an edge for each static relative import or re-export
//   (`import … from './x.js'`, `import './x.js'`, `export … from './x.js'`) that resolves to a .ts file
//   in src/. An import is type-only if it is `import type …`/`export type … from`, or all its named
//   bindings are `type`-marked. Dynamic `import('./x.js')` is not an edge. Cycles are Tarjan's strongly
//   connected components with more than one module, or one module that imports itself. They are counted
//   twice: over all edges, and over value edges only (type-only imports are erased by tsc, so only the
//   latter are cycles at run time).
// - duplicate pairs: the first line of the workplace tool `duplicates --repo DIR/src` (pairs of places
//   sharing 6 or more identical or same-shape lines; in a git checkout it reads the files git tracks
//   there plus untracked, unignored ones). The "by shape" / "boilerplate" figures are its own split.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
let ts; // set by loadTypescript(): from this script's repo, else from DIR's (NODE_PATH is honoured too)

function loadTypescript(dir) {
  for (const from of [import.meta.url, join(dir, 'package.json')]) {
    try { return (ts ??= createRequire(from)('typescript')); } catch { /* next */ }
  }
  throw new Error('cannot load `typescript`: run `npm ci` here or in DIR, or set NODE_PATH to a node_modules holding it');
}

function listTs(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : listTs(p);
    return e.isFile() && e.name.endsWith('.ts') ? [p] : [];
  }).sort();
}

function lineCounts(text) {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return { lines: lines.length, nonBlank: lines.filter((l) => l.trim() !== '').length };
}

const nameOf = (n, sf) => (n && (ts.isIdentifier(n) || ts.isPrivateIdentifier(n) || ts.isStringLiteral(n)) ? n.text : n?.getText(sf));

/** The functions with names in one source file: { name, line, lines }. */
function functionsIn(sf) {
  const found = [];
  const lineOf = (pos) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const add = (name, node) => {
    const line = lineOf(node.getStart(sf));
    found.push({ name, line, lines: lineOf(node.getEnd()) - line + 1 });
  };
  const owner = (n) => (ts.isClassLike(n.parent) && n.parent.name ? n.parent.name.text + '.' : '');
  const visit = (n) => {
    if (ts.isFunctionDeclaration(n) && n.body) add(n.name?.text ?? 'default', n);
    else if ((ts.isMethodDeclaration(n) || ts.isGetAccessor(n) || ts.isSetAccessor(n)) && n.body) {
      const kind = ts.isGetAccessor(n) ? 'get ' : ts.isSetAccessor(n) ? 'set ' : '';
      add(kind + owner(n) + nameOf(n.name, sf), n);
    } else if (ts.isConstructorDeclaration(n) && n.body) add(owner(n) + 'constructor', n);
    else if (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) {
      const p = n.parent;
      if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) {
        add((ts.isPropertyDeclaration(p) ? owner(p) : '') + nameOf(p.name, sf), n);
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** Static relative imports/re-exports of one file: { spec, typeOnly }. */
function importsIn(sf) {
  const out = [];
  for (const s of sf.statements) {
    if (!(ts.isImportDeclaration(s) || ts.isExportDeclaration(s)) || !s.moduleSpecifier) continue;
    const spec = s.moduleSpecifier.text;
    if (!spec.startsWith('.')) continue;
    let typeOnly = false;
    if (ts.isImportDeclaration(s)) {
      const c = s.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : null;
      typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else {
      const named = s.exportClause && ts.isNamedExports(s.exportClause) ? s.exportClause.elements : null;
      typeOnly = s.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly));
    }
    out.push({ spec, typeOnly });
  }
  return out;
}

/** Tarjan's strongly connected components; returns those that are cycles (size > 1, or a self-edge). */
function cycles(graph) {
  let next = 0;
  const index = new Map(), low = new Map(), stack = [], onStack = new Set(), found = [];
  const strong = (v) => {
    index.set(v, next); low.set(v, next); next++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v)) {
      if (!index.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const scc = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); scc.push(w); } while (w !== v);
    if (scc.length > 1 || graph.get(v).has(v)) found.push(scc.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) strong(v);
  return found.sort((a, b) => b.length - a.length || a[0].localeCompare(b[0]));
}

function duplicates(srcDir) {
  const r = spawnSync('duplicates', ['--repo', srcDir], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return { pairs: null, note: `duplicates did not run: ${r.error.message}` };
  const out = r.stdout.split('\n');
  const first = out[0] ?? '';
  const m = /^(\d+) pairs? of places \((\d+) files? read\)/.exec(first) ?? /^no duplicates \((\d+) files? read\)/.exec(first);
  const pairs = !m ? null : first.startsWith('no duplicates') ? 0 : Number(m[1]);
  const shape = /\((\d+) by shape alone(?:, (\d+) of those marked boilerplate)?\)/.exec(first);
  return {
    pairs,
    byShape: shape ? Number(shape[1]) : 0,
    boilerplate: shape?.[2] ? Number(shape[2]) : 0,
    summary: first,
    notes: out.filter((l) => /^(left out|incomplete):/.test(l)),
  };
}

export function measure(dir) {
  loadTypescript(dir);
  const src = join(dir, 'src');
  if (!statSync(src, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`no src/ in ${dir}`);
  const rel = (p) => relative(src, p);
  const files = listTs(src);
  const totals = { files: files.length, lines: 0, nonBlank: 0 };
  const functions = [];
  const all = new Map(), value = new Map();
  for (const f of files) { all.set(rel(f), new Set()); value.set(rel(f), new Set()); }
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const c = lineCounts(text);
    totals.lines += c.lines; totals.nonBlank += c.nonBlank;
    const sf = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    for (const fn of functionsIn(sf)) functions.push({ file: rel(f), ...fn });
    for (const { spec, typeOnly } of importsIn(sf)) {
      const base = resolve(dirname(f), spec);
      const target = [base.replace(/\.(m?)js$/, '.$1ts'), base + '.ts', join(base, 'index.ts')].map(rel).find((p) => all.has(p));
      if (!target) continue;
      all.get(rel(f)).add(target);
      if (!typeOnly) value.get(rel(f)).add(target);
    }
  }
  functions.sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file) || a.line - b.line);
  return {
    dir,
    files: totals,
    functions: {
      count: functions.length,
      over100: functions.filter((f) => f.lines > 100).length,
      over60: functions.filter((f) => f.lines > 60).length,
      largest: functions.slice(0, 5),
      all: functions,
    },
    cycles: { withTypeImports: cycles(all), valueImportsOnly: cycles(value) },
    duplicates: duplicates(src),
  };
}

function markdown(results) {
  const row = (label, f) => `| ${label} | ${results.map(f).join(' | ')} |`;
  const cyc = (list) => `${list.length} (${list.reduce((n, c) => n + c.length, 0)} modules)`;
  const out = [
    `| measure | ${results.map((r) => r.dir).join(' | ')} |`,
    `| --- | ${results.map(() => '---:').join(' | ')} |`,
    row('.ts files in src/', (r) => r.files.files),
    row('lines (non-blank)', (r) => `${r.files.lines} (${r.files.nonBlank})`),
    row('named functions', (r) => r.functions.count),
    row('functions > 100 lines', (r) => r.functions.over100),
    row('functions > 60 lines', (r) => r.functions.over60),
    row('largest function (lines)', (r) => r.functions.largest[0]?.lines ?? '-'),
    row('import cycles, type imports included', (r) => cyc(r.cycles.withTypeImports)),
    row('import cycles, value imports only', (r) => cyc(r.cycles.valueImportsOnly)),
    row('duplicate pairs (by shape alone, boilerplate)', (r) => r.duplicates.pairs === null ? 'n/a'
      : `${r.duplicates.pairs} (${r.duplicates.byShape}, ${r.duplicates.boilerplate})`),
  ];
  for (const r of results) {
    out.push('', `### ${r.dir}`, '', '| largest functions | name | lines |', '| --- | --- | ---: |');
    for (const f of r.functions.largest) out.push(`| ${f.file}:${f.line} | \`${f.name}\` | ${f.lines} |`);
    for (const [label, list] of [['type imports included', r.cycles.withTypeImports], ['value imports only', r.cycles.valueImportsOnly]]) {
      out.push('', `Import cycles (${label}): ${list.length || 'none'}`);
      for (const c of list) out.push(`- ${c.join(', ')}`);
    }
    out.push('', `duplicates: ${r.duplicates.summary ?? r.duplicates.note}`, ...r.duplicates.notes?.map((n) => `duplicates: ${n}`) ?? []);
  }
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const dirs = args.filter((a) => a !== '--json');
  try {
    const results = (dirs.length ? dirs : [join(here, '..')]).map((d) => measure(resolve(d)));
    if (args.includes('--json')) {
      const json = results.map((r) => ({ ...r, functions: { ...r.functions, all: undefined } }));
      console.log(JSON.stringify(json.length === 1 ? json[0] : json, null, 2));
    } else console.log(markdown(results));
  } catch (e) {
    console.error(`shape: ${e.message}`);
    process.exitCode = 1;
  }
}
