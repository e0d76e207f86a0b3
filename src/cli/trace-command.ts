import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { CommandModule } from './context.js';
import { VethcapError } from '../errors.js';
import { trace, type TraceProgress, type TraceResult } from '../trace/trace.js';
import type { HostRoute } from '../model/topology.js';
import { BACKLOG_NOTICE_BYTES } from '../pipeline/stop.js';
import { renderStatusLine } from '../render/status-line.js';
import type { RunSummary } from '../render/run-summary.js';
import { run } from '../exec/run.js';
import { catchInterrupts, signalExitCode } from './interrupt.js';
import { finishTraceReport, HTML_OPTION, openReport } from './html-report.js';
import { EXIT } from './exit-codes.js';
import { HEADERS_SNAPLEN } from '../plan/headers-only.js';
import { dropHint } from './drop-hint.js';
import { parsedOnly } from './context.js';
import { outputFormat, useColor, withOutputOptions, type OutputArgs } from './output-options.js';

export const traceCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'trace <target...>',
    'Capture at every point of the targets\' veth pairs and bridge at once, and print each packet\'s path as it happens.',
    (y) =>
      withOutputOptions(
        y
          .positional('target', { type: 'string', array: true, demandOption: true, describe: 'Containers (name or ID prefix, in any runtime), docker:NAME, podman:NAME, pid:N, netns:NAME, containerd:NAMESPACE/ID, pod:NAMESPACE/NAME; NAME=SPEC names a target in the labels.' })
          .option('filter', { alias: 'f', type: 'string', describe: 'pcap-filter expression, as tcpdump takes it (passed as one argument, never through a shell).' })
          .option('count', { alias: 'c', type: 'number', describe: 'Stop after N packet paths.' })
          .option('duration', { alias: 'd', type: 'number', describe: 'Stop after S seconds.' })
          .option('snaplen', { alias: 's', type: 'number', describe: 'Bytes captured per packet (tcpdump -s); default 262144.' })
          .option('headers-only', { type: 'boolean', default: false, describe: `For bulk traffic: keep whole packets at one point only (the first target's namespace end, or the point --full-at names) and the first ${HEADERS_SNAPLEN} bytes at the others: every header and the payload bytes that match copies into paths. Otherwise each point writes the same bytes, and at a few Gbit/s the kernel drops copies the captures cannot take (iperf3 through five points, bench/bulk.js: 2.9 % of the copies dropped, 0.1 % with this). In the pcapng the cut copies have a capture length of ${HEADERS_SNAPLEN} below their frame length (Wireshark: "[Packet size limited during capture]" where a dissector reads past the cut); -s sets the full point's length, and it gets a 64 MiB kernel buffer unless -B says otherwise.` })
          .option('full-at', { type: 'string', describe: 'The point that keeps whole packets under --headers-only (implies it), by label, e.g. --full-at host:br0.' })
          .option('buffer-size', { alias: 'B', type: 'number', describe: 'Kernel capture buffer per point in KiB (tcpdump -B; default 8192). Raise it if the summary reports kernel drops.' })
          .option('bridge', { type: 'boolean', default: true, describe: 'Capture on the bridge device too (--no-bridge leaves it out).' })
          .option('interface', { alias: 'i', type: 'string', array: true, describe: 'Only these interfaces of the targets (names inside the namespace).' })
          .option('skip', { type: 'string', array: true, describe: 'Leave out a capture point by its label, e.g. --skip host:docker0.' })
          .option('add-host', { type: 'string', array: true, describe: 'Also capture on this host interface (label host:IFNAME).' })
          .option('html', HTML_OPTION)
          .option('uplink', { type: 'string', describe: 'Also capture on the host\'s uplink: IFACE, or empty for the interface of the default route. A packet the host routes out of it (by its main table when the trace begins) is expected there: one that stops before is lost in the host\'s routing step.' })
          .option('drain', { type: 'number', describe: 'Milliseconds after the command given after -- exits that still count as the trace (default 200): packets that begin by then get a verdict (a late reply, a TCP close).' })
          .option('save', { type: 'string', describe: 'Also save the session in this new folder: one pcap per point as tcpdump handed it over, and a manifest.json with the topology, the window and each point\'s drops. `vethcap merge DIR` replays it to the same verdicts; attach it to a bug report.' })
          .option('immediate', { type: 'boolean', default: false, describe: 'tcpdump --immediate-mode: each packet shown at once instead of up to ~1 s late, but at high packet rates the kernel drops packets.' })
          .parserConfiguration({ 'populate--': true }),
      )
        .example('sudo $0 trace box --filter icmp', 'every ICMP packet of container box, hop by hop')
        .example("sudo $0 trace box web --filter 'tcp port 80' -w path.pcapng", 'two containers, and one pcapng for Wireshark')
        .example('sudo $0 trace box --filter icmp -- ping -c 3 198.18.0.3', 'run ping inside box once every point is armed; stop when it ends')
        .example('sudo $0 trace box -c 100 --json > paths.ndjson', 'the first 100 paths as NDJSON')
        .example('sudo $0 trace containerd:default/web --filter arp', 'a containerd task, by its containerd namespace and ID')
        .example('sudo $0 trace podman:web podman:db --filter icmp', 'two rootful Podman containers; their points are labelled web:eth0, host:vethXXXX, host:cni-podman1, …')
        .example('sudo $0 trace pod:shop/web-0 pod:shop/db-0 --filter icmp', 'two Kubernetes pods on this node; their points are labelled shop/web-0:eth0, …')
        .example('sudo $0 trace box web --headers-only -w bulk.pcapng -- iperf3 -c 198.18.0.3', 'bulk TCP: whole packets at box:eth0 only, headers at the other points')
        .example('sudo $0 trace box web -d 10 --save session/', 'also save the session: `vethcap merge session/` replays it to the same paths')
        .epilogue('Stops on -c, -d, the command\'s end, Ctrl-C or SIGTERM; the pcapng is complete whatever stops it. Only packets that begin between the moment every point is armed and the moment the stop is asked for get a verdict: complete, lost (the network lost it, between the two points named), not captured (a point\'s capture missed the copy: kernel drops, the point ended) or undetermined; packets that begin later go into the pcapng marked "after the stop". Labels: <target>:<ifname> inside a namespace, host:<ifname> on the host. The bridge device is an observation point: hop latencies run port to port. Each tcpdump writes into an unnamed spool file in $VETHCAP_SPOOL_DIR (else $TMPDIR, else /tmp) that vethcap reads back, so a burst it cannot show in real time is shown late, not dropped.'),
    async (argv) => {
      const args = argv as unknown as OutputArgs & {
        target: string[];
        filter?: string;
        count?: number;
        duration?: number;
        snaplen?: number;
        'headers-only': boolean;
        'full-at'?: string;
        'buffer-size'?: number;
        bridge: boolean;
        interface?: string[];
        skip?: string[];
        'add-host'?: string[];
        uplink?: string;
        html?: string;
        drain?: number;
        immediate: boolean;
        save?: string;
        '--'?: Array<string | number>;
      };
      if (args.count !== undefined && !(args.count > 0)) throw new VethcapError('USAGE', '--count takes a number of packet paths above 0.');
      if (args.duration !== undefined && !(args.duration > 0)) throw new VethcapError('USAGE', '--duration takes a number of seconds above 0.');
      if (args.snaplen !== undefined && !(Number.isInteger(args.snaplen) && args.snaplen >= 1 && args.snaplen <= 262144)) throw new VethcapError('USAGE', '--snaplen takes a whole number of bytes from 1 to 262144.');
      if (args['full-at'] !== undefined && args['full-at'].trim() === '') throw new VethcapError('USAGE', '--full-at takes a capture point label, e.g. --full-at box:eth0.');
      if (args['buffer-size'] !== undefined && !(Number.isInteger(args['buffer-size']) && args['buffer-size'] >= 1)) throw new VethcapError('USAGE', '--buffer-size takes a whole number of KiB above 0.');
      if (args.drain !== undefined && !(args.drain >= 0)) throw new VethcapError('USAGE', '--drain takes a number of milliseconds, 0 or more.');
      if (parsedOnly(ctx, 'trace', { ...args })) return;
      // --full-at implies --headers-only.
      const headersOnly = args['headers-only'] || args['full-at'] !== undefined;
      const extraHost = [...(args['add-host'] ?? [])];
      // The main table, read once: the default route's interface for a bare --uplink, and the uplink's expected paths.
      const hostRoutes = args.uplink !== undefined || extraHost.length > 0 ? await mainRoutes() : undefined;
      if (args.uplink !== undefined) extraHost.push(args.uplink !== '' ? args.uplink : defaultRouteInterface(hostRoutes ?? []));
      const htmlReport = await openReport(args.html);
      const startedAt = new Date();
      // Needed at the end only: loaded while the trace starts (scripts/bundle.mjs).
      const summaryText = import('../render/run-summary.js').then((m) => m.renderSummaryText);
      summaryText.catch(() => undefined);
      const interrupt = catchInterrupts();
      const status = Boolean(process.stderr.isTTY) && !args.json && args.write !== '-' ? statusLine() : undefined;
      let result: TraceResult;
      try {
        result = await trace({
          targets: args.target,
          output: {
            format: outputFormat(args),
            color: useColor(args),
            timeZone: args.utc ? 'utc' : 'local',
            comments: args.comments,
            ...(args.write ? { pcapng: args.write } : {}),
            ...(htmlReport ? { report: true } : {}),
          },
          ...(args.filter !== undefined ? { filter: args.filter } : {}),
          ...(args.count !== undefined ? { count: args.count } : {}),
          ...(args.duration !== undefined ? { durationS: args.duration } : {}),
          ...(args.snaplen !== undefined ? { snaplen: args.snaplen } : {}),
          ...(headersOnly ? { headersOnly: true } : {}),
          ...(args['full-at'] !== undefined ? { fullAt: args['full-at'] } : {}),
          ...(args['buffer-size'] !== undefined ? { bufferSizeKiB: args['buffer-size'] } : {}),
          bridge: args.bridge,
          ...(args.interface ? { interfaces: args.interface } : {}),
          ...(args.skip ? { skip: args.skip } : {}),
          extraHost,
          ...(hostRoutes ? { hostRoutes } : {}),
          ...(args['--'] && args['--'].length > 0 ? { command: args['--'].map(String) } : {}),
          ...(args.drain !== undefined ? { drainMs: args.drain } : {}),
          immediate: args.immediate,
          ...(args.save !== undefined ? { save: args.save, argv: ['vethcap', ...process.argv.slice(2)] } : {}),
          windowNs: Math.round(args.window * 1e6),
          signal: interrupt.signal,
          urgentSignal: interrupt.urgent,
          onWarning: (message) => process.stderr.write(`vethcap: warning: ${message}\n`),
          onBacklog: (bytes) => {
            status?.clear();
            process.stderr.write(`vethcap: stopping: reading the ${formatMiB(bytes)} of capture not read yet (Ctrl-C again to skip it).\n`);
          },
          // On a terminal a Ctrl-C is answered at once: the drain takes up to 1.5 s (a second
          // Ctrl-C does not cut it short: the verdicts at the stop depend on it).
          onStopping: (bytes) => {
            if (!process.stderr.isTTY || bytes >= BACKLOG_NOTICE_BYTES) return;
            status?.clear();
            process.stderr.write("vethcap: stopping: taking each point's last packets (up to 1.5 s), so that no packet near the stop is called lost.\n");
          },
          // The command's output does not run on from the end of the status line.
          ...(status ? { onProgress: status.update, commandOutput: status.passThrough(process.stderr) } : {}),
          onArmed: (points, timing) => {
            if (!args.json && args.write !== '-') process.stderr.write(`vethcap: ${points.length} points armed in ${Math.round(timing.startMs)} ms (look-up ${Math.round(timing.lookupMs)} ms): ${points.map((p) => p.label).join(', ')}\n`);
            const full = headersOnly ? points.find((p) => (p.snaplen ?? 262144) > HEADERS_SNAPLEN) : undefined;
            if (full && !args.json && args.write !== '-') process.stderr.write(`vethcap: headers only: whole packets at ${full.label}, the first ${HEADERS_SNAPLEN} bytes at the other points.\n`);
          },
        });
      } catch (error) {
        await htmlReport?.abandon();
        throw error;
      } finally {
        interrupt.dispose();
      }
      await finishTraceReport(htmlReport, result, 'trace', startedAt);
      // A point whose namespace went away: its container or process stopped (exit 3), else its tcpdump failed (exit 6).
      const endedEarly = result.endedEarly.map((e) => {
        const point = result.points.find((p) => p.label === e.label);
        const gone = point?.netnsPath !== undefined && !existsSync(point.netnsPath);
        return gone
          ? { point: e.label, code: 'TARGET_NOT_RUNNING' as const, reason: 'its namespace went away (the container or process stopped)' }
          : { point: e.label, code: 'CAPTURE_FAILED' as const, reason: e.reason };
      });
      report(result, args, endedEarly, await summaryText, headersOnly);
      const sig = interrupt.signalName();
      if (result.skippedBytes > 0 && interrupt.urgent.aborted) {
        process.stderr.write(`vethcap: skipped ${formatMiB(result.skippedBytes)} of capture not read yet; the timeline${args.write ? ' and the pcapng' : ''} end at the last packet read.\n`);
      }
      for (const e of endedEarly) process.stderr.write(`vethcap: [${e.code}] capture at ${e.point} ended before the trace did: ${e.reason}.\n`);
      if (sig) ctx.exitCode = signalExitCode(sig);
      else if (result.stopReason === 'output-closed') ctx.exitCode = EXIT.OUTPUT_CLOSED;
      else if (endedEarly.some((e) => e.code === 'TARGET_NOT_RUNNING')) ctx.exitCode = EXIT.TARGET;
      else if (endedEarly.length > 0) ctx.exitCode = EXIT.CAPTURE;
    },
  );

function report(
  result: TraceResult,
  args: OutputArgs & { save?: string },
  endedEarly: ReadonlyArray<{ point: string; code: string; reason: string }>,
  renderSummaryText: (summary: RunSummary) => string,
  headersOnly: boolean,
): void {
  const perPoint = result.points.map((p, i) => ({
    point: p.label,
    captured: result.stats[i]?.captured ?? null,
    droppedByKernel: result.stats[i]?.droppedByKernel ?? null,
  }));
  if (result.stopReason === 'output-closed') {
    // Nobody reads stdout any more; a file written is worth saying.
    if (args.write && args.write !== '-') process.stderr.write(`vethcap: wrote ${result.packetsWritten} packets to ${args.write}.\n`);
    return;
  }
  if (args.json) {
    process.stdout.write(JSON.stringify({ summary: { ...result.summary, capture: perPoint, stopReason: result.stopReason, commandExitCode: result.commandExitCode, outsideWindow: result.outsideWindow, endedEarly } }) + '\n');
    return;
  }
  if (args.write === '-') return;
  const text = renderSummaryText(result.summary);
  const w = Math.max(...perPoint.map((p) => p.point.length));
  const lines = ['capture (tcpdump): captured / dropped by kernel', ...perPoint.map((p) => `  ${p.point.padEnd(w)}  ${p.captured ?? '?'} / ${p.droppedByKernel ?? '?'}`)];
  process.stdout.write(`${args.quiet ? '' : '\n'}${text}${lines.join('\n')}\n`);
  // Only when it ended by itself: one the trace ended (a Ctrl-C, -d) exits 143 by vethcap's hand.
  if (result.stopReason === 'command' && result.commandExitCode !== null && result.commandExitCode !== 0) process.stderr.write(`vethcap: the command exited with ${result.commandExitCode}.\n`);
  if (result.outsideWindow > 0) process.stderr.write(`vethcap: left out ${result.outsideWindow} packets captured before every point was armed (a point still starting may have missed them).\n`);
  if (args.write) process.stderr.write(`vethcap: wrote ${result.packetsWritten} packets to ${args.write}.\n`);
  const hint = dropHint(perPoint, headersOnly);
  if (hint) process.stderr.write(`vethcap: ${hint}\n`);
  if (args.save !== undefined) process.stderr.write(`vethcap: saved the session in ${args.save} (vethcap merge ${args.save} replays it).\n`);
}

/**
 * The status line on stderr (a terminal): drawn over itself, and cleared when the trace says
 * text is coming (only needed when stdout is that terminal too), before vethcap's own
 * words and the command's output on stderr, and when the trace ended.
 */
function statusLine(): {
  update: (progress: TraceProgress | null, why?: 'text' | 'end') => void;
  clear: () => void;
  passThrough: (to: NodeJS.WriteStream) => Writable;
} {
  let shown = false;
  const clear = () => {
    if (shown) process.stderr.write('\r\x1b[K');
    shown = false;
  };
  return {
    update(progress, why) {
      if (progress === null) {
        // Text to a stdout that is not this terminal does not share the line.
        if (why !== 'text' || process.stdout.isTTY) clear();
        return;
      }
      const line = renderStatusLine(progress.points, progress.paths, progress.elapsedMs, process.stderr.columns || 120, progress.unreadBytes);
      process.stderr.write(`\r\x1b[K${line}`);
      shown = true;
    },
    clear,
    passThrough: (to) =>
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          clear();
          to.write(chunk, () => done());
        },
      }),
  };
}

function formatMiB(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/**
 * The host's main routing table (IPv4), for the uplink's expected path: each route's
 * destination and the interface it leaves by ('' for a route that leaves by none:
 * unreachable, blackhole, a multipath route).
 */
async function mainRoutes(): Promise<HostRoute[]> {
  const routes = JSON.parse(await run('ip', ['-j', '-4', 'route', 'show', 'table', 'main'])) as Array<{ dst?: string; dev?: string }>;
  return routes.flatMap((r) => (typeof r.dst === 'string' ? [{ dst: r.dst, dev: typeof r.dev === 'string' ? r.dev : '' }] : []));
}

function defaultRouteInterface(routes: readonly HostRoute[]): string {
  const dev = routes.find((r) => r.dst === 'default' && r.dev !== '')?.dev;
  if (!dev) throw new VethcapError('USAGE', '--uplink: the host has no default route; name the interface, e.g. --uplink eth0.');
  return dev;
}
