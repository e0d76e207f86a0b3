import type { CommandModule } from './commands.js';
import { VethcapError } from '../errors.js';
import { mergeFiles } from '../merge-files.js';
import { EXIT } from './exit-codes.js';
import { outputFormat, useColor, withOutputOptions, type OutputArgs } from './output-options.js';

export const mergeCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'merge <file...>',
    'Merge captures taken apart (pcap or pcapng, or a session folder) into one annotated timeline and one pcapng.',
    (y) =>
      withOutputOptions(
        y
          .positional('file', { type: 'string', array: true, demandOption: true, describe: 'Capture files (each pcapng interface is a point), or one folder with a manifest.json.' })
          .option('label', { type: 'string', array: true, default: [], describe: 'NAME=FILE: the label of FILE\'s point (default: the pcapng interface name, else the file name).' }),
      )
        .example('$0 merge box.pcap veth.pcap -o path.pcapng', 'one timeline from two captures, and one file for Wireshark')
        .example('$0 merge --label box:eth0=a.pcap --label host:vethA=b.pcap a.pcap b.pcap', 'name the points')
        .example('$0 merge fixtures/sessions/icmp --json', 'a session folder (with its topology), as NDJSON')
        .epilogue('Without a session folder vethcap knows no topology: equal timestamps keep the order of the files on the command line, so list them in path order.')
        .option('o', { alias: 'output', type: 'string', describe: 'Same as -w.' }),
    async (argv) => {
      const labels = new Map<string, string>();
      for (const spec of argv.label as string[]) {
        const eq = spec.indexOf('=');
        if (eq <= 0 || eq === spec.length - 1) throw new VethcapError('USAGE', `--label ${spec}: write NAME=FILE, e.g. --label box:eth0=box.pcap.`);
        labels.set(spec.slice(eq + 1), spec.slice(0, eq));
      }
      const files = argv.file as string[];
      for (const file of labels.keys()) {
        if (!files.includes(file)) throw new VethcapError('USAGE', `--label names ${file}, which is not one of the files to merge.`);
      }
      const args = argv as unknown as OutputArgs & { o?: string };
      const result = await mergeFiles(
        files.map((path) => ({ path, ...(labels.has(path) ? { label: labels.get(path)! } : {}) })),
        {
          format: outputFormat(args),
          color: useColor(args),
          timeZone: args.utc ? 'utc' : 'local',
          comments: args.comments,
          windowNs: Math.round(args.window * 1e6),
          ...(args.write ?? args.o ? { pcapng: (args.write ?? args.o)! } : {}),
        },
      );
      process.stderr.write(result.notes.map((n) => `vethcap: ${n}\n`).join(''));
      if (result.readerGone) ctx.exitCode = EXIT.OUTPUT_CLOSED;
    },
  );
