import { describe, expect, it } from 'vitest';
import { inspectFailure, parsePasswdUser, parsePodmanList, podmanEndpoint, rootlessUserName, userModeNetwork } from '../../../src/targets/podman-output.js';
import { rootlessInterfaces } from '../../../src/resolve/locate-podman.js';
import { pairInterfaces } from '../../../src/resolve/pairing.js';
import type { LinkInfo } from '../../../src/resolve/ip-link.js';
import { containerInfo } from '../../../src/targets/docker.js';
import { socketError } from '../../../src/targets/podman.js';
import { chooseAmongRuntimes, type RuntimeAnswer } from '../../../src/targets/bare-name.js';
import { tasksNamed, type ContainerdApi } from '../../../src/targets/containerd.js';
import { TargetNotFound } from '../../../src/targets/suggest.js';
import { VethcapError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';

// Recorded from Debian's Podman 4.3.1 here (trimmed to the fields vethcap reads and a few around them).
const LIBPOD_LIST = [
  {
    AutoRemove: false,
    Command: ['sleep', '600'],
    Id: 'f5a4f105cad5ab0e848b2c51bb631f88e6bf8093dbdb00564b97f26c66a56698',
    Image: 'localhost/vethcap-probe:x',
    IsInfra: false,
    Names: ['vcpprobe1'],
    Networks: ['vcpprobe'],
    Pid: 26690,
    Pod: '',
    State: 'running',
  },
  { Id: 'c0ffee'.padEnd(64, '0'), Names: ['stopped-one'], Pid: 0, State: 'exited' },
  { Names: ['no-id'] },
];

const COMPAT_INSPECT = {
  Id: 'f5a4f105cad5ab0e848b2c51bb631f88e6bf8093dbdb00564b97f26c66a56698',
  State: { Status: 'running', Running: true, Paused: false, Pid: 26690, ExitCode: 0 },
  Name: '/vcpprobe1',
  HostConfig: { NetworkMode: 'bridge' },
  NetworkSettings: {
    SandboxKey: '/run/netns/netns-cc3512d0-214d-dc90-b0a3-01f718d37f11',
    Networks: { vcpprobe: { Gateway: '198.19.99.1', IPAddress: '198.19.99.2', IPPrefixLen: 24, MacAddress: '66:55:29:F8:91:3A' } },
  },
};

describe("Podman's answers read into values", () => {
  it("reads libpod's container list (API and `podman ps --format json` alike): IDs, names, PIDs, states", () => {
    expect(parsePodmanList(LIBPOD_LIST)).toEqual([
      { id: LIBPOD_LIST[0]!.Id, names: ['vcpprobe1'], pid: 26690, state: 'running' },
      { id: 'c0ffee'.padEnd(64, '0'), names: ['stopped-one'], pid: 0, state: 'exited' },
    ]);
    expect(parsePodmanList({ message: 'not a list' })).toEqual([]);
    expect(parsePodmanList([{ Id: 'x', Names: ['/slashed'], Pid: -1 }])).toEqual([{ id: 'x', names: ['slashed'], pid: 0, state: 'unknown' }]);
  });

  it("reads the Docker-compatible inspect Podman's socket serves, as Docker's", () => {
    expect(containerInfo(COMPAT_INSPECT, 'unix:///run/podman/podman.sock')).toEqual({
      id: COMPAT_INSPECT.Id,
      name: 'vcpprobe1',
      running: true,
      status: 'running',
      pid: 26690,
      networkMode: 'bridge',
      networks: { vcpprobe: { mac: '66:55:29:f8:91:3a', ip: '198.19.99.2' } },
    });
  });

  it("tells a missing container and an ambiguous prefix apart in the CLI's stderr", () => {
    expect(inspectFailure('Error: no such container nope')).toBe('missing');
    expect(inspectFailure('Error: inspecting object: no container with name or ID "nope" found: no such container')).toBe('missing');
    expect(inspectFailure('Error: more than one result for container ID "f": container already exists')).toBe('ambiguous');
    expect(inspectFailure('Error: database is locked')).toBeUndefined();
  });

  it('takes CONTAINER_HOST over the rootful socket; an ssh:// one is not spoken', () => {
    expect(podmanEndpoint({})).toEqual({ endpoint: 'unix:///run/podman/podman.sock', address: { socketPath: '/run/podman/podman.sock' }, explicit: false });
    expect(podmanEndpoint({ CONTAINER_HOST: 'unix:///tmp/p.sock' })).toEqual({ endpoint: 'unix:///tmp/p.sock', address: { socketPath: '/tmp/p.sock' }, explicit: true });
    expect(podmanEndpoint({ CONTAINER_HOST: 'tcp://127.0.0.1:8080' }).address).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(podmanEndpoint({ CONTAINER_HOST: 'ssh://core@host/run/podman/podman.sock' }).address).toBeUndefined();
    expect(podmanEndpoint({ CONTAINER_HOST: '  ' }).explicit).toBe(false);
  });

  it('words a socket failure with a code: refused is a stopped service, EACCES a permission', () => {
    const at = 'unix:///run/podman/podman.sock';
    expect(socketError(at, Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({ code: 'RUNTIME_UNAVAILABLE', message: expect.stringMatching(/stopped/) });
    expect(socketError(at, Object.assign(new Error('x'), { code: 'EACCES' })).code).toBe('PERMISSION');
    expect(socketError(at, Object.assign(new Error('x'), { code: 'ENOENT' }))).toMatchObject({ code: 'RUNTIME_UNAVAILABLE', message: expect.stringMatching(/no such socket/) });
    expect(exitCodeFor('RUNTIME_UNAVAILABLE')).toBe(4);
    expect(exitCodeFor('PERMISSION')).toBe(5);
  });
});

describe('a bare name across runtimes', () => {
  const found = (runtime: string, spec: string, value: string, inode: number): RuntimeAnswer<string> => ({ runtime, spec, result: { ok: true, value, inode } });
  const failed = (runtime: string, spec: string, error: unknown): RuntimeAnswer<string> => ({ runtime, spec, result: { ok: false, error } });
  const notFound = (runtime: string, suggestions: string[] = []) => failed(runtime, `${runtime.toLowerCase()}:web`, new TargetNotFound(`no container named web (${runtime})`, suggestions));
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (error) {
      return error instanceof VethcapError ? error.code : 'not a VethcapError';
    }
    return undefined;
  };

  it('takes the one runtime that has it', () => {
    expect(chooseAmongRuntimes('web', [notFound('Docker'), found('Podman', 'podman:web', 'P', 7)])).toBe('P');
  });

  it('counts runtimes showing one network namespace (same inode) as one target, the first in order', () => {
    expect(chooseAmongRuntimes('web', [found('Docker', 'docker:web', 'D', 7), found('containerd namespace default', 'containerd:default/web', 'C', 7)])).toBe('D');
  });

  it('fails as TARGET_AMBIGUOUS on distinct targets, listing each with its prefix', () => {
    const answers = [found('Docker', 'docker:web', 'D', 7), found('Podman', 'podman:web', 'P', 8), notFound('containerd')];
    expect(code(() => chooseAmongRuntimes('web', answers))).toBe('TARGET_AMBIGUOUS');
    expect(() => chooseAmongRuntimes('web', answers)).toThrow(/docker:web, podman:web/);
    // A stopped one is a candidate too: the user must say which.
    const stopped = failed('Docker', 'docker:web', new VethcapError('TARGET_NOT_RUNNING', 'container web is not running'));
    expect(code(() => chooseAmongRuntimes('web', [stopped, found('Podman', 'podman:web', 'P', 8)]))).toBe('TARGET_AMBIGUOUS');
  });

  it("gives the only holder's own error (not running, an ambiguous prefix within it)", () => {
    const stopped = new VethcapError('TARGET_NOT_RUNNING', 'container web is not running');
    expect(() => chooseAmongRuntimes('web', [failed('Podman', 'podman:web', stopped), notFound('Docker')])).toThrow(stopped);
  });

  it('not found anywhere: one runtime asked keeps its own error; several give one TARGET_NOT_FOUND with everyone\'s suggestions', () => {
    const dockerOnly = notFound('Docker', ['webb']);
    expect(() => chooseAmongRuntimes('web', [dockerOnly])).toThrow((dockerOnly.result as { error: Error }).error);
    try {
      chooseAmongRuntimes('web', [notFound('Docker', ['webb']), notFound('Podman', ['web1', 'webb'])]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TargetNotFound);
      expect((error as TargetNotFound).suggestions).toEqual(['webb', 'web1']);
      expect((error as Error).message).toMatch(/in Docker or Podman; did you mean webb, web1\?/);
    }
  });

  it('not found where asked but a runtime did not answer: that runtime\'s error (it may hold the name); several: RUNTIME_UNAVAILABLE, or PERMISSION when all refused', () => {
    const down = new VethcapError('DOCKER_UNAVAILABLE', 'cannot reach the Docker daemon');
    expect(() => chooseAmongRuntimes('web', [failed('Docker', 'docker:web', down), notFound('Podman')])).toThrow(down);
    const refused = (rt: string) => failed(rt, `${rt}:web`, new VethcapError('PERMISSION', 'permission denied'));
    expect(code(() => chooseAmongRuntimes('web', [failed('Docker', 'docker:web', down), refused('Podman')]))).toBe('RUNTIME_UNAVAILABLE');
    expect(code(() => chooseAmongRuntimes('web', [refused('Docker'), refused('Podman')]))).toBe('PERMISSION');
  });

  it('no runtime here at all: RUNTIME_UNAVAILABLE naming where each was looked for', () => {
    expect(code(() => chooseAmongRuntimes('web', [], ['Docker at unix:///var/run/docker.sock', 'Podman at unix:///run/podman/podman.sock']))).toBe('RUNTIME_UNAVAILABLE');
    expect(() => chooseAmongRuntimes('web', [], ['Docker at X', 'Podman at Y'])).toThrow(/no Docker at X, no Podman at Y/);
  });
});

describe("containerd's tasks for a bare name", () => {
  const api = (state: Map<string, string[]> | undefined, tasks: Record<string, string[]> = {}): ContainerdApi => ({
    address: '/run/containerd/containerd.sock',
    present: async () => true,
    namespaces: async () => Object.keys(tasks),
    tasks: async (ns) => (tasks[ns] ?? []).map((id) => ({ id, pid: 10, status: 'RUNNING' })),
    containers: async () => [],
    labels: async () => ({}),
    taskIds: async () => state,
  });

  it("reads containerd's state on disk, leaving out Docker's own moby namespace", async () => {
    const state = new Map([
      ['moby', ['web']],
      ['default', ['web', 'db']],
      ['k8s.io', ['a'.repeat(64)]],
    ]);
    const named = await tasksNamed(api(state), 'web');
    expect(named.map((n) => [n.namespace, n.match?.id, n.names])).toEqual([
      ['default', 'web', ['web', 'db']],
      ['k8s.io', undefined, []],
    ]);
    expect((await tasksNamed(api(state), 'aaaa')).find((n) => n.namespace === 'k8s.io')?.match?.id).toBe('a'.repeat(64));
  });

  it('asks ctr when the state is not where vethcap looks', async () => {
    const named = await tasksNamed(api(undefined, { moby: ['web'], default: ['web1', 'web2'] }), 'web');
    expect(named).toEqual([{ namespace: 'default', candidates: [expect.objectContaining({ id: 'web1' }), expect.objectContaining({ id: 'web2' })], names: ['web1', 'web2'] }]);
  });
});

describe('rootless Podman', () => {
  it("reads a user from /etc/passwd, the user to look in (--user, else SUDO_USER, never root), and the user-mode networks", () => {
    const passwd = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/sh\nbroken:x:abc:1::/h:/bin/sh\n';
    expect(parsePasswdUser(passwd, 'alice')).toEqual({ name: 'alice', uid: 1001, home: '/home/alice' });
    expect(parsePasswdUser(passwd, 'bob')).toBeUndefined();
    expect(parsePasswdUser(passwd, 'broken')).toBeUndefined();
    expect(rootlessUserName({ SUDO_USER: 'alice' })).toBe('alice');
    expect(rootlessUserName({ SUDO_USER: 'alice' }, 'bob')).toBe('bob');
    expect(rootlessUserName({ SUDO_USER: 'root' })).toBeUndefined();
    expect(rootlessUserName({})).toBeUndefined();
    expect(userModeNetwork('slirp4netns')).toBe('slirp4netns');
    expect(userModeNetwork('slirp4netns:port_handler=slirp4netns')).toBe('slirp4netns');
    expect(userModeNetwork('pasta')).toBe('pasta');
    expect(userModeNetwork('bridge')).toBeUndefined();
  });

  const link = (l: Partial<LinkInfo> & Pick<LinkInfo, 'ifindex' | 'name'>): LinkInfo => ({ mtu: 1500, operstate: 'UP', flags: [], addresses: [], ...l });
  // The container's eth0 (ifindex 2) and its peer veth (ifindex 4) on cni-podman2 in the user's rootless namespace.
  const target = [link({ ifindex: 1, name: 'lo', flags: ['LOOPBACK'] }), link({ ifindex: 2, name: 'eth0', kind: 'veth', linkIndex: 4, linkNetnsid: 0, addresses: ['198.19.101.2/24'] })];
  const rootless = [
    link({ ifindex: 3, name: 'cni-podman2', kind: 'bridge' }),
    link({ ifindex: 4, name: 'veth9522d28c', kind: 'veth', linkIndex: 2, linkNetnsid: 0, master: 'cni-podman2', slaveKind: 'bridge', portState: 'forwarding' }),
    link({ ifindex: 5, name: 'tap0', kind: 'tun' }),
  ];
  const user = { name: 'alice', uid: 1001, home: '/home/alice' };
  const resolved = pairInterfaces(target, []);

  const view = { path: '/proc/77/root/run/user/1001/netns/rootless-netns-1', links: rootless };

  it("pairs a bridged container's veth with the user's rootless namespace, peer there with the path that opens it", () => {
    const [eth0] = rootlessInterfaces({ user, userMode: undefined }, resolved, target, view, new Map([['veth9522d28c', 'web:eth0']]));
    expect(eth0).toMatchObject({ name: 'eth0', forwardedBy: 'bridge', peer: { name: 'veth9522d28c', netns: 'rootless', netnsPath: view.path, ifindex: 4 }, bridge: { name: 'cni-podman2', portState: 'forwarding', ports: [{ name: 'veth9522d28c', owner: 'web:eth0' }] } });
    expect(eth0!.note).toMatch(/rootless:veth9522d28c and bridge rootless:cni-podman2 are in alice's rootless network namespace/);
    // Without that namespace found: no peer, the note still says where it is.
    const [alone] = rootlessInterfaces({ user, userMode: undefined }, resolved, target, undefined, new Map());
    expect(alone).toMatchObject({ peer: null, bridge: null, note: expect.stringMatching(/alice's rootless network namespace/) });
  });

  it('under slirp4netns or pasta: no peer, no bridge, and the host side cannot be seen', () => {
    for (const mode of ['slirp4netns', 'pasta'] as const) {
      const [iface] = rootlessInterfaces({ user, userMode: mode }, resolved, target, view, new Map());
      expect(iface).toMatchObject({ peer: null, bridge: null, note: expect.stringMatching(new RegExp(`${mode}: there is no veth.*host side cannot be seen`)) });
    }
  });
});
