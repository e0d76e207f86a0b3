import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { busyboxRootTarball } from './busybox.js';
import { has } from './env.js';

/** Why rootless Podman cannot be tested here, or undefined when it can (root, podman, runuser, useradd, newuidmap, slirp4netns). */
export function rootlessUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  for (const bin of ['podman', 'runuser', 'useradd', 'userdel', 'newuidmap', 'slirp4netns', 'nsenter', 'tar']) {
    if (!has(bin)) return `${bin} is missing (Debian: podman, uidmap, slirp4netns)`;
  }
  return undefined;
}

/**
 * A user of the test's own (random name, removed at cleanup with their home and every
 * process their rootless Podman left), their busybox image, a CNI network of theirs on a
 * random /24 of 198.19.64.0/18 (its bridge in their rootless network namespace), and
 * containers on it or on slirp4netns.
 */
export class RootlessScope {
  readonly user = `vcprl${randomBytes(3).toString('hex')}`;
  readonly image = 'localhost/vethcap-rootless/busybox:1';
  readonly network = `${this.user}-net`;
  readonly subnet = `198.19.${64 + Math.floor(Math.random() * 64)}`;
  private made = false;
  private uid = -1;

  /** `podman ARGS` run as the scope's user, with their HOME and nothing else of root's environment. */
  async podman(...args: string[]): Promise<string> {
    const env = ['env', '-i', `HOME=/home/${this.user}`, `USER=${this.user}`, `LOGNAME=${this.user}`, 'PATH=/usr/local/bin:/usr/bin:/bin'];
    return (await execa('runuser', ['-u', this.user, '--', ...env, 'podman', ...args], { timeout: 120_000, cwd: '/' })).stdout.trim();
  }

  async setUp(): Promise<void> {
    this.made = true;
    await execa('useradd', ['--create-home', '--shell', '/bin/sh', this.user]);
    this.uid = Number((await execa('id', ['-u', this.user])).stdout.trim());
    const dir = await mkdtemp(join(tmpdir(), 'vethcap-rootless-image-'));
    try {
      const tarball = `/home/${this.user}/busybox.tar`;
      await busyboxRootTarball(dir, tarball);
      await execa('chown', [this.user, tarball]);
      await this.podman('import', '--change', 'CMD ["/bin/sh"]', tarball, this.image);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    await this.podman('network', 'create', '--disable-dns', '--subnet', `${this.subnet}.0/24`, this.network);
  }

  /** `podman run -d … sleep 3600` as the user, on their network or on slirp4netns. Returns its PID and address. */
  async run(name: string, network: 'bridge' | 'slirp4netns'): Promise<{ name: string; pid: number; ip: string }> {
    await this.podman('run', '-d', '--name', name, '--network', network === 'bridge' ? this.network : 'slirp4netns', '--ulimit', 'nproc=1024:1024', '--ulimit', 'nofile=1024:1024', this.image, 'sleep', '3600');
    const pid = Number(await this.podman('container', 'inspect', name, '--format', '{{.State.Pid}}'));
    const ip = network === 'bridge' ? await this.podman('container', 'inspect', name, '--format', `{{(index .NetworkSettings.Networks "${this.network}").IPAddress}}`) : '';
    return { name, pid, ip };
  }

  /** Everything of the user's: containers, network, image, their Podman's processes (by PID), the user and their home, Podman's run dirs. */
  async cleanup(): Promise<void> {
    if (this.made) await this.removeEverything();
    this.made = false;
  }

  private async removeEverything(): Promise<void> {
    const quiet = (...args: string[]) => this.podman(...args).catch(() => '');
    await quiet('rm', '-a', '-f', '-t', '0');
    await quiet('network', 'rm', '-f', this.network);
    await quiet('system', 'reset', '-f');
    if (this.uid > 0) {
      const pids = (await execa('ps', ['-u', String(this.uid), '-o', 'pid='], { reject: false })).stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      for (const dir of [`/tmp/podman-run-${this.uid}`, `/tmp/containers-user-${this.uid}`, `/run/user/${this.uid}`]) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    }
    await execa('userdel', ['--remove', '--force', this.user], { reject: false });
  }
}
