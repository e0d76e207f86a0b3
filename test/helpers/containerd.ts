import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { busyboxRootTarball } from './busybox.js';

export async function ctr(namespace: string, ...args: string[]): Promise<string> {
  return (await execa('ctr', ['--namespace', namespace, ...args], { timeout: 60_000 })).stdout.trim();
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/**
 * An OCI image archive holding Debian's static busybox, built here (nothing is pulled):
 * the layer is a tar of a root with /bin/busybox and its applets, then a config, a
 * manifest and an index naming the image for `ctr image import`. Returns the tarball's path.
 */
async function buildBusyboxArchive(dir: string, ref: string): Promise<{ archive: string; configDigest: string }> {
  const layout = join(dir, 'layout');
  await mkdir(join(layout, 'blobs', 'sha256'), { recursive: true });
  const layerPath = join(dir, 'layer.tar');
  await busyboxRootTarball(dir, layerPath);
  const blob = async (data: Buffer): Promise<{ digest: string; size: number }> => {
    const digest = sha256(data);
    await writeFile(join(layout, 'blobs', 'sha256', digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
  };
  const layer = await blob(await readFile(layerPath));
  const config = await blob(
    Buffer.from(JSON.stringify({ architecture: process.arch === 'arm64' ? 'arm64' : 'amd64', os: 'linux', config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [layer.digest] } })),
  );
  const manifest = await blob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  const index = {
    schemaVersion: 2,
    manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'io.containerd.image.name': ref } }],
  };
  await writeFile(join(layout, 'index.json'), JSON.stringify(index));
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  const archive = join(dir, 'image.tar');
  await execa('tar', ['-C', layout, '-cf', archive, '.']);
  await stat(archive);
  return { archive, configDigest: config.digest };
}

/**
 * containerd objects for one test file, every name under a random prefix: an image
 * imported into each containerd namespace used, tasks, containers, and namespaces the
 * scope made; cleanup() removes them all, even when tests fail.
 */
export class ContainerdScope {
  readonly prefix = `vcc${randomBytes(3).toString('hex')}`;
  readonly image = `docker.io/vethcap-test/busybox:${this.prefix}`;
  private imported = new Set<string>();
  private containers: Array<{ namespace: string; id: string }> = [];
  private ownNamespaces: string[] = [];
  private archive: Promise<{ archive: string; configDigest: string }> | undefined;
  private dir: string | undefined;

  name(suffix: string): string {
    return `${this.prefix}-${suffix}`;
  }

  /** A containerd namespace of this scope's own (removed at cleanup). */
  namespace(suffix: string): string {
    const ns = this.name(suffix);
    this.ownNamespaces.push(ns);
    return ns;
  }

  private async importInto(namespace: string): Promise<void> {
    if (this.imported.has(namespace)) return;
    // A containerd namespace (k8s.io, say) that import creates is the scope's to remove.
    const existing = (await execa('ctr', ['namespaces', 'ls', '-q'])).stdout.split('\n');
    if (!existing.includes(namespace) && !this.ownNamespaces.includes(namespace)) this.ownNamespaces.push(namespace);
    this.archive ??= mkdtemp(join(tmpdir(), 'vethcap-ctr-image-')).then((dir) => {
      this.dir = dir;
      return buildBusyboxArchive(dir, this.image);
    });
    this.imported.add(namespace);
    await ctr(namespace, 'images', 'import', (await this.archive).archive);
  }

  /**
   * `ctr run -d` of `sleep 600` in namespace, joined to the network namespace at netnsPath
   * (what a CNI plugin made), with these labels. Returns the container ID.
   */
  async run(namespace: string, id: string, netnsPath: string, labels: Record<string, string> = {}): Promise<string> {
    await this.importInto(namespace);
    this.containers.push({ namespace, id });
    const labelArgs = Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
    await ctr(namespace, 'run', '-d', '--with-ns', `network:${netnsPath}`, ...labelArgs, this.image, id, 'sleep', '600');
    return id;
  }

  async pid(namespace: string, id: string): Promise<number> {
    const out = await ctr(namespace, 'tasks', 'ls');
    const row = out.split('\n').map((l) => l.trim().split(/\s+/)).find((cols) => cols[0] === id);
    if (!row) throw new Error(`no task ${namespace}/${id}`);
    return Number(row[1]);
  }

  /** Kills and deletes the task, leaving the container without one. */
  async stopTask(namespace: string, id: string): Promise<void> {
    await ctr(namespace, 'tasks', 'delete', '--force', id);
  }

  async cleanup(): Promise<void> {
    const quiet = (namespace: string, ...args: string[]) => execa('ctr', ['--namespace', namespace, ...args], { reject: false, timeout: 60_000 });
    for (const { namespace, id } of this.containers.reverse()) {
      await quiet(namespace, 'tasks', 'delete', '--force', id);
      await quiet(namespace, 'containers', 'delete', id);
    }
    // In k8s.io containerd's CRI plugin adds a second name, the image ID (its config's
    // digest); --sync waits for the blobs and snapshots to go, so the namespace can too.
    const configDigest = await this.archive?.then((a) => a.configDigest).catch(() => undefined);
    for (const namespace of this.imported) {
      if (configDigest && namespace === 'k8s.io') await quiet(namespace, 'images', 'rm', '--sync', configDigest);
      await quiet(namespace, 'images', 'rm', '--sync', this.image);
    }
    // Refused while anything else lives there: a namespace someone else uses stays.
    for (const namespace of this.ownNamespaces) await execa('ctr', ['namespaces', 'rm', namespace], { reject: false, timeout: 60_000 });
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
    this.containers = [];
    this.imported.clear();
    this.ownNamespaces = [];
  }
}
