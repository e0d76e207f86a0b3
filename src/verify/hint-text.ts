import type { HintFinding } from './hint-findings.js';

/**
 * The words of `vethcap verify`'s hints: one sentence per finding, with the command that
 * shows (or, for a port disabled by hand, undoes) what it names. Pure, and the only place
 * hints are worded: the text output prints these after `hint:`, and `verify --json` keeps
 * them as `hints` beside `findings`. Nothing decides on them.
 */
export function hintText(f: HintFinding): string {
  const inside = (inNamespace: boolean) => (inNamespace ? ' inside its namespace' : '');
  switch (f.code) {
    case 'LINK_DOWN':
      return `link ${f.point} is down (administratively): nothing crosses it until it is up again (ip link set ${f.interface} up${inside(f.inNamespace)}).`;
    case 'NO_CARRIER':
      return `link ${f.point} has no carrier (operstate ${f.operstate}): the other end of its veth pair is down.`;
    case 'PORT_STATE':
      return `bridge port ${f.port} of ${f.bridge} is in state ${f.state}, not forwarding: the bridge sends nothing through it (see bridge link show dev ${f.port}; a port disabled by hand comes back with bridge link set dev ${f.port} state 3).`;
    case 'MTU':
      return `${f.point} has MTU ${f.mtu}, smaller than the ${f.packetBytes}-byte probes: a frame larger than the receiving interface's MTU is dropped (veth and bridge do not fragment).`;
    case 'MTU_MISMATCH':
      return `MTU mismatch along the path: ${f.mtus.map((m) => `${m.point} ${m.mtu}`).join(', ')}.`;
    case 'QDISC_DROPS':
      return `the ${f.qdisc} qdisc on ${f.point}${f.lossPercent !== null ? ` (loss ${f.lossPercent}%)` : ''} dropped ${f.delta} packets during the run, on that interface's egress (tc -s qdisc show dev ${f.interface}${inside(f.inNamespace)}).`;
    case 'IP_FORWARD_OFF':
      return `${f.sysctl} = ${f.value}: the host does not route ${f.sysctl === 'net.ipv4.ip_forward' ? 'at all' : 'what comes in on that bridge'}, so packets between ${f.fromBridge} and ${f.toBridge} are dropped (sysctl -w ${f.sysctl}=1 turns forwarding on).`;
    case 'NO_ROUTE': {
      const why = { 'network-unreachable': 'it has no route to', 'host-unreachable': 'its route marks unreachable (or prohibited)', invalid: 'its route drops (blackhole)', prohibited: 'it is forbidden to route', other: 'it refuses to route' }[f.answer];
      const counted = f.delta ? ` (its no-route counter grew by ${f.delta} during the run)` : '';
      return `the host does not route ${f.sourceIp} → ${f.destinationIp} coming in on ${f.fromBridge}: ${why} ${f.destinationIp}${counted} (ip route get ${f.destinationIp} from ${f.sourceIp} iif ${f.fromBridge}).`;
    }
    case 'ROUTE_ELSEWHERE':
      return `the host routes ${f.sourceIp} → ${f.destinationIp} out of ${f.interface}, not ${f.expectedInterface} where the destination is: a more specific route or a policy rule takes it elsewhere (ip route get ${f.destinationIp} from ${f.sourceIp} iif ${f.fromBridge}; ip rule).`;
    case 'RP_FILTER': {
      const counted = f.delta ? `, and dropped ${f.delta} packets during the run` : '';
      return `reverse-path filtering (${f.sysctl} = ${f.value}, ${f.value === '1' ? 'strict' : 'loose'}) refuses ${f.sourceIp} → ${f.destinationIp} coming in on ${f.fromBridge}: the host's route back to ${f.sourceIp} is not through ${f.fromBridge}${counted} (ip route get ${f.sourceIp}; nstat -az TcpExtIPReversePathFilter).`;
    }
    case 'NEIGH_FAILED':
      return `the host's neighbour entry for ${f.ip} on ${f.bridge} is ${f.states.join(', ')}: it asked for ${f.ip}'s MAC (ARP) and got no answer, so it dropped what it routed there (ip neigh show to ${f.ip} dev ${f.bridge}).`;
    case 'DOCKER_ISOLATION':
      return `Docker's network isolation dropped ${f.delta} packets from ${f.fromBridge} to ${f.toBridge} during the run, in its chain ${f.chain} (${f.rule}; iptables -t ${f.table} -L ${f.chain} -v -n shows the counters): containers on different Docker networks may not talk. Connect both containers to one network (docker network connect), or allow this pair: iptables -I DOCKER-USER -s ${f.sourceIp} -d ${f.destinationIp} -j ACCEPT and iptables -I DOCKER-USER -s ${f.destinationIp} -d ${f.sourceIp} -j ACCEPT.`;
    case 'FORWARD_POLICY_DROP':
      return `iptables ${f.chain} policy is ${f.policy} and counted ${f.delta} packets during the run (any interface's): no rule accepts the traffic the host routes from ${f.fromBridge} to ${f.toBridge}; an explicit pair lets it through, e.g. iptables -I DOCKER-USER -i ${f.fromBridge} -o ${f.toBridge} -j ACCEPT and iptables -I DOCKER-USER -i ${f.toBridge} -o ${f.fromBridge} -j ACCEPT.`;
    case 'NFT_DROP':
      return `nftables rule in ${f.family} ${f.table} chain ${f.chain} matched ${f.delta} packets during the run: ${f.rule}`;
    case 'IPTABLES_DROP':
      return `iptables rule matched ${f.delta} packets during the run: iptables ${f.rule}`;
    case 'BR_NETFILTER': {
      const counted = f.delta > 0 ? ` (it counted ${f.delta} packets during the run)` : '';
      const accepted = f.acceptRule ? `; a rule there accepts some of ${f.bridge}'s traffic, and the rest falls to the policy` : `, and no rule there accepts ${f.bridge}'s traffic`;
      return `${f.sysctl} = ${f.value} (br_netfilter, which Docker loads): frames the bridge ${f.bridge} forwards pass iptables ${f.chain}, whose policy is ${f.policy}${counted}${accepted}. A bridge Docker does not manage stops forwarding once Docker runs; an explicit rule lets it through, e.g. iptables -I DOCKER-USER -i ${f.bridge} -o ${f.bridge} -j ACCEPT.`;
    }
    case 'FDB_MISSING':
      return `the bridge ${f.bridge} has no FDB entry for ${f.mac}: frames to it are flooded to every port (unknown unicast); if they still do not arrive, the port or a filter drops them.`;
    case 'FDB_STALE':
      return `stale FDB entry: the bridge ${f.bridge} sends ${f.mac} to ${f.ports.join(', ')}, not to ${f.expectedPort} where it lives now (bridge fdb show br ${f.bridge}).`;
    case 'ARP_UNANSWERED':
      return `unanswered ARP: ${f.requests} ARP requests for the destination got no reply${f.lostOnPath ? ' (they were lost on the way, above)' : ''}.`;
    case 'NOT_CHECKED':
      return `not checked (tool missing or failed): ${f.readers.join(', ')}.`;
  }
}
