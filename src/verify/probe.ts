import type { ProbeKind } from './verdict.js';

/**
 * The probe commands `vethcap verify` runs inside the source namespace (nsenter --net
 * gives them the host's binaries): ping from iputils for ICMP (and `-M do` with a size,
 * so an MTU problem is not hidden by fragmentation), and Node itself for UDP, TCP and
 * ARP, because node is on every machine vethcap runs on and nc or arping often are not.
 */

export interface ProbeSpec {
  kind: ProbeKind;
  dst: string;
  count: number;
  /** ICMP/UDP payload bytes; undefined for the default (56 for ICMP, 32 for UDP). */
  size?: number;
  /** Seconds to wait for each answer. */
  timeoutS: number;
  /** Seconds between probes. */
  intervalS: number;
  /** UDP/TCP destination port. */
  port: number;
  /** The source's interface (ARP probes flush its neighbour entry for dst). */
  ifname: string;
}

/** Size of one probe as an IP packet, for MTU hints; null for ARP. */
export function probeIpBytes(spec: ProbeSpec): number | null {
  switch (spec.kind) {
    case 'icmp':
      return 28 + (spec.size ?? 56);
    case 'udp':
      return 28 + (spec.size ?? 32);
    case 'tcp':
      return 60;
    case 'arp':
      return null;
  }
}

const UDP_SCRIPT = `
const dgram = require('node:dgram');
const [dst, port, count, size, interval, timeout] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
s.on('error', (e) => console.error('udp probe:', e.message));
s.on('message', (m) => console.error('answer of', m.length, 'bytes'));
let i = 0;
const next = () => {
  if (i >= Number(count)) { setTimeout(() => { s.close(); }, Number(timeout) * 1000); return; }
  const payload = Buffer.alloc(Number(size), 0x76);
  payload.write('vethcap verify ' + i, 0);
  s.send(payload, (e) => { if (e) console.error('udp probe', i, e.message); });
  i++;
  setTimeout(next, Number(interval) * 1000);
};
s.connect(Number(port), dst, next);
`;

const TCP_SCRIPT = `
const net = require('node:net');
const [dst, port, count, interval, timeout] = process.argv.slice(1);
let i = 0;
const next = () => {
  if (i >= Number(count)) return;
  const n = i++;
  const c = net.connect({ host: dst, port: Number(port), timeout: Number(timeout) * 1000 });
  c.on('connect', () => { console.error('tcp probe', n, 'connected'); c.destroy(); });
  c.on('timeout', () => { console.error('tcp probe', n, 'timed out'); c.destroy(); });
  c.on('error', (e) => console.error('tcp probe', n, e.code || e.message));
  setTimeout(next, Number(interval) * 1000);
};
next();
`;

const ARP_SCRIPT = `
const { execFileSync } = require('node:child_process');
const [dst, ifname, count, interval, timeout] = process.argv.slice(1);
const sleep = (s) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, s * 1000);
for (let i = 0; i < Number(count); i++) {
  try { execFileSync('ip', ['neigh', 'flush', 'to', dst, 'dev', ifname], { stdio: 'ignore' }); } catch {}
  try { execFileSync('ping', ['-n', '-c', '1', '-W', String(timeout), dst], { stdio: 'ignore' }); } catch { console.error('arp probe', i, 'unanswered'); }
  if (i + 1 < Number(count)) sleep(Number(interval));
}
`;

/** The argv to run inside the source namespace. */
export function probeCommand(spec: ProbeSpec): string[] {
  const node = process.execPath;
  switch (spec.kind) {
    case 'icmp': {
      const args = ['ping', '-n', '-c', String(spec.count), '-i', String(spec.intervalS), '-W', String(spec.timeoutS)];
      if (spec.size !== undefined) args.push('-s', String(spec.size), '-M', 'do');
      return [...args, spec.dst];
    }
    case 'udp':
      return [node, '-e', UDP_SCRIPT, spec.dst, String(spec.port), String(spec.count), String(spec.size ?? 32), String(spec.intervalS), String(spec.timeoutS)];
    case 'tcp':
      return [node, '-e', TCP_SCRIPT, spec.dst, String(spec.port), String(spec.count), String(spec.intervalS), String(spec.timeoutS)];
    case 'arp':
      return [node, '-e', ARP_SCRIPT, spec.dst, spec.ifname, String(spec.count), String(spec.intervalS), String(spec.timeoutS)];
  }
}

/** Upper bound on how long the probe command should take (ms), before it is stopped. */
export function probeDeadlineMs(spec: ProbeSpec): number {
  return Math.ceil((spec.count * (spec.intervalS + (spec.kind === 'arp' ? spec.timeoutS : 0)) + spec.timeoutS) * 1000) + 5_000;
}
