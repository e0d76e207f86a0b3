import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { IN_CI, privileged } from './env.js';
import { busyboxRootTarball } from './busybox.js';

/** Where the tests' Podman service listens (scripts/setup.sh --docker starts it). */
export const PODMAN_SOCKET = '/run/podman/podman.sock';

/**
 * Podman's rlimits here: its defaults exceed the sandbox's hard limits and runc fails to
 * set them ("error setting rlimit type 6/7") without CAP_SYS_RESOURCE.
 */
const ULIMITS = ['--ulimit', 'nproc=1024:1024', '--ulimit', 'nofile=1024:1024'];

export async function podman(...args: string[]): Promise<string> {
  return (await execa('podman', args, { timeout: 120_000 })).stdout.trim();
}

/** Whether rootful Podman's service answers on its socket, with root and the tools; in CI a missing one fails the run. */
export function podmanAvailable(): boolean {
  let ok = false;
  try {
    execFileSync('podman', ['--remote', '--url', `unix://${PODMAN_SOCKET}`, 'version'], { stdio: 'ignore', timeout: 15_000 });
    ok = privileged(['ip', 'nsenter', 'podman', 'tar', 'bridge', 'iptables', 'setpriv', 'tshark', 'ping']);
  } catch {
    ok = false;
  }
  if (!ok && IN_CI) throw new Error("CI=true and Podman's service does not answer: .ci/run must start it (scripts/setup.sh --docker)");
  return ok;
}

export interface PodmanContainer {
  name: string;
  id: string;
  pid: number;
  ip: string;
  mac: string;
  /** The host end of its veth (its peer's name in the host). */
  hostIf: string;
}

/**
 * Podman objects for one test file, every name under a random prefix: an image imported
 * from a tarball of Debian's static busybox (nothing pulled), one CNI network on a random
 * /24 of 198.19.64.0/18, its containers, and an iptables FORWARD accept rule for its bridge
 * (Docker's br_netfilter and FORWARD DROP cover Podman's bridge too). cleanup() removes
 * them all, even when tests fail.
 */
export class PodmanScope {
  readonly prefix = `vcp${randomBytes(3).toString('hex')}`;
  readonly image = `localhost/vethcap-test/busybox:${this.prefix}`;
  readonly network = `${this.prefix}-net`;
  readonly subnet = `198.19.${64 + Math.floor(Math.random() * 64)}`;
  bridge = '';
  private imported = false;
  private containers: string[] = [];
  private networkMade = false;
  private rules: string[][] = [];
  private dir: string | undefined;

  name(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  private async importImage(): Promise<void> {
    if (this.imported) return;
    this.dir = await mkdtemp(join(tmpdir(), 'vethcap-podman-image-'));
    const tarball = join(this.dir, 'busybox.tar');
    await busyboxRootTarball(this.dir, tarball);
    this.imported = true;
    await podman('import', '--change', 'CMD ["/bin/sh"]', tarball, this.image);
  }

  /** The scope's network on 198.19.X.0/24, and the accept rule for its bridge. */
  async makeNetwork(): Promise<void> {
    if (this.networkMade) return;
    this.networkMade = true;
    await podman('network', 'create', '--disable-dns', '--subnet', `${this.subnet}.0/24`, this.network);
    this.bridge = await podman('network', 'inspect', this.network, '--format', '{{.NetworkInterface}}');
    const rule = ['FORWARD', '-i', this.bridge, '-o', this.bridge, '-j', 'ACCEPT', '-m', 'comment', '--comment', `vethcap test ${this.network}`];
    await execa('iptables', ['-w', '-I', ...rule]);
    this.rules.push(rule);
  }

  /** `podman run -d` of `sleep 3600` on the scope's network (or `network`, e.g. host). */
  async run(suffix: string, network?: string): Promise<PodmanContainer> {
    await this.importImage();
    if (!network) await this.makeNetwork();
    const name = this.name(suffix);
    this.containers.push(name);
    await podman('run', '-d', '--name', name, '--network', network ?? this.network, ...ULIMITS, this.image, 'sleep', '3600');
    return this.describe(name);
  }

  async describe(name: string): Promise<PodmanContainer> {
    const [info] = JSON.parse(await podman('container', 'inspect', name)) as Array<{
      Id: string;
      State: { Pid: number };
      NetworkSettings: { Networks?: Record<string, { IPAddress: string; MacAddress: string }> };
    }>;
    const net = Object.values(info!.NetworkSettings.Networks ?? {})[0];
    let hostIf = '';
    if (net) {
      // The peer's ifindex as the container's eth0 sees it (sysfs under nsenter -n is still the host's).
      const [eth0] = JSON.parse((await execa('nsenter', ['-t', String(info!.State.Pid), '-n', 'ip', '-j', 'link', 'show', 'eth0'])).stdout) as Array<{ link_index?: number }>;
      const links = JSON.parse((await execa('ip', ['-j', 'link', 'show'])).stdout) as Array<{ ifindex: number; ifname: string }>;
      hostIf = links.find((l) => l.ifindex === eth0?.link_index)?.ifname ?? '';
    }
    return { name, id: info!.Id, pid: info!.State.Pid, ip: net?.IPAddress ?? '', mac: (net?.MacAddress ?? '').toLowerCase(), hostIf };
  }

  async stop(name: string): Promise<void> {
    await podman('stop', '-t', '0', name);
  }

  async cleanup(): Promise<void> {
    const quiet = (...args: string[]) => execa('podman', args, { reject: false, timeout: 120_000 });
    for (const name of this.containers.reverse()) await quiet('rm', '-f', '-t', '0', name);
    if (this.networkMade) await quiet('network', 'rm', '-f', this.network);
    for (const rule of this.rules) await execa('iptables', ['-w', '-D', ...rule], { reject: false });
    if (this.imported) await quiet('rmi', '-f', this.image);
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.containers = [];
    this.rules = [];
    this.networkMade = false;
    this.imported = false;
  }
}
