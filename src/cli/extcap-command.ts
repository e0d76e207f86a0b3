import type { CommandModule } from './context.js';
import { parsedOnly } from './context.js';
import { VethcapError } from '../errors.js';
import { EXIT } from './exit-codes.js';

/** The flags by which Wireshark speaks to an extcap; --install never runs next to them (see below). */
const PROTOCOL_FLAG = /^--(no-)?(extcap-|capture|fifo)/;

interface ExtcapArgs {
  'extcap-interfaces'?: boolean;
  'extcap-dlts'?: boolean;
  'extcap-config'?: boolean;
  capture?: boolean;
  'extcap-interface'?: string;
  fifo?: string;
  'extcap-capture-filter'?: string;
  other?: string | string[];
  skip?: string | string[];
  snaplen?: number;
  install?: string;
  name?: string;
  sudoers?: boolean;
  'sudoers-file'?: string;
  user?: string;
  profile: boolean;
}

export const extcapCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'extcap',
    'Be a Wireshark capture interface (Wireshark\'s extcap protocol): every running container, pod and netns: namespace is listed, and capturing one streams vethcap\'s merged pcapng (one interface per point, packet ids, hop comments) into Wireshark. Install it once with --install.',
    (y) =>
      y
        // Wireshark may add flags of newer protocol versions: not a reason to fail.
        .strict(false)
        .option('install', { type: 'string', describe: 'Place the wrapper Wireshark runs into its extcap folder (`tshark -G folders`), or into the folder given; also writes the Wireshark profile "vethcap" and prints the sudoers rule capture needs.' })
        .option('sudoers', { type: 'boolean', describe: 'With --install: also write the sudoers rule (to /etc/sudoers.d/vethcap, checked with visudo -cf), so that Wireshark run as a user captures through sudo -n.' })
        .option('user', { type: 'string', describe: 'With --install: the user (or %group) the sudoers rule is for; default the user behind sudo.' })
        .option('name', { type: 'string', describe: 'With --install: the wrapper\'s file name (default vethcap).' })
        .option('sudoers-file', { type: 'string', describe: 'With --sudoers: where the rule goes (default /etc/sudoers.d/vethcap).' })
        .option('profile', { type: 'boolean', default: true, describe: 'With --install: write the Wireshark configuration profile "vethcap" (--no-profile skips it).' })
        .option('extcap-interfaces', { type: 'boolean', describe: 'Wireshark: list the interfaces.' })
        .option('extcap-dlts', { type: 'boolean', describe: 'Wireshark: the link type of --extcap-interface.' })
        .option('extcap-config', { type: 'boolean', describe: 'Wireshark: the options of the capture dialog.' })
        .option('capture', { type: 'boolean', describe: 'Wireshark: capture --extcap-interface into --fifo until SIGTERM or the FIFO is closed.' })
        .option('extcap-interface', { type: 'string', describe: 'Wireshark: the interface, vethcap:TARGET.' })
        .option('extcap-version', { type: 'string', describe: 'Wireshark: its version.' })
        .option('fifo', { type: 'string', describe: 'Wireshark: the FIFO to write the pcapng into.' })
        .option('extcap-capture-filter', { type: 'string', describe: 'Wireshark: the capture filter (pcap-filter, as tcpdump takes it).' })
        .option('other', { type: 'string', describe: 'Capture dialog: more targets, separated by spaces.' })
        .option('skip', { type: 'string', describe: 'Capture dialog: capture points to leave out, by label, separated by spaces.' })
        .option('snaplen', { type: 'number', describe: 'Capture dialog: bytes captured per packet.' })
        .group(['install', 'sudoers', 'user', 'name', 'sudoers-file', 'profile'], 'Set-up:')
        .group(['extcap-interfaces', 'extcap-dlts', 'extcap-config', 'capture', 'extcap-interface', 'extcap-version', 'fifo', 'extcap-capture-filter', 'other', 'skip', 'snaplen'], 'What Wireshark calls it with (not typed by hand):')
        .example('sudo $0 extcap --install --sudoers', 'once: the wrapper into Wireshark\'s extcap folder, the "vethcap" profile, and the sudoers rule for the user behind sudo; then restart Wireshark and pick "vethcap: Docker container web"')
        .example('sudo $0 extcap --install', 'the same without the sudoers rule: it is printed, to check and place yourself')
        .example('$0 extcap --install ~/.local/lib/wireshark/extcap', 'Wireshark 4.1 and later also read this personal folder')
        .example('tshark -D', 'lists vethcap\'s interfaces once installed, e.g. "vethcap:web (vethcap: Docker container web (198.18.0.3))"')
        .example('tshark -i vethcap:web -a duration:10 -w web.pcapng', 'capture container web at every point for 10 s, as vethcap trace web -d 10 -w web.pcapng would')
        .epilogue('Wireshark runs extcaps as the desktop user; vethcap captures as root. The wrapper runs vethcap directly when Wireshark runs as root, through `sudo -n` when the sudoers rule allows it, and otherwise lists one interface, "vethcap:needs-root", whose description says how to allow it. The rule allows only Wireshark\'s four extcap actions, and vethcap refuses --install next to them. Stopping the capture (SIGTERM) or closing the FIFO ends it with exit 0. Columns for the points: vethcap wireshark FILE, or the "vethcap" profile (Edit › Configuration Profiles).'),
    async (argv) => {
      const args = argv as unknown as ExtcapArgs;
      const actions = (['extcap-interfaces', 'extcap-dlts', 'extcap-config', 'capture'] as const).filter((a) => args[a] === true);
      if (args.install !== undefined) {
        // Run through the sudoers rule, every command line starts with one of Wireshark's actions: never an install then.
        if (actions.length > 0 || (ctx.argv ?? []).some((a) => PROTOCOL_FLAG.test(a))) throw new VethcapError('USAGE', '--install does not go together with the extcap actions (--extcap-interfaces, --extcap-dlts, --extcap-config, --capture).', { hint: 'run it alone: sudo vethcap extcap --install --sudoers.' });
        if (parsedOnly(ctx, 'extcap', { ...args })) return;
        const { install } = await import('../extcap/install.js');
        const result = await install({
          ...(args.install !== '' ? { dir: args.install } : {}),
          ...(args.name !== undefined ? { name: args.name } : {}),
          ...(args.user !== undefined ? { user: args.user } : {}),
          ...(args['sudoers-file'] !== undefined ? { sudoersFile: args['sudoers-file'] } : {}),
          sudoers: args.sudoers === true,
          profile: args.profile,
        });
        const lines = [`vethcap: wrote the extcap wrapper ${result.wrapper} (runs ${result.paths.node} ${result.paths.entry} extcap).`];
        if (result.profile) lines.push(`vethcap: wrote the Wireshark configuration profile "vethcap" (${result.profile}): Edit › Configuration Profiles.`);
        if (result.profileError) process.stderr.write(`vethcap: warning: the Wireshark profile "vethcap" was not written (${result.profileError}); vethcap wireshark FILE gives the same view.\n`);
        if (result.sudoersFile) lines.push(`vethcap: wrote the sudoers rule for ${result.user} to ${result.sudoersFile}:`);
        else lines.push(`vethcap: capture needs root; this sudoers rule lets ${result.user} capture through Wireshark (sudo vethcap extcap --install --sudoers writes it to /etc/sudoers.d/vethcap):`);
        lines.push(`  ${result.rule}`, 'vethcap: restart Wireshark (or run tshark -D): every running container, pod and netns: namespace is an interface "vethcap:TARGET".');
        process.stdout.write(lines.join('\n') + '\n');
        return;
      }
      if (args.sudoers || args.user !== undefined || args.name !== undefined || args['sudoers-file'] !== undefined) throw new VethcapError('USAGE', '--sudoers, --user, --name and --sudoers-file go with --install.', { hint: 'e.g. sudo vethcap extcap --install --sudoers.' });
      if (actions.length !== 1) {
        throw new VethcapError('USAGE', actions.length === 0 ? 'extcap needs --install, or one of the actions Wireshark calls it with.' : `extcap takes one action at a time, not ${actions.map((a) => `--${a}`).join(' and ')}.`, {
          hint: 'to set it up: sudo vethcap extcap --install --sudoers (vethcap extcap --help explains).',
        });
      }
      const action = actions[0]!;
      if ((action === 'extcap-dlts' || action === 'extcap-config' || action === 'capture') && !args['extcap-interface']) throw new VethcapError('USAGE', `--${action} needs --extcap-interface vethcap:TARGET.`);
      if (action === 'capture' && !args.fifo) throw new VethcapError('USAGE', '--capture needs --fifo PATH, the FIFO Wireshark reads.');
      if (args.snaplen !== undefined && !(Number.isInteger(args.snaplen) && args.snaplen >= 1 && args.snaplen <= 262144)) throw new VethcapError('USAGE', '--snaplen takes a whole number of bytes from 1 to 262144.');
      if (parsedOnly(ctx, 'extcap', { ...args, action })) return;
      const [protocol, text] = await Promise.all([import('../extcap/protocol.js'), import('../extcap/install-text.js')]);
      const root = process.geteuid?.() === 0;
      const how = text.howToAllow(process.argv[1] ?? 'vethcap');
      switch (action) {
        case 'extcap-interfaces': {
          if (!root) {
            process.stdout.write(protocol.renderNeedsRoot(how));
            return;
          }
          const { listCaptureTargets } = await import('../targets/inventory.js');
          process.stdout.write(protocol.renderInterfaces(await listCaptureTargets()));
          return;
        }
        case 'extcap-dlts':
          process.stdout.write(protocol.renderDlts());
          return;
        case 'extcap-config':
          process.stdout.write(protocol.renderConfig());
          return;
        case 'capture': {
          const { captureIntoFifo, needsRootError } = await import('../extcap/capture.js');
          if (!root || args['extcap-interface'] === protocol.NEEDS_ROOT_INTERFACE) throw needsRootError(how);
          const target = protocol.targetOfInterface(args['extcap-interface']!);
          if (target === undefined) throw new VethcapError('USAGE', `${args['extcap-interface']} is not one of vethcap's interfaces (they are vethcap:TARGET).`, { hint: 'tshark -D lists them.' });
          const { catchInterrupts } = await import('./interrupt.js');
          const interrupt = catchInterrupts();
          try {
            const result = await captureIntoFifo({
              targets: [target, ...protocol.splitList(args.other)],
              fifo: args.fifo!,
              ...(args['extcap-capture-filter'] !== undefined ? { filter: args['extcap-capture-filter'] } : {}),
              skip: protocol.splitList(args.skip),
              ...(args.snaplen !== undefined ? { snaplen: args.snaplen } : {}),
              signal: interrupt.signal,
              urgentSignal: interrupt.urgent,
            });
            // Wireshark's stop (SIGTERM) or its closing the FIFO is the normal end: exit 0.
            for (const e of result.endedEarly) process.stderr.write(`vethcap: [CAPTURE_FAILED] capture at ${e.label} ended before the trace did: ${e.reason}.\n`);
            if (result.endedEarly.length > 0 && !interrupt.signalName() && result.stopReason !== 'output-closed') ctx.exitCode = EXIT.CAPTURE;
          } finally {
            interrupt.dispose();
          }
          return;
        }
      }
    },
  );
