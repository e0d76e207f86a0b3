import type { CommandModule } from './context.js';
import { parsedOnly } from './context.js';
import { VethcapError, ioReason } from '../errors.js';
import { EXIT } from './exit-codes.js';

export const wiresharkCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'wireshark <file>',
    'Open a capture file (a vethcap pcapng) in Wireshark with columns for the capture point, the packet id, the direction and the hop comment, and TCP sequence analysis off.',
    (y) =>
      y
        .positional('file', { type: 'string', demandOption: true, describe: 'The pcapng to open, e.g. one written by vethcap trace -w.' })
        .option('print', { type: 'boolean', default: false, describe: 'Print the wireshark command line instead of running it (to adapt it, or for tshark: the same -o options work there).' })
        .parserConfiguration({ 'populate--': true })
        .example('$0 wireshark path.pcapng', 'the copies of each packet at every point, one row each, told apart by the Point, Id and Dir columns')
        .example('$0 wireshark path.pcapng -- -Y icmp', 'with a display filter: what comes after -- goes to wireshark')
        .example('$0 wireshark path.pcapng --print', 'only show the command line')
        .epilogue('Without vethcap at hand, the same view: Wireshark\'s configuration profile "vethcap" (vethcap extcap --install writes it), or custom columns frame.interface_name, frame.packet_id, frame.packet_flags_direction and frame.comment with TCP "Analyze TCP sequence numbers" off; the pcapng\'s section comment says so too (Statistics › Capture File Properties). TCP analysis is off because it calls the copies of one packet at several points retransmissions. Waits for Wireshark to close; exits with 6 if it fails.'),
    async (argv) => {
      const args = argv as unknown as { file: string; print: boolean; '--'?: Array<string | number> };
      const extra = (args['--'] ?? []).map(String);
      if (parsedOnly(ctx, 'wireshark', { file: args.file, print: args.print, extra })) return;
      const [{ wiresharkCommand: buildCommand }, { displayCommand, spawnTool }, { access }, { constants }, { findOnPath }] = await Promise.all([
        import('../render/wireshark-view.js'),
        import('../exec/spawn.js'),
        import('node:fs/promises'),
        import('node:fs'),
        import('../exec/tools.js'),
      ]);
      const command = buildCommand(args.file, extra);
      if (args.print) {
        process.stdout.write(displayCommand(command) + '\n');
        return;
      }
      await access(args.file, constants.R_OK).catch((e: unknown) => {
        throw new VethcapError('IO', `cannot open ${args.file}: ${ioReason(e)}.`, { cause: e });
      });
      if (!(await findOnPath('wireshark'))) {
        throw new VethcapError('MISSING_TOOL', 'vethcap wireshark runs Wireshark, which is not installed or not on PATH.', {
          hint: `apt-get install wireshark; or take the options to your Wireshark: ${displayCommand(command)}`,
        });
      }
      const [file, ...rest] = command;
      const spawned = spawnTool(file, rest, { stdio: 'inherit', locale: 'inherit' });
      const end = await spawned.ended;
      const unrunnable = spawned.toolError(end);
      if (unrunnable) throw unrunnable;
      if (end.exitCode !== 0) {
        throw new VethcapError('COMMAND_FAILED', `wireshark ended with ${end.exitCode ?? `signal ${String(end.signal)}`}.`, { command: spawned.command });
      }
      ctx.exitCode = EXIT.OK;
    },
  );
