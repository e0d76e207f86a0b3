import { randomBytes } from 'node:crypto';
import { run } from '../exec/run.js';
import { findOnPath } from '../exec/tools.js';
import { VethcapError } from '../errors.js';
import { assertBenchmarkRange, macFor, type LabHost } from './lab.js';

/**
 * Two namespaces on two Linux bridges of this host, the host routing between them: the
 * shape of two Docker networks with a container on each, where the host's routing and
 * firewall step decides. Each bridge gets the .1 of its /24 (the host is the hosts'
 * gateway, so these subnets are in the host's routing table while the lab stands: they
 * are picked at random in 198.19.100.0–198.19.127.0, away from docker0, the Docker
 * tests' networks in 198.18.64+, Docker's default pools (198.19.128.0/17 under scripts/setup.sh) and the one-bridge labs, which give the host no address).
 * destroy() removes everything, the forwarding rules and a changed ip_forward included.
 */
export interface RoutedLab {
  id: string;
  /**
   * The namespace that routes (`router: 'namespace'`): vethcap runs inside it
   * (`ip netns exec NAME vethcap …`) and sees it as its host. Undefined when the host routes.
   */
  router?: { netns: string; netnsPath: string };
  /**
   * With `router: 'namespace'` and `uplink`: the router's uplink (its default route) to a namespace
   * standing in for the outside world, which answers on `outside.ip`.
   */
  uplink?: { ifname: string; outside: { netns: string; netnsPath: string; ip: string } };
  /** The two bridges: box's, then web's; empty strings under `cni: 'routed'`, which has none. */
  bridges: [string, string];
  /** box on the first bridge, web on the second. */
  hosts: [LabHost, LabHost];
  host(name: string): LabHost;
  exec(host: string, file: string, args: readonly string[], timeoutMs?: number): Promise<string>;
  /** Removes everything the lab made; safe to call twice. */
  destroy(): Promise<void>;
}

export interface RoutedLabOptions {
  /** Prefix of every name (max 3 chars). */
  prefix?: string;
  /** A fixed id instead of a random one. */
  id?: string;
  /**
   * Who routes between the bridges. 'host' (the default): this host, as between two Docker
   * networks, with its firewall and sysctls (ip_forward is set if off, two FORWARD accept
   * rules added, both undone by destroy()). 'namespace': a namespace of its own, with its
   * own ip_forward, rp_filter, routes, neighbours and firewall, so that a test may break
   * each of them without touching the host's; with `uplink`, also an uplink to an
   * "outside" namespace as its default route (without, it has no default route: a
   * destination off its bridges is unreachable, never sent anywhere). Nothing on the host
   * changes but the namespaces.
   */
  router?: 'host' | 'namespace';
  /** With `router: 'namespace'`: give the router an uplink to an "outside" namespace as its default route. */
  uplink?: boolean;
  /**
   * How the hosts hang off the router. 'bridge' (the default): each on a bridge of its own,
   * as two Docker networks. 'routed' (with `router: 'namespace'`): as a routed CNI (Calico)
   * wires a pod, no bridge at all: the router's veth end has no master and no address,
   * answers ARP for the host's gateway (proxy_arp), and the router has a /32 route to the
   * host's address through it; the host's default route is a link-local gateway,
   * 169.254.1.1, on eth0.
   */
  cni?: 'bridge' | 'routed';
}

export async function createRoutedLab(options: RoutedLabOptions = {}): Promise<RoutedLab> {
  const prefix = options.prefix ?? 'vr';
  const id = options.id ?? randomBytes(3).toString('hex');
  const third = 100 + 2 * (parseInt(id.slice(0, 2), 16) % 14);
  const subnets = [`198.19.${third}`, `198.19.${third + 1}`] as const;
  for (const s of subnets) assertBenchmarkRange(`${s}.0`);
  const namespaced = options.router === 'namespace';
  const routedCni = options.cni === 'routed';
  if (routedCni && !namespaced) throw new VethcapError('INTERNAL', "a routed-CNI lab needs router: 'namespace' (its /32 routes and proxy ARP stay off the host)");
  const bridges: [string, string] = routedCni ? ['', ''] : [`${prefix}${id}b0`, `${prefix}${id}b1`];
  const router = namespaced ? { netns: `${prefix}-${id}-rt`, netnsPath: `/run/netns/${prefix}-${id}-rt` } : undefined;
  // The router–outside link: a /30 of its own, apart from the bridges' /24s (namespaced, so no clash with the host's).
  const outside = '198.18.254.252';
  const uplink = namespaced && options.uplink ? { ifname: `${prefix}${id}up`, outside: { netns: `${prefix}-${id}-out`, netnsPath: `/run/netns/${prefix}-${id}-out`, ip: '198.18.255.9' } } : undefined;
  /** On the router: the host, or the router namespace. */
  const onRouter = router ? { netns: router.netnsPath } : {};
  const host = (name: string, i: number): LabHost => ({
    name,
    netns: `${prefix}-${id}-${name}`,
    netnsPath: `/run/netns/${prefix}-${id}-${name}`,
    ifname: 'eth0',
    hostIf: `${prefix}${id}h${i}`,
    ip: `${subnets[i]}.2`,
    prefixLen: routedCni ? 32 : 24,
    mac: macFor(id, i),
    ip6: '',
  });
  const hosts: [LabHost, LabHost] = [host('box', 0), host('web', 1)];
  const undo: Array<() => Promise<unknown>> = [];
  let destroyed = false;
  const lab: RoutedLab = {
    id,
    bridges,
    hosts,
    ...(router ? { router } : {}),
    ...(uplink ? { uplink } : {}),
    host(name) {
      const h = hosts.find((x) => x.name === name);
      if (!h) throw new VethcapError('INTERNAL', `no host ${name} in routed lab ${id}`);
      return h;
    },
    exec(name, file, args, timeoutMs) {
      return run(file, args, { netns: lab.host(name).netnsPath, timeoutMs: timeoutMs ?? 30_000 });
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      const errors: unknown[] = [];
      for (const step of undo.reverse()) await step().catch((e: unknown) => errors.push(e));
      if (errors.length) throw new VethcapError('COMMAND_FAILED', `routed lab ${id}: ${errors.length} clean-up steps failed: ${String(errors[0])}`, { cause: errors[0] });
    },
  };
  try {
    if (router) {
      await run('ip', ['netns', 'add', router.netns]);
      undo.push(() => run('ip', ['netns', 'del', router.netns]));
      await run('ip', ['link', 'set', 'lo', 'up'], onRouter);
    }
    for (const [i, bridge] of bridges.entries()) {
      if (bridge === '') continue;
      await run('ip', ['link', 'add', bridge, 'type', 'bridge'], onRouter);
      if (!router) undo.push(() => run('ip', ['link', 'del', bridge])); // else gone with the router's namespace
      await run('ip', ['link', 'set', bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0'], onRouter);
      await run('ip', ['addr', 'add', `${subnets[i]!}.1/24`, 'dev', bridge], onRouter);
      await run('ip', ['link', 'set', bridge, 'up'], onRouter);
    }
    for (const [i, h] of hosts.entries()) {
      await run('ip', ['netns', 'add', h.netns]);
      undo.push(() => run('ip', ['netns', 'del', h.netns]));
      await run('ip', ['link', 'add', h.hostIf, 'type', 'veth', 'peer', 'name', h.ifname, 'netns', h.netns], onRouter);
      if (!router) undo.push(() => run('ip', ['link', 'del', h.hostIf]).catch(() => undefined)); // gone with the netns already
      await run('ip', ['link', 'set', h.ifname, 'address', h.mac, 'up'], { netns: h.netnsPath });
      await run('ip', ['link', 'set', 'lo', 'up'], { netns: h.netnsPath });
      await run('ip', ['addr', 'add', `${h.ip}/${h.prefixLen}`, 'dev', h.ifname], { netns: h.netnsPath });
      if (routedCni) {
        await run('ip', ['link', 'set', h.hostIf, 'up'], onRouter);
        await run('sysctl', ['-qw', `net.ipv4.conf.${h.hostIf}.proxy_arp=1`], onRouter);
        await run('ip', ['route', 'add', `${h.ip}/32`, 'dev', h.hostIf], onRouter);
        await run('ip', ['route', 'add', '169.254.1.1', 'dev', h.ifname, 'scope', 'link'], { netns: h.netnsPath });
        await run('ip', ['route', 'add', 'default', 'via', '169.254.1.1', 'dev', h.ifname], { netns: h.netnsPath });
      } else {
        await run('ip', ['link', 'set', h.hostIf, 'master', bridges[i]!, 'up'], onRouter);
        await run('ip', ['route', 'add', 'default', 'via', `${subnets[i]!}.1`], { netns: h.netnsPath });
      }
    }
    if (router) {
      if (uplink) await addOutside(uplink, outside, onRouter, undo);
      await run('sysctl', ['-qw', 'net.ipv4.ip_forward=1'], onRouter);
    } else {
      await enableForwarding(undo);
      await allowRoutedForwarding(bridges, undo);
    }
    return lab;
  } catch (error) {
    await lab.destroy().catch(() => undefined);
    throw error;
  }
}

/**
 * The router namespace's uplink: a veth to the "outside" namespace, the router's default
 * route, and the outside's address on its loopback. The outside routes the lab's
 * 198.19.0.0/16 back to the router, so replies return unless the router masquerades.
 */
async function addOutside(uplink: NonNullable<RoutedLab['uplink']>, net: string, onRouter: { netns?: string }, undo: Array<() => Promise<unknown>>): Promise<void> {
  const out = uplink.outside;
  const routerIp = net.replace(/\.\d+$/, '.253');
  const outsideIp = net.replace(/\.\d+$/, '.254');
  assertBenchmarkRange(out.ip);
  await run('ip', ['netns', 'add', out.netns]);
  undo.push(() => run('ip', ['netns', 'del', out.netns]));
  await run('ip', ['link', 'add', uplink.ifname, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', out.netns], onRouter);
  await run('ip', ['addr', 'add', `${routerIp}/30`, 'dev', uplink.ifname], onRouter);
  await run('ip', ['link', 'set', uplink.ifname, 'up'], onRouter);
  await run('ip', ['route', 'add', 'default', 'via', outsideIp], onRouter);
  const o = { netns: out.netnsPath };
  await run('ip', ['link', 'set', 'lo', 'up'], o);
  await run('ip', ['addr', 'add', `${out.ip}/32`, 'dev', 'lo'], o);
  await run('ip', ['addr', 'add', `${outsideIp}/30`, 'dev', 'eth0'], o);
  await run('ip', ['link', 'set', 'eth0', 'up'], o);
  await run('ip', ['route', 'add', '198.19.0.0/16', 'via', routerIp], o);
}

/** The host must route: set net.ipv4.ip_forward when it is off, and put the old value back afterwards. */
async function enableForwarding(undo: Array<() => Promise<unknown>>): Promise<void> {
  const was = (await run('sysctl', ['-n', 'net.ipv4.ip_forward'])).trim();
  if (was === '1') return;
  await run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
  undo.push(() => run('sysctl', ['-qw', `net.ipv4.ip_forward=${was}`]));
}

/**
 * Docker sets the FORWARD policy to DROP: accept the lab's traffic from either bridge to
 * the other there, only that, and remove the rules afterwards. The policy is never touched.
 */
async function allowRoutedForwarding(bridges: readonly [string, string], undo: Array<() => Promise<unknown>>): Promise<void> {
  if (!(await findOnPath('iptables'))) return;
  for (const [from, to] of [[bridges[0], bridges[1]], [bridges[1], bridges[0]]] as const) {
    const rule = ['FORWARD', '-i', from, '-o', to, '-j', 'ACCEPT', '-m', 'comment', '--comment', `vethcap routed lab ${from}`];
    await run('iptables', ['-w', '-I', ...rule]);
    undo.push(() => run('iptables', ['-w', '-D', ...rule]));
  }
}
