import { VethcapError } from '../errors.js';
import type { FileInput } from '../sources/file-sources.js';

/**
 * merge's inputs from its positional files and its `--label NAME=FILE` options: a label
 * alone adds its file, a file named both ways is one input, and the inputs keep the
 * order in which the command line first names them (yargs keeps positionals and options
 * apart; the order matters, as ties without a topology follow it). Pure.
 */
export function mergeInputs(files: readonly string[], labelSpecs: readonly string[], argv: readonly string[] = []): FileInput[] {
  const labels = new Map<string, string>();
  for (const spec of labelSpecs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1) throw new VethcapError('USAGE', `--label ${spec}: write NAME=FILE, e.g. --label box:eth0=box.pcap.`);
    const file = spec.slice(eq + 1);
    const name = spec.slice(0, eq);
    const earlier = labels.get(file);
    if (earlier !== undefined && earlier !== name) throw new VethcapError('USAGE', `--label gives ${file} two names, ${earlier} and ${name}: one label per file.`);
    labels.set(file, name);
  }
  // Where the command line first names each file: as itself, or in a --label value.
  const specFile = new Map(labelSpecs.map((spec) => [spec, spec.slice(spec.indexOf('=') + 1)]));
  const firstSeen = new Map<string, number>();
  const end = argv.indexOf('--');
  argv.slice(0, end < 0 ? argv.length : end).forEach((token, i) => {
    const value = token.startsWith('--label=') ? token.slice('--label='.length) : token;
    const file = specFile.get(value) ?? (files.includes(token) ? token : undefined);
    if (file !== undefined && !firstSeen.has(file)) firstSeen.set(file, i);
  });
  const all = [...new Set([...files, ...labels.keys()])];
  const position = (f: string): number => firstSeen.get(f) ?? Number.MAX_SAFE_INTEGER;
  // A stable sort: files argv does not show (a caller without it) keep yargs' order.
  all.sort((a, b) => position(a) - position(b));
  return all.map((path) => (labels.has(path) ? { path, label: labels.get(path)! } : { path }));
}
