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
          describe: 'A container (name, full ID or unique ID prefix, looked up in Docker, Podman and containerd at once), docker:NAME or podman:NAME for one runtime\'s, pid:N for any process, netns:NAME for an `ip netns` name, containerd:NAMESPACE/ID for a containerd task, or pod:NAMESPACE/NAME for a Kubernetes pod on this node.',
          type: 'string',
          array: true,
          demandOption: true,
        })
        .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object (keys documented in README.md).' })
        .option('owners', {
          type: 'boolean',
          default: true,
          describe: 'Look into other containers (Docker\'s, Podman\'s), containerd tasks, pods and named namespaces to name the end behind each bridge port (--no-owners skips it).',
        })
        .example('$0 resolve box', 'the interfaces of container box, their host peers and bridge')
        .example('$0 resolve box web --json', 'both containers, as JSON for scripts')
        .example('$0 resolve docker:box', 'Docker\'s container box only (DOCKER_HOST is honoured)')
        .example('$0 resolve podman:web', 'rootful Podman\'s container web (its service on CONTAINER_HOST or /run/podman/podman.sock, else the podman command)')
        .example('$0 resolve podman:f5a4f105', 'a Podman container by a unique ID prefix')
        .option('user', {
          type: 'string',
          describe: 'Look for podman: containers in this user\'s rootless Podman too, when rootful Podman has none by that name (default: SUDO_USER under sudo).',
        })
        .example('sudo $0 resolve podman:web', 'through sudo: rootful Podman\'s web, else the sudo user\'s rootless one')
        .example('$0 resolve podman:web --user alice', 'alice\'s rootless Podman container web')
        .example('$0 resolve pid:4242', 'the namespace of any process')
        .example('$0 resolve netns:blue', 'a namespace made with `ip netns add blue`')
        .example('$0 resolve containerd:default/web', 'the task of container web in containerd\'s default namespace (CONTAINERD_ADDRESS is honoured)')
        .example('$0 resolve pod:shop/web-0', 'the Kubernetes pod web-0 of namespace shop, found by kubelet\'s labels in containerd\'s k8s.io namespace'),
    async (argv) => {
      if (parsedOnly(ctx, 'resolve', { ...argv })) return;
      // Loaded here, only by this command.
      const { resolveTargets } = await import('../resolve/resolve.js');
      const user = typeof argv.user === 'string' && argv.user !== '' ? { user: argv.user } : {};
      const result = await resolveTargets(argv.target as string[], { discoverOwners: argv.owners, ...user });
      process.stdout.write(argv.json ? JSON.stringify(result, null, 2) + '\n' : renderResolveTable(result));
    },
  );
