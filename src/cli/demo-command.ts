import type { CommandModule } from './context.js';
import { catchInterrupts, signalExitCode } from './interrupt.js';
import { finishTraceReport, HTML_OPTION, openReport } from './html-report.js';
import { parsedOnly } from './context.js';
import { requireTools } from '../exec/tools.js';
import { requireCapabilities } from '../exec/privileges.js';
import { VethcapError, ioReason } from '../errors.js';
import { access, constants } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';

export const demoCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'demo',
    'The main job on a built-in topology, when no container is at hand: two namespaces (box, web) on a bridge, a few pings traced hop by hop, a pcapng written, the topology removed.',
    (y) =>
      y
        .option('count', { alias: 'c', type: 'number', default: 3, describe: 'Pings from box to web (1-100).' })
        .option('write', { alias: 'w', type: 'string', default: 'vethcap-demo.pcapng', describe: 'Where to write the merged pcapng.' })
        .option('html', HTML_OPTION)
        .option('color', { type: 'boolean', describe: 'Colour the timeline (default: on a terminal).' })
        .example('sudo $0 demo', 'build, trace three pings, write vethcap-demo.pcapng, clean up')
        .example('sudo $0 demo -c 10 -w /tmp/demo.pcapng', 'ten pings, pcapng elsewhere')
        .example('sudo $0 demo --html demo.html', 'also a report to open in a browser'),
    async (argv) => {
      // Usage first: a wrong flag is said before what the machine lacks.
      if (!(Number.isInteger(argv.count) && argv.count >= 1 && argv.count <= 100)) throw new VethcapError('USAGE', '--count takes a whole number of pings from 1 to 100.');
      if (parsedOnly(ctx, 'demo', { ...argv })) return;
      // Loaded here, by this command only: the bundled CLI starts faster for the others (scripts/bundle.mjs).
      const [{ createLab }, { trace }, { renderSummaryText }] = await Promise.all([import('../lab/lab.js'), import('../trace/trace.js'), import('../render/run-summary.js')]);
      await requireTools(['ip', 'nsenter', 'tcpdump', 'ping']);
      await requireCapabilities(['SYS_ADMIN', 'NET_ADMIN', 'NET_RAW'], 'vethcap demo');
      const count = argv.count;
      // A file that cannot be written is said before a topology is built for nothing.
      if (argv.write !== '-') {
        const folder = dirname(resolvePath(argv.write));
        await access(folder, constants.W_OK).catch((error: unknown) => {
          throw new VethcapError('IO', `cannot write ${argv.write}: ${ioReason(error, 'no such directory')}.`, { cause: error });
        });
      }
      const htmlReport = await openReport(argv.html);
      const startedAt = new Date();
      const interrupt = catchInterrupts();
      const lab = await createLab({ hosts: ['box', 'web'] }).catch(async (error: unknown) => {
        await htmlReport?.abandon();
        throw error;
      });
      try {
        const box = lab.host('box');
        const web = lab.host('web');
        process.stdout.write(
          `Topology: namespace box (${box.ip}, eth0 ⇄ host ${box.hostIf}) and namespace web (${web.ip}, eth0 ⇄ host ${web.hostIf}), both ports of bridge ${lab.bridge}.\n` +
            `Tracing: vethcap trace box=netns:${box.netns} web=netns:${web.netns} --filter icmp -w ${argv.write} -- ping -c ${count} ${web.ip}\n\n`,
        );
        const result = await trace({
          targets: [`box=netns:${box.netns}`, `web=netns:${web.netns}`],
          filter: 'icmp',
          command: ['ping', '-c', String(count), '-i', '0.2', '-W', '1', web.ip],
          output: { format: 'timeline', color: argv.color ?? (Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined), timeZone: 'local', pcapng: argv.write, ...(htmlReport ? { report: true } : {}) },
          signal: interrupt.signal,
        }).catch(async (error: unknown) => {
          await htmlReport?.abandon();
          throw error;
        });
        await finishTraceReport(htmlReport, result, 'demo', startedAt);
        process.stdout.write(`\n${renderSummaryText(result.summary)}`);
        process.stdout.write(`\nWrote ${result.packetsWritten} packets to ${argv.write}: open it in Wireshark with vethcap wireshark ${argv.write} (one interface per point, shown as a column; frame.packet_id == 1 shows every copy of packet #1).\n`);
      } finally {
        await lab.destroy();
        interrupt.dispose();
        process.stdout.write(`Removed bridge ${lab.bridge} and namespaces ${lab.hosts.map((h) => h.netns).join(', ')}.\n`);
      }
      const sig = interrupt.signalName();
      if (sig) ctx.exitCode = signalExitCode(sig);
    },
  );
