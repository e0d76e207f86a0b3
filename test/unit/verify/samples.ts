import type { HintCode, HintFinding } from '../../../src/verify/hint-findings.js';
import type { LossCause, LossCauseCode, ProblemCode, VerdictProblem } from '../../../src/verify/verdict-findings.js';
import { IP } from '../../helpers/topology.js';

/** One finding, loss cause and problem of each code, every field set: for the renderers' and the docs' tests. */

export const HINTS: { [C in HintCode]: Extract<HintFinding, { code: C }> } = {
  LINK_DOWN: { code: 'LINK_DOWN', point: 'host:vB', interface: 'vB', inNamespace: false },
  NO_CARRIER: { code: 'NO_CARRIER', point: 'web:eth0', interface: 'eth0', inNamespace: true, operstate: 'LOWERLAYERDOWN' },
  PORT_STATE: { code: 'PORT_STATE', bridge: 'br0', port: 'vB', state: 'blocking' },
  MTU: { code: 'MTU', point: 'web:eth0', interface: 'eth0', inNamespace: true, mtu: 1000, packetBytes: 1428 },
  MTU_MISMATCH: { code: 'MTU_MISMATCH', mtus: [{ point: 'box:eth0', interface: 'eth0', mtu: 1500 }, { point: 'web:eth0', interface: 'eth0', mtu: 9000 }] },
  QDISC_DROPS: { code: 'QDISC_DROPS', point: 'host:vB', interface: 'vB', inNamespace: false, qdisc: 'netem', delta: 7, lossPercent: 30 },
  IP_FORWARD_OFF: { code: 'IP_FORWARD_OFF', sysctl: 'net.ipv4.ip_forward', value: '0', fromBridge: 'br-a', toBridge: 'br-b' },
  NO_ROUTE: { code: 'NO_ROUTE', fromBridge: 'br-a', sourceIp: '198.19.1.2', destinationIp: '198.19.2.2', answer: 'network-unreachable', delta: 2 },
  ROUTE_ELSEWHERE: { code: 'ROUTE_ELSEWHERE', fromBridge: 'br-a', sourceIp: '198.19.1.2', destinationIp: '198.19.2.2', interface: 'eth1', expectedInterface: 'br-b' },
  RP_FILTER: { code: 'RP_FILTER', fromBridge: 'br-a', sourceIp: '198.19.1.2', destinationIp: '198.19.2.2', sysctl: 'net.ipv4.conf.all.rp_filter', value: '1', delta: 2 },
  NEIGH_FAILED: { code: 'NEIGH_FAILED', bridge: 'br-b', ip: '198.19.2.2', states: ['FAILED'] },
  DOCKER_ISOLATION: {
    code: 'DOCKER_ISOLATION',
    table: 'filter',
    chain: 'DOCKER-ISOLATION-STAGE-2',
    rule: '-A DOCKER-ISOLATION-STAGE-2 -o br-b -j DROP',
    delta: 3,
    fromBridge: 'br-a',
    toBridge: 'br-b',
    sourceIp: '198.19.86.2',
    destinationIp: '198.19.87.2',
  },
  FORWARD_POLICY_DROP: { code: 'FORWARD_POLICY_DROP', chain: 'FORWARD', policy: 'DROP', delta: 6, fromBridge: 'br-a', toBridge: 'br-b' },
  NFT_DROP: { code: 'NFT_DROP', family: 'bridge', table: 'vf1', chain: 'fwd', handle: 2, rule: 'ether daddr 02:00:00:00:00:03 counter drop', delta: 3 },
  IPTABLES_DROP: { code: 'IPTABLES_DROP', table: 'filter', chain: 'DOCKER-USER', rule: '-A DOCKER-USER -i br0 -j DROP', delta: 4 },
  BR_NETFILTER: { code: 'BR_NETFILTER', sysctl: 'net.bridge.bridge-nf-call-iptables', value: '1', bridge: 'br0', chain: 'FORWARD', policy: 'DROP', delta: 5, acceptRule: false },
  FDB_MISSING: { code: 'FDB_MISSING', bridge: 'br0', mac: '02:00:00:00:00:03' },
  FDB_STALE: { code: 'FDB_STALE', bridge: 'br0', mac: '02:00:00:00:00:03', ports: ['vA', 'vC'], expectedPort: 'vB' },
  ARP_UNANSWERED: { code: 'ARP_UNANSWERED', requests: 6, lostOnPath: true },
  NOT_CHECKED: { code: 'NOT_CHECKED', readers: ['nft', 'tc web:eth0'] },
};

export const CAUSES: { [C in LossCauseCode]: Extract<LossCause, { code: C }> } = {
  NEVER_APPEARED: { code: 'NEVER_APPEARED', point: 'box:eth0' },
  NOT_SEEN_AGAIN: { code: 'NOT_SEEN_AGAIN', point: 'host:vB' },
  BRIDGE_DID_NOT_FORWARD: { code: 'BRIDGE_DID_NOT_FORWARD', bridge: 'br0' },
  HOST_DID_NOT_PASS: { code: 'HOST_DID_NOT_PASS', fromInterface: 'vA', toInterface: 'vB' },
  VETH_DID_NOT_CARRY: { code: 'VETH_DID_NOT_CARRY', namespaceEnd: 'web:eth0', hostInterface: 'vB' },
  LOST_BETWEEN: { code: 'LOST_BETWEEN', after: 'host:vA', before: 'web:eth0' },
  LINK_DOWN: { code: 'LINK_DOWN', point: 'host:vB' },
  QDISC_DROPS: { code: 'QDISC_DROPS', point: 'host:vB', qdisc: 'pfifo' },
};

export const PROBLEMS: { [C in ProblemCode]: Extract<VerdictProblem, { code: C }> } = {
  ARP_UNRESOLVED: { code: 'ARP_UNRESOLVED', source: 'box', ip: IP.web, missing: 2, sent: 5, arpLost: false },
  NO_ARP_ANSWER: { code: 'NO_ARP_ANSWER', destination: 'web', ip: IP.web, reached: 'web:eth0' },
  NO_ANSWER: { code: 'NO_ANSWER', destination: 'web', delivered: 4, reached: 'web:eth0' },
};
