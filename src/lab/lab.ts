import { randomBytes } from 'node:crypto';
import { run } from '../exec/run.js';
import { findOnPath } from '../exec/tools.js';
import { VethcapError } from '../errors.js';

/**
 * A throwaway topology of network namespaces on one Linux bridge: what `vethcap demo`
 * traces and what the privileged tests build. Every name carries a random id, the host
 * side gets no address (the host stays out of the lab's subnet), and destroy() removes
 * everything, including the iptables rule that lets frames cross the bridge where
 * Docker's br_netfilter + `FORWARD DROP` would otherwise drop them.
 */
export interface LabHost {
  /** Short name: box, web, ... */
  name: string;
  /** The `ip netns` name. */
  netns: string;
  /** /run/netns/NAME. */
  netnsPath: string;
  /** Interface inside the namespace (always eth0). */
  ifname: string;
  /** Host end of its veth pair, a port of the bridge. */
  hostIf: string;
  /** Address without prefix, e.g. 198.19.0.2. */
  ip: string;
  prefixLen: number;
  mac: string;
  /** IPv6 address in the benchmarking range 2001:2::/48, without prefix. */
  ip6: string;
}

export interface Lab {
  id: string;
  bridge: string;
  hosts: LabHost[];
  /** Present with `nat: true`. */
  nat?: LabNat;
  host(name: string): LabHost;
  /** Runs a command inside a host's namespace (no shell) and returns stdout. */
  exec(host: string, file: string, args: readonly string[], timeoutMs?: number): Promise<string>;
  /** Removes everything the lab made; safe to call twice. */
  destroy(): Promise<void>;
}

export interface LabOptions {
  /** Names of the namespaces on the bridge, in address order (.2, .3, ...). */
  hosts?: string[];
  /** The /24 the hosts get addresses in: 198.18.0.0/15 only. */
  subnet?: string;
  /** Prefix of every name (max 3 chars). */
  prefix?: string;
  /**
   * Add a router namespace `gw` on the bridge (.1, the hosts' default gateway) that
   * masquerades towards a namespace `remote` on 198.18.200.0/24 behind it: a NAT'ed,
   * routed path like a container's traffic to the outside world, all inside the lab.
   */
  nat?: boolean;
  /** A fixed id instead of a random one (fixture recordings, for stable names). */
  id?: string;
  /**
   * Insert the iptables FORWARD accept rule for the lab's bridge (wherever iptables is)
   * (default true). `false` leaves the bridge exposed to the host's FORWARD policy, as a
   * plain bridge on a host running Docker is: what `verify` must diagnose.
   */
  acceptForwarding?: boolean;
}

/** The router and the remote host of a lab made with `nat: true`. */
export interface LabNat {
  /** Router namespace; eth0 is on the bridge (hostIf is its port), eth1 faces remote. */
  gw: LabHost;
  /** The remote namespace; its eth0 is the peer of gw's eth1, not on the host. */
  remote: LabHost;
  /** gw's address on the remote side. */
  gwOutsideIp: string;
}

export const LAB_DEFAULT_SUBNET = '198.19.0.0';

export function assertBenchmarkRange(subnet: string): void {
  const [a, b] = subnet.split('.').map(Number);
  if (a !== 198 || (b !== 18 && b !== 19)) {
    throw new VethcapError('INTERNAL', `lab subnet ${subnet} is outside 198.18.0.0/15, the only range vethcap's labs may use`);
  }
}

export function macFor(id: string, index: number): string {
  // Locally administered unicast (02:...), unique per lab and host.
  return `02:${id.slice(0, 2)}:${id.slice(2, 4)}:${id.slice(4, 6)}:00:${(index + 2).toString(16).padStart(2, '0')}`;
}

export async function createLab(options: LabOptions = {}): Promise<Lab> {
  const names = options.hosts ?? ['box', 'web'];
  const subnet = options.subnet ?? LAB_DEFAULT_SUBNET;
  assertBenchmarkRange(subnet);
  const prefix = options.prefix ?? 'vc';
  const id = options.id ?? randomBytes(3).toString('hex');
  const base = subnet.split('.').slice(0, 3).join('.');
  const bridge = `${prefix}${id}br`;
  const hosts: LabHost[] = names.map((name, i) => ({
    name,
    netns: `${prefix}-${id}-${name}`,
    netnsPath: `/run/netns/${prefix}-${id}-${name}`,
    ifname: 'eth0',
    hostIf: `${prefix}${id}h${i}`,
    ip: `${base}.${i + 2}`,
    prefixLen: 24,
    mac: macFor(id, i),
    ip6: `2001:2::${i + 2}`,
  }));
  const natHosts = options.nat
    ? {
        gw: { name: 'gw', netns: `${prefix}-${id}-gw`, netnsPath: `/run/netns/${prefix}-${id}-gw`, ifname: 'eth0', hostIf: `${prefix}${id}g0`, ip: `${base}.1`, prefixLen: 24, mac: macFor(id, 0xfe - 2), ip6: '2001:2::1' },
        remote: { name: 'remote', netns: `${prefix}-${id}-remote`, netnsPath: `/run/netns/${prefix}-${id}-remote`, ifname: 'eth0', hostIf: '', ip: '198.18.200.2', prefixLen: 24, mac: macFor(id, 0xfd - 2), ip6: '2001:2:0:200::2' },
      }
    : undefined;
  const undo: Array<() => Promise<unknown>> = [];
  let destroyed = false;
  const lab: Lab = {
    id,
    bridge,
    hosts,
    host(name) {
      const h = [...hosts, ...(natHosts ? [natHosts.gw, natHosts.remote] : [])].find((x) => x.name === name);
      if (!h) throw new VethcapError('INTERNAL', `no host ${name} in lab ${id}`);
      return h;
    },
    exec(host, file, args, timeoutMs) {
      return run(file, args, { netns: lab.host(host).netnsPath, timeoutMs: timeoutMs ?? 30_000 });
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      const errors: unknown[] = [];
      for (const step of undo.reverse()) await step().catch((e: unknown) => errors.push(e));
      if (errors.length) throw new VethcapError('COMMAND_FAILED', `lab ${id}: ${errors.length} clean-up steps failed: ${String(errors[0])}`, { cause: errors[0] });
    },
  };
  try {
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    undo.push(() => run('ip', ['link', 'del', bridge]));
    // No STP forward delay: ports forward at once.
    await run('ip', ['link', 'set', bridge, 'type', 'bridge', 'forward_delay', '0', 'stp_state', '0']);
    await run('ip', ['link', 'set', bridge, 'up']);
    for (const h of hosts) {
      await run('ip', ['netns', 'add', h.netns]);
      undo.push(() => run('ip', ['netns', 'del', h.netns]));
      await run('ip', ['link', 'add', h.hostIf, 'type', 'veth', 'peer', 'name', h.ifname, 'netns', h.netns]);
      undo.push(() => run('ip', ['link', 'del', h.hostIf]).catch(() => undefined)); // gone with the netns already
      await run('ip', ['link', 'set', h.hostIf, 'master', bridge, 'up']);
      await run('ip', ['link', 'set', h.ifname, 'address', h.mac, 'up'], { netns: h.netnsPath });
      await run('ip', ['link', 'set', 'lo', 'up'], { netns: h.netnsPath });
      await run('ip', ['addr', 'add', `${h.ip}/${h.prefixLen}`, 'dev', h.ifname], { netns: h.netnsPath });
      // No IPv6 DAD delays, no router solicitations drifting into captures.
      await run('sysctl', ['-qw', `net.ipv6.conf.${h.ifname}.accept_dad=0`], { netns: h.netnsPath }).catch(() => undefined);
      await run('ip', ['-6', 'addr', 'add', `${h.ip6}/64`, 'dev', h.ifname, 'nodad'], { netns: h.netnsPath });
    }
    if (natHosts) {
      lab.nat = { ...natHosts, gwOutsideIp: '198.18.200.1' };
      await buildNat(lab, natHosts.gw, natHosts.remote, undo);
    }
    if (options.acceptForwarding ?? true) await allowBridgeForwarding(bridge, undo);
    return lab;
  } catch (error) {
    await lab.destroy().catch(() => undefined);
    throw error;
  }
}

async function buildNat(lab: Lab, gw: LabHost, remote: LabHost, undo: Array<() => Promise<unknown>>): Promise<void> {
  const inGw = { netns: gw.netnsPath };
  const inRemote = { netns: remote.netnsPath };
  for (const ns of [gw, remote]) {
    await run('ip', ['netns', 'add', ns.netns]);
    undo.push(() => run('ip', ['netns', 'del', ns.netns]));
    await run('ip', ['link', 'set', 'lo', 'up'], { netns: ns.netnsPath });
  }
  await run('ip', ['link', 'add', gw.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', gw.netns]);
  await run('ip', ['link', 'set', gw.hostIf, 'master', lab.bridge, 'up']);
  await run('ip', ['link', 'set', 'eth0', 'address', gw.mac, 'up'], inGw);
  await run('ip', ['addr', 'add', `${gw.ip}/24`, 'dev', 'eth0'], inGw);
  // gw:eth1 <-> remote:eth0, a link that never touches the host namespace.
  await run('ip', ['link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', remote.netns], inGw);
  await run('ip', ['link', 'set', 'eth1', 'up'], inGw);
  await run('ip', ['addr', 'add', '198.18.200.1/24', 'dev', 'eth1'], inGw);
  await run('ip', ['link', 'set', 'eth0', 'address', remote.mac, 'up'], inRemote);
  await run('ip', ['addr', 'add', `${remote.ip}/24`, 'dev', 'eth0'], inRemote);
  await run('sysctl', ['-qw', 'net.ipv4.ip_forward=1'], inGw);
  await run('nft', ['add table ip vethcaplab; add chain ip vethcaplab post { type nat hook postrouting priority 100 ; } ; add rule ip vethcaplab post oifname "eth1" masquerade fully-random'], inGw);
  for (const h of lab.hosts) await run('ip', ['route', 'add', 'default', 'via', gw.ip], { netns: h.netnsPath });
}

/**
 * With br_netfilter loaded (Docker loads it), bridged frames pass iptables FORWARD,
 * whose policy Docker sets to DROP. Accept our own bridge's traffic there, only ours,
 * and remove the rule afterwards; the global sysctl and policy are never touched. The
 * rule goes in wherever iptables is, br_netfilter on or not yet: a Docker engine started
 * while the lab stands (it loads br_netfilter then) would otherwise cut it off midway.
 */
async function allowBridgeForwarding(bridge: string, undo: Array<() => Promise<unknown>>): Promise<void> {
  for (const bin of ['iptables', 'ip6tables']) {
    if (!(await findOnPath(bin))) continue;
    const rule = ['FORWARD', '-i', bridge, '-o', bridge, '-j', 'ACCEPT', '-m', 'comment', '--comment', `vethcap lab ${bridge}`];
    await run(bin, ['-w', '-I', ...rule]);
    undo.push(() => run(bin, ['-w', '-D', ...rule]));
  }
}
