import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../helpers/env.js';
import { DockerScope, docker, ensureTestImage } from '../helpers/docker.js';
import { BIN, runCli, untilArmed } from '../helpers/cli.js';
import { hopLabels, parseNdjson } from '../helpers/paths.js';
import { expectReplayEqual } from '../helpers/replay.js';
import type { ResolveResult } from '../../src/resolve/types.js';

describe.runIf(dockerAvailable())('trace two real containers on docker0', () => {
  const scope = new DockerScope();
  const dir = mkdtempSync(join(tmpdir(), 'vethcap-docker-trace-'));
  let box = '';
  let web = '';
  let webIp = '';
  let points: { box: string; boxHost: string; bridge: string; webHost: string; web: string };

  beforeAll(async () => {
    await ensureTestImage();
    box = await scope.run('box');
    web = await scope.run('web');
    webIp = await docker('inspect', '-f', '{{.NetworkSettings.Networks.bridge.IPAddress}}', web);
    const resolved = JSON.parse((await runCli(['resolve', '--json', '--no-owners', box, web])).stdout) as ResolveResult;
    const [b, w] = resolved.targets.map((t) => t.interfaces[0]!);
    points = { box: `${box}:eth0`, boxHost: `host:${b!.peer!.name}`, bridge: `host:${b!.bridge!.name}`, webHost: `host:${w!.peer!.name}`, web: `${web}:eth0` };
  });
  afterAll(async () => {
    await scope.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sees every request and reply at all five points in path order, with one packet id each', async () => {
    const file = join(dir, 'docker.pcapng');
    const r = await runCli(['trace', box, web, '--filter', 'icmp', '--json', '-w', file, '--', 'ping', '-c', '5', '-i', '0.2', webIp]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(paths).toHaveLength(10);
    const P = points;
    for (const p of paths) {
      const request = p.summary.startsWith('ICMP echo request');
      expect(hopLabels(p)).toEqual(request ? [P.box, P.boxHost, P.webHost, P.web] : [P.web, P.webHost, P.boxHost, P.box]);
      expect(p.hops.map((h) => h.point)).toContain(P.bridge);
      expect(p.complete).toBe(true);
    }
    // Five points, none dropping (every() of an empty list would pass).
    expect(summary.capture.map((c) => c.droppedByKernel)).toEqual([0, 0, 0, 0, 0]);
    const { stdout } = await execa('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.packet_id', '-e', 'frame.interface_name', '-e', 'frame.packet_flags_direction', '-e', 'frame.comment']);
    const rows = stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    expect(rows).toHaveLength(50);
    const ids = new Map<string, number>();
    for (const [id] of rows) ids.set(id!, (ids.get(id!) ?? 0) + 1);
    expect([...ids.values()]).toEqual(Array(10).fill(5));
    expect(rows.filter((r) => r[1] !== P.bridge).every((r) => r[2] === '0x00000001' || r[2] === '0x00000002')).toBe(true);
    expect(rows.every((r) => /^vethcap #\d+ /.test(r[3] ?? ''))).toBe(true);
  });

  it('--save, then merge DIR: the same path lines and summary for two containers', async () => {
    const saved = join(dir, 'session');
    const r = await runCli(['trace', box, web, '--filter', 'icmp', '--json', '--save', saved, '--', 'ping', '-c', '20', '-i', '0.05', webIp]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await expectReplayEqual(r.stdout, saved)).toBe(40);
  });

  it('reports a container that stops during the trace and closes its points (exit 3)', async () => {
    const victim = await scope.run('victim');
    // Removed once every point is armed (not after a fixed delay: a loaded machine may take longer to start).
    const child = execa(process.execPath, [BIN, 'trace', victim, '-d', '20', '-q'], { reject: false, stdin: 'ignore' });
    await untilArmed(child);
    await new Promise((r) => setTimeout(r, 500));
    await docker('rm', '-f', victim);
    const done = await child;
    const r = { exitCode: done.exitCode ?? -1, stderr: String(done.stderr) };
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(new RegExp(`capture at ${victim}:eth0 ended before the trace did: its namespace went away`));
  });
});
