#!/usr/bin/env node
// Records the capture fixtures in fixtures/sessions/: real tcpdump captures (nanosecond
// pcap) at every point of a lab, one folder per scenario, each with a manifest.json that
// names the points in path order. Needs root, tcpdump, iproute2, nft, and a build
// (npm run build). Everything it creates is removed on exit, even on failure.
//
//   sudo node scripts/record-fixtures.mjs [scenario...]
//
// Lab: box (198.19.0.2) and web (198.19.0.3) on a bridge; gw (198.19.0.1) on the same
// bridge routes and masquerades (fully random ports) to remote (198.18.200.2) on a link
// that never touches the host.
import { createWriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab } from '../dist/lab/lab.js';
import { TcpdumpProcess } from '../dist/capture/tcpdump.js';
import { run } from '../dist/exec/run.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sessions');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs a small node program inside a namespace (node is the one tool every machine here has). */
const nodeIn = (lab, host, code, timeoutMs = 10_000) => lab.exec(host, process.execPath, ['-e', code], timeoutMs);

const scenarios = {
  icmp: {
    description: 'box pings web three times across the bridge',
    filter: 'icmp',
    async traffic(lab) {
      await lab.exec('box', 'ping', ['-c', '3', '-i', '0.2', '-W', '1', lab.host('web').ip]);
    },
  },
  udp: {
    description: 'box sends three UDP datagrams to web:9999, where nothing listens: web answers ICMP port unreachable',
    filter: 'udp or icmp',
    async traffic(lab) {
      await nodeIn(lab, 'box', `const s=require('dgram').createSocket('udp4');let n=0;const t=setInterval(()=>{s.send('vethcap udp '+n,9999,'${lab.host('web').ip}');if(++n===3){clearInterval(t);setTimeout(()=>s.close(),200)}},100)`);
    },
  },
  tcp: {
    description: 'box opens a TCP connection to web:8080, sends a line, reads the answer, both close: handshake, data, teardown',
    filter: 'tcp',
    async traffic(lab) {
      const server = nodeIn(lab, 'web', `const srv=require('net').createServer(c=>{c.on('data',()=>{c.end('ok\\n')});c.on('close',()=>srv.close())}).listen(8080,'${lab.host('web').ip}')`);
      await sleep(500);
      await nodeIn(lab, 'box', `const c=require('net').connect(8080,'${lab.host('web').ip}',()=>c.write('hello\\n'));c.on('data',()=>c.end())`);
      await server;
    },
  },
  arp: {
    description: 'box forgets its neighbours and pings web once: an ARP request flooded to every bridge port, the reply, the ping',
    filter: 'arp or icmp',
    async traffic(lab) {
      await lab.exec('box', 'ping', ['-c', '1', '-W', '1', lab.host('web').ip]);
    },
    async before(lab) {
      for (const h of ['box', 'web', 'gw']) await lab.exec(h, 'ip', ['neigh', 'flush', 'all']);
    },
  },
  'ipv6-nd': {
    description: 'box forgets its IPv6 neighbours and pings web over IPv6 once: neighbour solicitation (multicast), advertisement, echo',
    filter: 'icmp6 and not ip6[40] == 133 and not ip6[40] == 143',
    async traffic(lab) {
      await lab.exec('box', 'ping', ['-6', '-c', '1', '-W', '1', lab.host('web').ip6]);
    },
    async before(lab) {
      for (const h of ['box', 'web']) await lab.exec(h, 'ip', ['-6', 'neigh', 'flush', 'all']);
    },
  },
  nat: {
    description: 'box pings remote (198.18.200.2) twice and opens a TCP connection to it, through gw, which routes and masquerades with random ports',
    filter: 'icmp or tcp',
    async traffic(lab) {
      await lab.exec('box', 'ping', ['-c', '2', '-i', '0.2', '-W', '1', '198.18.200.2']);
      const server = nodeIn(lab, 'remote', `const srv=require('net').createServer(c=>{c.on('data',()=>{c.end('ok\\n')});c.on('close',()=>srv.close())}).listen(8080,'198.18.200.2')`);
      await sleep(500);
      await nodeIn(lab, 'box', `const c=require('net').connect(8080,'198.18.200.2',()=>c.write('hello\\n'));c.on('data',()=>c.end())`);
      await server;
    },
  },
};

/** The capture points of the NAT lab, in path order for traffic leaving box. */
function labPoints(lab) {
  const box = lab.host('box');
  const web = lab.host('web');
  const { gw, remote } = lab.nat;
  const br = `host:${lab.bridge}`;
  const nsEnd = (h, ifname, peer, mac, description) => ({ label: `${h.name}:${ifname}`, description, role: 'namespace-end', ifname, owner: h.name, endpointMac: mac, ...(peer ? { peer } : {}), netnsPath: h.netnsPath });
  const hostEnd = (h) => ({ label: `host:${h.hostIf}`, description: `host end of ${h.name}:eth0, port of bridge ${lab.bridge}`, role: 'host-veth', ifname: h.hostIf, owner: h.name, endpointMac: h.mac, peer: `${h.name}:eth0`, bridge: br });
  return [
    nsEnd(box, 'eth0', `host:${box.hostIf}`, box.mac, `box end of the veth pair eth0 ⇄ ${box.hostIf}`),
    hostEnd(box),
    { label: br, description: `bridge device ${lab.bridge} (promiscuous copy of what it forwards)`, role: 'bridge', ifname: lab.bridge },
    hostEnd(web),
    nsEnd(web, 'eth0', `host:${web.hostIf}`, web.mac, `web end of the veth pair eth0 ⇄ ${web.hostIf}`),
    hostEnd(gw),
    nsEnd(gw, 'eth0', `host:${gw.hostIf}`, gw.mac, `gw end of the veth pair eth0 ⇄ ${gw.hostIf} (the router's inside)`),
    nsEnd(gw, 'eth1', undefined, undefined, "gw's outside interface, towards remote (masquerading)"),
    nsEnd(remote, 'eth0', undefined, remote.mac, 'remote end of the link from gw'),
  ];
}

async function record(name, scenario) {
  const lab = await createLab({ hosts: ['box', 'web'], nat: true, id: 'f1f1f1', prefix: 'vf' });
  const dir = join(root, name);
  const procs = [];
  try {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    if (scenario.before) await scenario.before(lab);
    const points = labPoints(lab);
    const files = points.map((p) => `${p.label.replace(/[^\w.-]+/g, '_')}.pcap`);
    const done = [];
    for (const [i, p] of points.entries()) {
      const proc = new TcpdumpProcess({ label: p.label, ifname: p.ifname, netns: p.netnsPath, filter: scenario.filter });
      const out = createWriteStream(join(dir, files[i]));
      proc.stdout.pipe(out);
      done.push(new Promise((r) => out.on('close', r)));
      procs.push(proc);
    }
    await Promise.all(procs.map((p) => p.armed));
    await scenario.traffic(lab);
    await sleep(300);
    const stats = await Promise.all(procs.map((p) => p.stop()));
    await Promise.all(done);
    const manifest = {
      vethcap: 1,
      description: `${scenario.description}. Filter: ${scenario.filter}. Recorded by scripts/record-fixtures.mjs.`,
      points: points.map(({ netnsPath, ...p }, i) => ({ ...p, filter: scenario.filter, snaplen: 262144, linkType: 1, file: files[i], stats: stats[i] && { captured: stats[i].captured, droppedByKernel: stats[i].droppedByKernel } })),
    };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    console.log(`${name}: ${points.map((p, i) => `${p.label}=${stats[i]?.captured ?? '?'}`).join(' ')}`);
  } finally {
    await Promise.all(procs.map((p) => p.stop().catch(() => undefined)));
    await lab.destroy();
  }
}

const wanted = process.argv.slice(2);
for (const [name, scenario] of Object.entries(scenarios)) {
  if (wanted.length && !wanted.includes(name)) continue;
  await record(name, scenario);
}
await run('true', []);
