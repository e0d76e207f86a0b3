/**
 * Two user-defined Docker networks, a container on each (issue 14): Docker's network
 * isolation drops what one sends to the other in the host's FORWARD step, and `trace`
 * must say so: the requests lost in the host between the two host veths, never complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../helpers/env.js';
import { DockerScope, docker, ensureTestImage, randomSubnet } from '../helpers/docker.js';
import { runCli } from '../helpers/cli.js';
import { parseNdjson } from '../helpers/paths.js';
import type { ResolveResult } from '../../src/resolve/types.js';

describe.runIf(dockerAvailable())('trace two containers on two Docker networks', () => {
  const scope = new DockerScope();
  let a = '';
  let b = '';
  let bIp = '';
  let veths = { a: '', b: '' };

  beforeAll(async () => {
    await ensureTestImage();
    const first = randomSubnet();
    let second = randomSubnet();
    while (second === first) second = randomSubnet();
    const n1 = await scope.network('n1', first);
    const n2 = await scope.network('n2', second);
    a = await scope.run('a', '--network', n1);
    b = await scope.run('b', '--network', n2);
    bIp = await docker('inspect', '-f', `{{(index .NetworkSettings.Networks "${n2}").IPAddress}}`, b);
    const resolved = JSON.parse((await runCli(['resolve', '--json', '--no-owners', a, b])).stdout) as ResolveResult;
    const [ia, ib] = resolved.targets.map((t) => t.interfaces[0]!);
    veths = { a: `host:${ia!.peer!.name}`, b: `host:${ib!.peer!.name}` };
  });
  afterAll(() => scope.cleanup());

  it('calls the requests lost in the host routing step between the two host veths, none complete', async () => {
    const r = await runCli(['trace', a, b, '--filter', 'icmp', '--json', '--', 'ping', '-c', '2', '-i', '0.2', '-W', '1', bIp]);
    expect(r.exitCode, r.stderr).toBe(0);
    const { paths, summary } = parseNdjson(r.stdout);
    expect(paths).toHaveLength(2);
    for (const p of paths) {
      expect(p.verdict, JSON.stringify(p)).toBe('lost');
      expect(p.lost).toEqual({ after: veths.a, before: veths.b, where: 'host-routing' });
    }
    expect(summary.complete).toBe(0);
    expect(summary.lost).toBe(2);
  });
});
