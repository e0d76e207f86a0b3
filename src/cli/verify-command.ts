import type { CommandModule } from './context.js';
import { VethcapError } from '../errors.js';
import type { VerifyResult } from '../verify/verify.js';
import type { ProbeKind } from '../verify/verdict.js';
import { finishReport, HTML_OPTION, openReport } from './html-report.js';
import { catchInterrupts, signalExitCode } from './interrupt.js';
import { EXIT } from './exit-codes.js';
import { formatError } from './report-error.js';
import { parsedOnly } from './context.js';

interface VerifyArgs {
  source: string;
  to: string;
  probe: ProbeKind;
  count: number;
  size?: number;
  timeout: number;
  interval: number;
  port?: number;
  passive: boolean;
  duration?: number;
  filter?: string;
  'buffer-size'?: number;
  json: boolean;
  html?: string;
}

export const verifyCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'verify <source>',
    'Check that the bridge forwards between two containers: send probes (or watch traffic), follow each packet hop by hop, and say pass or where the packets vanished.',
    (y) =>
      y
        .positional('source', { type: 'string', demandOption: true, describe: 'Where the probes start: a container (any runtime\'s), docker:NAME, podman:NAME, pid:N, netns:NAME, containerd:NAMESPACE/ID or pod:NAMESPACE/NAME.' })
        .option('to', { type: 'string', demandOption: true, describe: 'The destination: a container, docker:NAME, podman:NAME, pid:N, netns:NAME, containerd:NAMESPACE/ID, pod:NAMESPACE/NAME, or an IPv4 address.' })
        .option('probe', { choices: ['icmp', 'udp', 'tcp', 'arp'] as const, default: 'icmp' as ProbeKind, describe: 'What to send from inside the source.' })
        .option('count', { alias: 'c', type: 'number', default: 5, describe: 'Number of probes.' })
        .option('size', { alias: 's', type: 'number', describe: 'Payload bytes per probe (icmp: ping -s with -M do, so nothing is fragmented; udp: datagram size). For MTU questions.' })
        .option('timeout', { alias: 'W', type: 'number', default: 2, describe: 'Seconds to wait for each answer.' })
        .option('interval', { alias: 'i', type: 'number', default: 0.2, describe: 'Seconds between probes.' })
        .option('port', { alias: 'p', type: 'number', describe: 'Destination port for udp (default 33434) and tcp (default 80) probes.' })
        .option('passive', { type: 'boolean', default: false, describe: 'Send nothing: check the traffic between source and destination that flows anyway, for --duration seconds.' })
        .option('duration', { alias: 'd', type: 'number', describe: 'Passive mode: seconds to watch (default 10).' })
        .option('filter', { alias: 'f', type: 'string', describe: 'Passive mode: only packets that also match this pcap filter.' })
        .option('buffer-size', { alias: 'B', type: 'number', describe: 'Kernel capture buffer per point in KiB (tcpdump -B; default 8192). Raise it if verify says UNDETERMINED (exit 8).' })
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object (ok, verdict, probes, hops, lost, undetermined, hints and their findings; docs/json.md).' })
        .option('html', HTML_OPTION)
        .check((argv) => {
          if (!(Number(argv.count) > 0 && Number.isInteger(Number(argv.count)))) throw new VethcapError('USAGE', '--count takes a whole number of probes above 0.');
          if (argv.size !== undefined && !(Number(argv.size) >= 0 && Number.isInteger(Number(argv.size)) && Number(argv.size) <= 65507)) throw new VethcapError('USAGE', '--size takes a number of bytes from 0 to 65507.');
          if (!(Number(argv.timeout) > 0)) throw new VethcapError('USAGE', '--timeout takes a number of seconds above 0.');
          if (!(Number(argv.interval) >= 0.002)) throw new VethcapError('USAGE', '--interval takes a number of seconds of at least 0.002.');
          if (argv.duration !== undefined && !(Number(argv.duration) > 0)) throw new VethcapError('USAGE', '--duration takes a number of seconds above 0.');
          if (argv.duration !== undefined && !argv.passive) throw new VethcapError('USAGE', '--duration goes with --passive; active mode stops when the probes are answered.');
          if (argv.filter !== undefined && !argv.passive) throw new VethcapError('USAGE', '--filter goes with --passive; active mode captures exactly its probes.');
          if (argv['buffer-size'] !== undefined && !(Number.isInteger(Number(argv['buffer-size'])) && Number(argv['buffer-size']) >= 1)) throw new VethcapError('USAGE', '--buffer-size takes a whole number of KiB above 0.');
          if (argv.port !== undefined && !(Number.isInteger(Number(argv.port)) && Number(argv.port) > 0 && Number(argv.port) < 65536)) throw new VethcapError('USAGE', '--port takes a port number from 1 to 65535.');
          return true;
        })
        .example('sudo $0 verify box --to web', 'five pings from box to web, checked at every hop both ways')
        .example('sudo $0 verify box --to 198.18.0.3 --probe udp --count 10 --json', 'UDP probes to an address, the verdict as JSON')
        .example('sudo $0 verify box --to web --size 1472', 'does a 1500-byte packet get through unfragmented?')
        .example('sudo $0 verify box --to web --passive --duration 30 --filter "tcp port 5432"', 'check the traffic that flows anyway')
        .epilogue(
          'Exit 0: every probe and answer crossed every hop. Exit 1: packets were lost; the last line says after which hop and before which, and hints say what the host shows (port state, link down, nftables/iptables counters that grew, br_netfilter, MTU, qdisc drops, ARP, FDB). Exit 8: no loss seen, but a capture point dropped copies in its kernel, so whether some packets arrived is unknown (a copy a capture dropped is not a packet the network lost); raise -B. Other codes: vethcap --help. verify reads the host\'s configuration and never changes it.',
        ),
    async (argv) => {
      const args = argv as unknown as VerifyArgs;
      if (parsedOnly(ctx, 'verify', { ...args })) return;
      // Loaded here, by this command only: the bundled CLI starts faster for the others (scripts/bundle.mjs).
      const [{ verify }, { renderVerdictText }, { verifyJson }] = await Promise.all([import('../verify/verify.js'), import('../verify/verdict-text.js'), import('../verify/verify-json.js')]);
      const htmlReport = await openReport(args.html);
      const startedAt = new Date();
      const interrupt = catchInterrupts();
      let result: VerifyResult;
      try {
        result = await verify({
          source: args.source,
          to: String(args.to),
          probe: args.probe,
          count: args.count,
          ...(args.size !== undefined ? { size: args.size } : {}),
          timeoutS: args.timeout,
          intervalS: args.interval,
          ...(args.port !== undefined ? { port: args.port } : {}),
          passive: args.passive,
          ...(args.duration !== undefined ? { durationS: args.duration } : {}),
          ...(args.filter !== undefined ? { filter: args.filter } : {}),
          ...(args['buffer-size'] !== undefined ? { bufferSizeKiB: args['buffer-size'] } : {}),
          signal: interrupt.signal,
          ...(htmlReport ? { report: true } : {}),
          onArmed: (points) => {
            if (!args.json) process.stderr.write(`vethcap: ${points.length} points armed: ${points.map((p) => p.label).join(', ')}\n`);
          },
        });
      } catch (error) {
        await htmlReport?.abandon();
        const sig = interrupt.signalName();
        if (sig && error instanceof VethcapError && error.code === 'INTERRUPTED') {
          // Reported as main() reports errors, with the signal's exit code (130 or 143).
          ctx.exitCode = signalExitCode(sig);
          const report = formatError(error);
          if (args.json) process.stdout.write(JSON.stringify(report.json) + '\n');
          process.stderr.write(`${report.lines[0]}\n`);
          return;
        }
        throw error;
      } finally {
        interrupt.dispose();
      }
      const { verdict, hints, notes } = result;
      await finishReport(htmlReport, result.trace.report, {
        kind: 'verify',
        startedAt,
        summary: result.trace.summary,
        captures: result.trace.stats.map((s) => (s ? { captured: s.captured, droppedByKernel: s.droppedByKernel } : null)),
        portStates: result.portStates,
        verify: { ok: verdict.ok, line: verdict.line, hints: result.findings.map((f, i) => ({ code: f.code, text: hints[i] ?? '' })) },
      });
      if (args.json) {
        process.stdout.write(JSON.stringify(verifyJson({ ...result, stats: result.trace.stats })) + '\n');
      } else {
        for (const n of notes) process.stderr.write(`vethcap: ${n}\n`);
        process.stdout.write(renderVerdictText(verdict, hints));
      }
      const dropped = result.trace.stats.some((s) => (s?.droppedByKernel ?? 0) > 0);
      if (dropped && !args.json) process.stderr.write('vethcap: a capture point dropped packets in the kernel: the counts above may be short.\n');
      for (const e of result.trace.endedEarly) process.stderr.write(`vethcap: capture at ${e.label} ended early: ${e.reason}.\n`);
      ctx.exitCode = result.trace.endedEarly.length > 0 ? EXIT.CAPTURE : verdict.verdict === 'pass' ? EXIT.OK : verdict.verdict === 'undetermined' ? EXIT.UNDETERMINED : EXIT.FORWARDING_FAILED;
    },
  );
