import type { CommandModule } from './commands.js';
import { renderResolveTable } from './resolve-output.js';
import { catchInterrupts, signalExitCode } from './interrupt.js';

export const demoCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'demo',
    'Run vethcap on a built-in topology when no container is at hand: two namespaces (box, web) on a bridge, on 198.19.0.0/24, removed afterwards.',
    (y) =>
      y
        .option('count', { alias: 'c', type: 'number', default: 3, describe: 'Pings from box to web.' })
        .example('sudo $0 demo', 'build the topology, resolve it, ping across, remove it'),
    async (argv) => {
      // Loaded here: execa and dockerode take ~0.4 s to load, which every other command would pay.
      const [{ requireTools }, { requireCapabilities }, { createLab }, { resolveTargets }] = await Promise.all([
        import('../exec/tools.js'), import('../exec/privileges.js'), import('../lab/lab.js'), import('../resolve/resolve.js'),
      ]);
      await requireTools(['ip', 'nsenter', 'ping']);
      await requireCapabilities(['SYS_ADMIN', 'NET_ADMIN', 'NET_RAW'], 'vethcap demo');
      const interrupt = catchInterrupts();
      const lab = await createLab({ hosts: ['box', 'web'] });
      try {
        const box = lab.host('box');
        const web = lab.host('web');
        process.stdout.write(`Built: namespaces ${box.netns} (${box.ip}) and ${web.netns} (${web.ip}) on bridge ${lab.bridge}.\n\n`);
        const resolved = await resolveTargets([`netns:${box.netns}`, `netns:${web.netns}`]);
        process.stdout.write(renderResolveTable(resolved) + '\n');
        interrupt.check();
        const count = Math.max(1, Math.min(100, Math.trunc(argv.count)));
        process.stdout.write(await lab.exec('box', 'ping', ['-c', String(count), '-i', '0.2', '-W', '1', web.ip]) + '\n');
        interrupt.check();
      } finally {
        await lab.destroy();
        interrupt.dispose();
        process.stdout.write(`Removed ${lab.bridge}, ${lab.hosts.map((h) => h.netns).join(', ')}.\n`);
      }
      const sig = interrupt.signalName();
      if (sig) ctx.exitCode = signalExitCode(sig);
    },
  );
