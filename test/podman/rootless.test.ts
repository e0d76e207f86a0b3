/**
 * Rootless Podman: a user of the test's own, their containers on a CNI bridge (in their
 * rootless network namespace) and on slirp4netns. vethcap finds them with --user or
 * SUDO_USER, captures the containers' own interfaces, and says where the host side is.
 */
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RootlessScope, rootlessUnavailable } from '../helpers/podman-rootless.js';
import { runCli } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';
import type { ResolveResult } from '../../src/resolve/types.js';

const WHY_NOT = rootlessUnavailable();
const TITLE = "a user's rootless Podman containers";

describe.skipIf(WHY_NOT !== undefined)(WHY_NOT ? `${TITLE} (skipped: ${WHY_NOT})` : TITLE, () => {
  const scope = new RootlessScope();
  let a: { name: string; pid: number; ip: string };
  let b: { name: string; pid: number; ip: string };
  let slirp: { name: string; pid: number; ip: string };

  beforeAll(async () => {
    await scope.setUp();
    a = await scope.run(`${scope.user}-a`, 'bridge');
    b = await scope.run(`${scope.user}-b`, 'bridge');
    slirp = await scope.run(`${scope.user}-s`, 'slirp4netns');
  }, 240_000);
  afterAll(() => scope.cleanup(), 120_000);

  it("finds podman:NAME in the --user's rootless Podman, or SUDO_USER's, in the container's own namespace", async () => {
    for (const how of [{ args: ['--user', scope.user], env: {} }, { args: [], env: { SUDO_USER: scope.user } }]) {
      const r = await runCli(['resolve', '--json', `podman:${a.name}`, `podman:${slirp.name}`, ...how.args], { env: how.env });
      expect(r.exitCode, r.stderr).toBe(0);
      const [ta, ts] = (JSON.parse(r.stdout) as ResolveResult).targets;
      expect(ta).toMatchObject({ kind: 'podman', name: a.name, pid: a.pid, netns: { path: `/proc/${a.pid}/ns/net`, inode: statSync(`/proc/${a.pid}/ns/net`).ino }, networkMode: 'bridge' });
      const eth0 = ta!.interfaces.find((i) => i.name === 'eth0')!;
      expect(eth0.addresses).toContain(`${a.ip}/24`);
      // Its peer and bridge are in the user's rootless namespace, not the host's (so no host point is planned),
      // and the bridge's other ports name the user's containers.
      expect(eth0.peer).toMatchObject({ netns: 'rootless', name: expect.stringMatching(/^veth/) });
      expect(eth0.bridge?.name).toMatch(/^cni-podman/);
      expect(Object.fromEntries(eth0.bridge!.ports.map((p) => [p.owner, p.name]))).toMatchObject({ [`${a.name}:eth0`]: eth0.peer!.name, [`${b.name}:eth0`]: expect.stringMatching(/^veth/) });
      expect(eth0.note).toMatch(new RegExp(`rootless:${eth0.peer!.name} and bridge rootless:${eth0.bridge!.name} are in ${scope.user}'s rootless network namespace`));
      expect(ts).toMatchObject({ kind: 'podman', name: slirp.name, pid: slirp.pid, networkMode: 'slirp4netns' });
      expect(ts!.interfaces.every((i) => i.peer === null && /host side cannot be seen/.test(i.note ?? ''))).toBe(true);
    }
  });

  it("is TARGET_NOT_FOUND (exit 3) in neither rootful nor the user's Podman, and without a user only rootful is asked", async () => {
    const nope = await runCli(['resolve', `podman:${scope.user}-nope`, '--user', scope.user]);
    expect(/^vethcap: \[([A-Z_]+)\]/.exec(nope.stderr)?.[1], nope.stderr).toBe('TARGET_NOT_FOUND');
    expect(nope.exitCode).toBe(3);
    const rootfulOnly = await runCli(['resolve', `podman:${a.name}`], { env: { SUDO_USER: '' } });
    expect(rootfulOnly.exitCode, rootfulOnly.stderr).toBe(3);
  });

  it("traces two rootless containers through SUDO_USER: every request and reply at each container's own interface, the only points vethcap can reach", async () => {
    const r = await runCli(['trace', `podman:${a.name}`, `podman:${b.name}`, '--filter', 'icmp', '--json', '--', 'nsenter', '-t', String(a.pid), '-n', 'ping', '-c', '4', '-i', '0.2', b.ip], {
      env: { SUDO_USER: scope.user },
      timeoutMs: 120_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(summary.capture.map((c) => c.point)).toEqual([`${a.name}:eth0`, `${b.name}:eth0`]);
    expect(summary.capture.map((c) => c.droppedByKernel)).toEqual([0, 0]);
    expect(paths).toHaveLength(8);
    for (const p of paths) {
      const request = p.summary.startsWith('ICMP echo request');
      expect(hopLabels(p)).toEqual(request ? [`${a.name}:eth0`, `${b.name}:eth0`] : [`${b.name}:eth0`, `${a.name}:eth0`]);
    }
  });
});
