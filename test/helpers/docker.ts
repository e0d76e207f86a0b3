import { randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, copyFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';

/** The test image: Debian's static busybox imported as an image (nothing is pulled). */
export const TEST_IMAGE = 'vethcap-test/busybox:1';

export async function docker(...args: string[]): Promise<string> {
  return (await execa('docker', args, { timeout: 60_000 })).stdout.trim();
}

export async function ensureTestImage(): Promise<void> {
  const present = await execa('docker', ['image', 'inspect', TEST_IMAGE], { reject: false });
  if (present.exitCode === 0) return;
  const root = await mkdtemp(join(tmpdir(), 'vethcap-image-'));
  try {
    await mkdir(join(root, 'bin'));
    await copyFile('/bin/busybox', join(root, 'bin/busybox'));
    for (const applet of ['sh', 'sleep', 'ping', 'ip', 'ifconfig', 'nc', 'cat', 'ls', 'arping', 'wget', 'httpd', 'true']) {
      await symlink('busybox', join(root, 'bin', applet));
    }
    const tarball = `${root}.tar`;
    await execa('tar', ['-C', root, '-cf', tarball, '.']);
    await execa('docker', ['import', '-c', 'CMD ["/bin/sh"]', tarball, TEST_IMAGE]).finally(() => rm(tarball, { force: true }));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * Containers and networks for one test file, every name under a random prefix, all
 * removed by cleanup() even when tests fail.
 */
export class DockerScope {
  readonly prefix = `vct${randomBytes(3).toString('hex')}`;
  private containers: string[] = [];
  private networks: string[] = [];

  name(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  async run(suffix: string, ...options: string[]): Promise<string> {
    const name = this.name(suffix);
    this.containers.push(name);
    await docker('run', '-d', '--name', name, ...options, TEST_IMAGE, 'sleep', '3600');
    return name;
  }

  async create(suffix: string, ...options: string[]): Promise<{ name: string; id: string }> {
    const name = this.name(suffix);
    this.containers.push(name);
    const id = await docker('create', '--name', name, ...options, TEST_IMAGE, 'sleep', '3600');
    return { name, id };
  }

  async network(suffix: string, subnet: string): Promise<string> {
    const name = this.name(suffix);
    this.networks.push(name);
    await docker('network', 'create', '--driver', 'bridge', '--subnet', subnet, name);
    return name;
  }

  async cleanup(): Promise<void> {
    if (this.containers.length) await execa('docker', ['rm', '-f', '-v', ...this.containers], { reject: false });
    for (const net of this.networks) await execa('docker', ['network', 'rm', net], { reject: false });
    this.containers = [];
    this.networks = [];
  }
}

/** A random /24 inside 198.18.0.0/15, away from docker0's 198.18.0.0/24 and the labs'. */
export function randomSubnet(): string {
  return `198.18.${64 + Math.floor(Math.random() * 180)}.0/24`;
}
