import type { Argv } from 'yargs';
import { VethcapError } from '../errors.js';

/** Output options shared by merge and trace, so both read and document them the same way. */
export function withOutputOptions<T>(y: Argv<T>) {
  return y
    .option('write', { alias: 'w', type: 'string', describe: 'Write the merged pcapng here (one interface per point, hop comments, shared packet ids); - for stdout.' })
    .option('json', { type: 'boolean', default: false, describe: 'NDJSON on stdout: one object per packet path (keys in docs/json.md), then a summary object.' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'Print only the summary.' })
    .option('color', { type: 'boolean', describe: 'Colour the timeline (default: when stdout is a terminal; --no-color turns it off).' })
    .option('utc', { type: 'boolean', default: false, describe: 'Show times in UTC instead of local time.' })
    .option('comments', { type: 'boolean', default: true, describe: 'Hop annotations as pcapng packet comments (--no-comments writes a smaller, faster file).' })
    .option('window', { type: 'number', default: 100, describe: 'Milliseconds within which copies of one packet are matched across points.' })
    // A VethcapError, not a plain Error: what .check() throws reaches the user as is, and
    // anything else would be reported as a bug (exit 70) instead of a usage mistake (2).
    .check((argv) => {
      if (argv.json && argv.quiet) throw new VethcapError('USAGE', '--json and --quiet do not go together: --json already prints only data.');
      if (!(Number(argv.window) > 0)) throw new VethcapError('USAGE', '--window takes a number of milliseconds above 0.');
      return true;
    });
}

export interface OutputArgs {
  write?: string | undefined;
  json: boolean;
  quiet: boolean;
  color?: boolean | undefined;
  utc: boolean;
  comments: boolean;
  window: number;
}

export function outputFormat(args: OutputArgs): 'timeline' | 'json' | 'none' {
  return args.quiet ? 'none' : args.json ? 'json' : 'timeline';
}

export function useColor(args: OutputArgs): boolean {
  if (args.color !== undefined) return args.color;
  return Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined;
}
