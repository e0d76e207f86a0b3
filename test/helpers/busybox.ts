import { copyFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

/**
 * A root file system holding Debian's static busybox and its applets, built in `dir` and
 * tarred (owned by root) to `tarball`: the one layer of the test images every engine's
 * tests import (`podman import`, or wrapped as an OCI archive for `ctr images import`),
 * never pulled from a registry.
 */
export async function busyboxRootTarball(dir: string, tarball: string): Promise<void> {
  const root = join(dir, 'root');
  await mkdir(join(root, 'bin'), { recursive: true });
  await copyFile('/bin/busybox', join(root, 'bin/busybox'));
  for (const applet of ['sh', 'sleep', 'ping', 'ip', 'ifconfig', 'nc', 'cat', 'ls', 'true']) await symlink('busybox', join(root, 'bin', applet));
  await execa('tar', ['-C', root, '--owner=0', '--group=0', '-cf', tarball, '.']);
}
