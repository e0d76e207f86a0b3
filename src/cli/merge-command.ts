import type { CommandModule } from './context.js';
import { VethcapError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { finishReport, HTML_OPTION, openReport } from './html-report.js';
import { parsedOnly } from './context.js';
import { mergeInputs } from './merge-inputs.js';
import { outputFormat, useColor, withOutputOptions, type OutputArgs } from './output-options.js';

export const mergeCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'merge [file...]',
    'Merge captures taken apart (pcap or pcapng, or a session folder) into one annotated timeline and one pcapng.',
    (y) =>
      withOutputOptions(
        y
          .positional('file', { type: 'string', array: true, describe: 'Capture files (each pcapng interface is a point), or one folder with a manifest.json.' })
          // One value per --label (not an array option, which would swallow the files after it);
          // repeated, yargs gathers them.
          .option('label', { type: 'string', requiresArg: true, describe: 'NAME=FILE: the label of FILE\'s point (default: the pcapng interface name, else the file name); adds FILE to the inputs. Repeat it for each file.' }),
      )
        .example('$0 merge box.pcap veth.pcap -o path.pcapng', 'one timeline from two captures, and one file for Wireshark')
        .example('$0 merge --label box:eth0=a.pcap --label host:vethA=b.pcap a.pcap b.pcap', 'name the points')
        .example('$0 merge fixtures/sessions/icmp --json', 'a session folder (with its topology), as NDJSON')
        .epilogue('Without a session folder vethcap knows no topology: it learns the order of the points from the captures (who comes first, and which point, like a bridge device, shares its ingress port\'s timestamp), and equal timestamps follow it. Where nothing decides, they keep the order in which the command line names the files, and a note says so.')
        .option('o', { alias: 'output', type: 'string', describe: 'Same as -w.' })
        .option('html', HTML_OPTION),
    async (argv) => {
      const specs = argv.label === undefined ? [] : ([] as string[]).concat(argv.label as string | string[]).map(String);
      const inputs = mergeInputs(((argv.file as Array<string | number> | undefined) ?? []).map(String), specs, ctx.argv);
      if (inputs.length === 0) {
        throw new VethcapError('USAGE', 'merge needs capture files (pcap or pcapng) or a session folder, e.g. vethcap merge box.pcap veth.pcap.', { hint: 'vethcap merge --help shows its options and examples.' });
      }
      const args = argv as unknown as OutputArgs & { o?: string; html?: string };
      const options = {
        format: outputFormat(args),
        color: useColor(args),
        timeZone: args.utc ? ('utc' as const) : ('local' as const),
        comments: args.comments,
        windowNs: Math.round(args.window * 1e6),
        ...(args.write ?? args.o ? { pcapng: (args.write ?? args.o)! } : {}),
      };
      if (parsedOnly(ctx, 'merge', { inputs, ...options })) return;
      // Loaded here, by this command only: the bundled CLI starts faster for the others (scripts/bundle.mjs).
      const { mergeFiles } = await import('../offline/merge-files.js');
      const htmlReport = await openReport(args.html);
      const startedAt = new Date();
      const result = await mergeFiles(inputs, { ...options, ...(htmlReport ? { report: true } : {}) }).catch(async (error: unknown) => {
        await htmlReport?.abandon();
        throw error;
      });
      await finishReport(htmlReport, result.report, { kind: 'merge', startedAt, summary: result.summary, captures: result.captures });
      process.stderr.write(result.notes.map((n) => `vethcap: ${n}\n`).join(''));
      if (result.readerGone) ctx.exitCode = EXIT.OUTPUT_CLOSED;
    },
  );
