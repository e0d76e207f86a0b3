/**
 * Rootless Podman: a user of the test's own, their containers on a CNI bridge (in their
 * rootless network namespace) and on slirp4netns. vethcap finds them with --user or
 * SUDO_USER; on the bridge it captures their veth ends and the bridge in that rootless
 * namespace too (rootless: points), under slirp4netns the container's own interface only.
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
      // Its peer and bridge are in the user's rootless namespace, not the host's (opened by a path through
      // the user's pause process), and the bridge's other ports name the user's containers.
      expect(eth0.peer).toMatchObject({ netns: 'rootless', name: expect.stringMatching(/^veth/), netnsPath: expect.stringMatching(/\/netns\/rootless-netns-/) });
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

  it("traces two rootless containers through SUDO_USER: every request and reply at all five points, the rootless side's in path order", async () => {
    const r = await runCli(['trace', `podman:${a.name}`, `podman:${b.name}`, '--filter', 'icmp', '--json', '--', 'nsenter', '-t', String(a.pid), '-n', 'ping', '-c', '4', '-i', '0.2', b.ip], {
      env: { SUDO_USER: scope.user },
      timeoutMs: 120_000,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    const points = summary.capture.map((c) => c.point);
    expect(points).toHaveLength(5);
    const [aEnd, aVeth, bridge, bVeth, bEnd] = points as [string, string, string, string, string];
    expect([aEnd, bEnd]).toEqual([`${a.name}:eth0`, `${b.name}:eth0`]);
    expect([aVeth, bVeth]).toEqual([expect.stringMatching(/^rootless:veth/), expect.stringMatching(/^rootless:veth/)]);
    expect(bridge).toMatch(/^rootless:cni-podman/);
    expect(summary.capture.map((c) => c.droppedByKernel)).toEqual([0, 0, 0, 0, 0]);
    expect(paths).toHaveLength(8);
    for (const p of paths) {
      const request = p.summary.startsWith('ICMP echo request');
      const forward = [aEnd, aVeth, bVeth, bEnd];
      expect(hopLabels(p)).toEqual(request ? forward : [...forward].reverse());
      expect(p.hops.map((h) => h.point)).toContain(bridge);
      expect(p.verdict).toBe('complete');
    }
  });
});
