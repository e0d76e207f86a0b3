import { describe, expect, it } from 'vitest';
import { planPoints } from '../../../src/plan/plan.js';
import { VethcapError } from '../../../src/errors.js';
import { FULL_POINT_BUFFER_KIB, HEADERS_SNAPLEN } from '../../../src/plan/headers-only.js';
import type { ResolvedInterface, ResolvedTarget } from '../../../src/resolve/types.js';

/** A container `name` with eth0 behind host veth `hostIf` on bridge br0 (what resolve returns). */
function target(name: string, inode: number, hostIf: string, extra: ResolvedInterface[] = []): ResolvedTarget {
  const eth0: ResolvedInterface = {
    name: 'eth0', ifindex: 2, kind: 'veth', mac: '02:42:c6:12:00:02', addresses: [], mtu: 1500, state: 'UP',
    peer: { name: hostIf, ifindex: 10 + inode, netns: 'host', mac: null, state: 'UP' },
    bridge: { name: 'br0', ifindex: 5, portState: 'forwarding', ports: [] },
    forwardedBy: 'bridge',
    note: null,
  };
  return {
    target: name, kind: 'docker', name, id: null, pid: 100 + inode,
    netns: { path: `/proc/${100 + inode}/ns/net`, inode }, networkMode: 'bridge', sharedWith: null,
    interfaces: [eth0, ...extra],
  };
}

const box = target('box', 1, 'vethA', [{ name: 'eth1', ifindex: 3, kind: 'macvlan', mac: null, addresses: [], mtu: 1500, state: 'UP', peer: null, bridge: null, forwardedBy: null, note: null }]);
const web = target('web', 2, 'vethB');

function usageError(f: () => unknown): VethcapError {
  try {
    f();
  } catch (e) {
    if (e instanceof VethcapError) return e;
    throw e;
  }
  throw new Error('no error thrown');
}

describe('planPoints', () => {
  it('puts the points in the path order of a frame leaving the first target', () => {
    expect(planPoints([box, web]).map((p) => p.label)).toEqual(['box:eth0', 'host:vethA', 'host:br0', 'host:vethB', 'box:eth1', 'web:eth0']);
    expect(planPoints([box, web], { bridge: false, interfaces: ['eth0'] }).map((p) => p.label)).toEqual(['box:eth0', 'host:vethA', 'host:vethB', 'web:eth0']);
  });

  it("gives a namespace end its interface's addresses (a packet to one is headed there, whatever its MAC), and no other point", () => {
    const addressed: ResolvedTarget = { ...web, interfaces: [{ ...web.interfaces[0]!, addresses: ['198.18.1.3/24', 'fd00:1::3/64'] }] };
    const points = planPoints([box, addressed]);
    expect(points.find((p) => p.label === 'web:eth0')!.addresses).toEqual(['198.18.1.3/24', 'fd00:1::3/64']);
    expect(points.filter((p) => p.addresses !== undefined).map((p) => p.label)).toEqual(['web:eth0']);
  });

  it('refuses an -i name no target has, and lists the interfaces there are', () => {
    const e = usageError(() => planPoints([box, web], { interfaces: ['eth9'] }));
    expect(e.code).toBe('USAGE');
    expect(e.message).toBe('-i eth9: no target has an interface of that name; they have box:eth0, box:eth1, web:eth0.');
  });

  it('refuses a --skip label that is not a point', () => {
    const e = usageError(() => planPoints([web], { skip: ['host:docker0'] }));
    expect(e.message).toBe('--skip host:docker0: no such capture point; the points are web:eth0, host:vethB, host:br0.');
  });

  it('refuses to plan nothing', () => {
    const e = usageError(() => planPoints([web], { skip: ['web:eth0', 'host:vethB', 'host:br0'] }));
    expect(e.message).toMatch(/^no capture points left/);
  });

  it("plans a rootless Podman container's veth end and bridge in the user's rootless namespace, as rootless: points", () => {
    const path = '/proc/77/root/run/user/1001/netns/rootless-netns-1';
    const rootless = (t: ResolvedTarget): ResolvedTarget => ({
      ...t,
      interfaces: t.interfaces.slice(0, 1).map((i) => ({ ...i, peer: { ...i.peer!, netns: 'rootless', netnsPath: path }, bridge: { ...i.bridge!, name: 'cni-podman1' } })),
    });
    const points = planPoints([rootless(box), rootless(web)]);
    expect(points.map((p) => p.label)).toEqual(['box:eth0', 'rootless:vethA', 'rootless:cni-podman1', 'rootless:vethB', 'web:eth0']);
    expect(points.map((p) => p.netnsPath)).toEqual(['/proc/101/ns/net', path, path, path, '/proc/102/ns/net']);
    expect(points.map((p) => p.role)).toEqual(['namespace-end', 'host-veth', 'bridge', 'host-veth', 'namespace-end']);
    expect(points[1]).toMatchObject({ peer: 'box:eth0', bridge: 'rootless:cni-podman1' });
  });

  it('plans no peer point for a rootless peer whose namespace could not be opened', () => {
    const t: ResolvedTarget = { ...box, interfaces: box.interfaces.slice(0, 1).map((i) => ({ ...i, peer: { ...i.peer!, netns: 'rootless' } })) };
    expect(planPoints([t]).map((p) => p.label)).toEqual(['box:eth0']);
  });
});

describe('planPoints with headersOnly (trace --headers-only / --full-at)', () => {
  it('keeps whole packets at the first point by default and HEADERS_SNAPLEN bytes at the others', () => {
    const points = planPoints([box, web], { interfaces: ['eth0'], headersOnly: true });
    expect(points.map((p) => [p.label, p.snaplen])).toEqual([
      ['box:eth0', 262144],
      ['host:vethA', HEADERS_SNAPLEN],
      ['host:br0', HEADERS_SNAPLEN],
      ['host:vethB', HEADERS_SNAPLEN],
      ['web:eth0', HEADERS_SNAPLEN],
    ]);
    // The full point alone writes every byte: a bigger kernel buffer there, the default elsewhere.
    expect(points.map((p) => p.bufferSizeKiB)).toEqual([FULL_POINT_BUFFER_KIB, undefined, undefined, undefined, undefined]);
  });

  it('keeps them at the point --full-at names, with -s as that point\'s length', () => {
    const points = planPoints([box, web], { interfaces: ['eth0'], headersOnly: true, fullAt: 'host:br0', snaplen: 9000 });
    expect(points.map((p) => p.snaplen)).toEqual([HEADERS_SNAPLEN, HEADERS_SNAPLEN, 9000, HEADERS_SNAPLEN, HEADERS_SNAPLEN]);
  });

  it('applies a -s below HEADERS_SNAPLEN everywhere (never longer than asked)', () => {
    const points = planPoints([box, web], { interfaces: ['eth0'], headersOnly: true, snaplen: 100 });
    expect(points.map((p) => p.snaplen)).toEqual([100, 100, 100, 100, 100]);
  });

  it('refuses a --full-at that is no point, naming the points', () => {
    const e = usageError(() => planPoints([box, web], { interfaces: ['eth0'], fullAt: 'host:nope' }));
    expect(e.code).toBe('USAGE');
    expect(e.message).toMatch(/--full-at host:nope: no such capture point; the points are box:eth0, host:vethA, host:br0, host:vethB, web:eth0/);
  });

  it('leaves every point whole without it', () => {
    expect(planPoints([box, web]).every((p) => p.snaplen === 262144 && p.bufferSizeKiB === undefined)).toBe(true);
  });
});
