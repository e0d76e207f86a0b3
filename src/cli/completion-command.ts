import { realpathSync } from 'node:fs';
import type { CommandModule } from './context.js';
import { parsedOnly } from './context.js';
import { VethcapError } from '../errors.js';

const SHELLS = ['bash', 'zsh'] as const;

export const completionCommand: CommandModule = (cli, ctx) =>
  cli.command(
    'completion [shell]',
    'Print a shell completion script: commands, flags, and the running containers, pods and netns: names as targets.',
    (y) =>
      y
        .positional('shell', { type: 'string', choices: SHELLS, describe: 'bash or zsh.' })
        .option('targets', { type: 'boolean', hidden: true, describe: 'List the targets running here, one a line (what the scripts ask at each Tab).' })
        .example('source <($0 completion bash)', 'complete vethcap in this bash')
        .example('$0 completion bash | sudo tee /etc/bash_completion.d/vethcap', 'for every bash session')
        .example('$0 completion zsh > "${fpath[1]}/_vethcap"', 'for zsh')
        .epilogue('Targets come from every runtime vethcap knows (Docker, containerd tasks, Kubernetes pods, `ip netns` names), as far as the user can read their sockets: unprivileged, only what is readable is completed, without a word about the rest. The script runs vethcap by the absolute paths of node and vethcap it is generated with.'),
    async (argv) => {
      const args = argv as unknown as { shell?: (typeof SHELLS)[number]; targets?: boolean };
      if (args.targets) {
        if (parsedOnly(ctx, 'completion', { targets: true })) return;
        const { listCaptureTargets } = await import('../targets/inventory.js');
        const targets = await listCaptureTargets({ timeoutMs: 2000 });
        process.stdout.write(targets.map((t) => `${t.spec}\n`).join(''));
        return;
      }
      if (!args.shell) throw new VethcapError('USAGE', 'completion needs a shell: bash or zsh.', { hint: 'e.g. source <(vethcap completion bash).' });
      if (parsedOnly(ctx, 'completion', { shell: args.shell })) return;
      const [{ completionSpec }, script] = await Promise.all([import('./completion-spec.js'), import('./completion-script.js')]);
      const spec = completionSpec(ctx.commands ?? []);
      const invoke = [realpathSync(process.execPath), realpathSync(process.argv[1] ?? 'vethcap')];
      process.stdout.write(args.shell === 'zsh' ? script.renderZshCompletion(spec, invoke) : script.renderBashCompletion(spec, invoke));
    },
  );
