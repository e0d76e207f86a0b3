import { describe, expect, it } from 'vitest';
import { privileged } from '../helpers/env.js';
import { useLab } from '../helpers/lab.js';
import { resolveTargets } from '../../src/resolve/resolve.js';
import { planPoints } from '../../src/plan/plan.js';
import { CaptureSession } from '../../src/capture/capture-session.js';
import { BLOCK_DRAIN_MS } from '../../src/capture/tcpdump.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.runIf(privileged(['ip', 'nsenter', 'tcpdump', 'ping']))('capture session on a lab', () => {
  const lab = useLab({ hosts: ['box', 'web'] });

  it('plans five points in path order and captures every ping at each, no drops', async () => {
    const { hosts, bridge } = lab();
    const resolved = await resolveTargets(hosts.map((h) => `netns:${h.netns}`));
    const points = planPoints(resolved.targets, { filter: 'icmp' });
    const [box, web] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
    expect(points.map((p) => p.label)).toEqual([`${box.netns}:eth0`, `host:${box.hostIf}`, `host:${bridge}`, `host:${web.hostIf}`, `${web.netns}:eth0`]);
    expect(points.map((p) => p.role)).toEqual(['namespace-end', 'host-veth', 'bridge', 'host-veth', 'namespace-end']);
    const bytes = points.map(() => 0);
    const ended = points.map(() => false);
    const session = new CaptureSession(
      points.map((p) => ({ label: p.label, ifname: p.ifname, netns: p.netnsPath, filter: p.filter })),
      { onData: (i, chunk) => (bytes[i]! += chunk.length), onEnd: (i) => (ended[i] = true) },
    );
    await session.start();
    const pids = session.pids();
    expect(pids).toHaveLength(5);
    await lab().exec('box', 'ping', ['-c', '3', '-i', '0.2', '-W', '1', web.ip]);
    // Block mode: let the kernel hand over the last block before stopping.
    await new Promise((r) => setTimeout(r, BLOCK_DRAIN_MS));
    // Statistics on request, while running (what the status line shows).
    session.requestStats();
    const deadline = Date.now() + 3000;
    while (session.processes.some((p) => p.liveStats === null) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(session.processes.map((p) => p.liveStats?.received)).toEqual([6, 6, 6, 6, 6]);
    expect(session.processes.map((p) => p.liveStats?.droppedByKernel)).toEqual([0, 0, 0, 0, 0]);
    const { stats } = await session.stop();
    expect(ended).toEqual([true, true, true, true, true]);
    // 3 requests + 3 replies at every point, the bridge's promiscuous copy included.
    expect(stats.map((s) => s?.captured)).toEqual([6, 6, 6, 6, 6]);
    expect(stats.map((s) => s?.droppedByKernel)).toEqual([0, 0, 0, 0, 0]);
    for (const [i, n] of bytes.entries()) expect(n, points[i]!.label).toBeGreaterThan(24 + 6 * 98);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('names the point and tcpdump\'s reason when a filter is wrong, and leaves no tcpdump running', async () => {
    const box = lab().host('box');
    const session = new CaptureSession(
      [
        { label: 'host:ok', ifname: box.hostIf },
        { label: `${box.netns}:eth0`, ifname: 'eth0', netns: box.netnsPath, filter: 'icmp and and' },
      ],
      { onData: () => undefined, onEnd: () => undefined },
    );
    await expect(session.start()).rejects.toMatchObject({
      code: 'CAPTURE_FAILED',
      message: `capture point ${box.netns}:eth0 failed to start: can't parse filter expression: syntax error.`,
    });
    for (const pid of session.pids()) expect(alive(pid)).toBe(false);
  });

  it('reports a missing interface', async () => {
    const session = new CaptureSession([{ label: 'host:nope0', ifname: 'vcnope0' }], { onData: () => undefined, onEnd: () => undefined });
    await expect(session.start()).rejects.toThrow(/capture point host:nope0 failed to start: vcnope0: No such device exists/);
  });
});
