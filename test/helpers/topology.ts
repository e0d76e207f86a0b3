import type { CapturePoint, Topology } from '../../src/model/topology.js';

export const MAC = {
  box: '02:42:c6:12:00:02',
  web: '02:42:c6:12:00:03',
  db: '02:42:c6:12:00:04',
  gateway: '02:42:5e:7a:10:01', // docker0's own MAC
  uplink: '52:54:00:aa:00:01', // host:eth1
  nextHop: '52:54:00:aa:00:fe',
} as const;

export const IP = {
  box: '198.18.0.2',
  web: '198.18.0.3',
  db: '198.18.0.4',
  gateway: '198.18.0.1',
  uplink: '198.19.0.1',
  remote: '198.19.0.10',
} as const;

function container(name: string, mac: string, veth: string): CapturePoint[] {
  return [
    { label: `${name}:eth0`, description: `${name} eth0`, role: 'namespace-end', ifname: 'eth0', owner: name, endpointMac: mac, peer: `host:${veth}` },
    { label: `host:${veth}`, description: `host end of ${name}'s veth`, role: 'host-veth', ifname: veth, owner: name, endpointMac: mac, peer: `${name}:eth0`, bridge: 'host:docker0' },
  ];
}

const BRIDGE: CapturePoint = { label: 'host:docker0', description: 'bridge docker0', role: 'bridge', ifname: 'docker0' };

/**
 * The five points of the design's scenario: 0 box:eth0, 1 host:vethA (bridge port),
 * 2 host:docker0 (bridge), 3 host:vethB, 4 web:eth0.
 */
export function fivePoints(): Topology {
  const [boxNs, boxVeth] = container('box', MAC.box, 'vethA') as [CapturePoint, CapturePoint];
  const [webNs, webVeth] = container('web', MAC.web, 'vethB') as [CapturePoint, CapturePoint];
  return { points: [boxNs, boxVeth, BRIDGE, webVeth, webNs] };
}

/** The five points plus 5 host:vethC and 6 db:eth0 (a third container on docker0). */
export function sevenPoints(): Topology {
  return { points: [...fivePoints().points, ...container('db', MAC.db, 'vethC').reverse()] };
}

/** The five points plus 5 host:eth1, the uplink a route lookup picks for 198.19.0.0/16. */
export function withUplink(): Topology {
  return {
    points: [...fivePoints().points, { label: 'host:eth1', description: 'uplink', role: 'uplink', ifname: 'eth1' }],
  };
}

/** Two bridges the host routes between, as two Docker networks on one host. */
export const ROUTED = {
  boxMac: MAC.box,
  webMac: '02:42:c6:12:01:03',
  gw0Mac: '02:42:5e:7a:10:01', // br0's own MAC: box's gateway
  gw1Mac: '02:42:5e:7a:11:01', // br1's own MAC: web's gateway
  box: '198.18.0.2',
  web: '198.18.1.3',
  elsewhere: '198.19.255.1', // routed by the host, to no traced target
} as const;

/**
 * box on bridge br0 (198.18.0.0/24), web on bridge br1 (198.18.1.0/24), the host routing
 * between them: 0 box:eth0, 1 host:vethA, 2 host:br0, 3 host:br1, 4 host:vethB, 5 web:eth0.
 */
/** box and web as a routed CNI (Calico) wires them: host veths vethA and vethB that are no bridge's ports, the host routing between them. */
export function routedCni(): Topology {
  const [boxNs, boxVeth] = container('box', ROUTED.boxMac, 'vethA') as [CapturePoint, CapturePoint];
  const [webNs, webVeth] = container('web', ROUTED.webMac, 'vethB') as [CapturePoint, CapturePoint];
  const unbridged = ({ bridge: _bridge, ...veth }: CapturePoint): CapturePoint => veth;
  return {
    points: [
      { ...boxNs, addresses: [`${ROUTED.box}/32`] },
      unbridged(boxVeth),
      unbridged(webVeth),
      { ...webNs, addresses: [`${ROUTED.web}/32`] },
    ],
  };
}

export function twoBridges(): Topology {
  const [boxNs, boxVeth] = container('box', ROUTED.boxMac, 'vethA') as [CapturePoint, CapturePoint];
  const [webNs, webVeth] = container('web', ROUTED.webMac, 'vethB') as [CapturePoint, CapturePoint];
  return {
    points: [
      { ...boxNs, addresses: [`${ROUTED.box}/24`] },
      { ...boxVeth, bridge: 'host:br0' },
      { label: 'host:br0', description: 'bridge br0', role: 'bridge', ifname: 'br0' },
      { label: 'host:br1', description: 'bridge br1', role: 'bridge', ifname: 'br1' },
      { ...webVeth, bridge: 'host:br1' },
      { ...webNs, addresses: [`${ROUTED.web}/24`, 'fd00:1::3/64'] },
    ],
  };
}
