import type { CommandModule } from './context.js';
import { renderResolveTable } from './resolve-output.js';
import { parsedOnly } from './context.js';

export const resolveCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'resolve <target...>',
    'Show which interfaces a container\'s traffic crosses: each interface, its veth peer on the host, the bridge and its other ports.',
    (y) =>
      y
        .positional('target', {
          describe: 'A container (name, full ID or unique ID prefix), pid:N for any process, or netns:NAME for an `ip netns` name.',
          type: 'string',
          array: true,
          demandOption: true,
        })
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object (keys documented in README.md).' })
        .option('owners', {
          type: 'boolean',
          default: true,
          describe: 'Look into other containers and named namespaces to name the end behind each bridge port (--no-owners skips it).',
        })
        .example('$0 resolve box', 'the interfaces of container box, their host peers and bridge')
        .example('$0 resolve box web --json', 'both containers, as JSON for scripts')
        .example('$0 resolve pid:4242', 'the namespace of any process')
        .example('$0 resolve netns:blue', 'a namespace made with `ip netns add blue`'),
    async (argv) => {
      if (parsedOnly(ctx, 'resolve', { ...argv })) return;
      // Loaded here, only by this command.
      const { resolveTargets } = await import('../resolve/resolve.js');
      const result = await resolveTargets(argv.target as string[], { discoverOwners: argv.owners });
      process.stdout.write(argv.json ? JSON.stringify(result, null, 2) + '\n' : renderResolveTable(result));
    },
  );
