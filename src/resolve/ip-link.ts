import { VethcapError } from '../errors.js';

/** One interface as `ip -j -d addr` reports it, reduced to what vethcap uses. */
export interface LinkInfo {
  ifindex: number;
  name: string;
  /** iflink: for a veth, the peer's ifindex (in the peer's namespace). */
  linkIndex?: number;
  /** The peer's name, which ip gives instead of link_index when the peer is in the same namespace. */
  linkName?: string;
  /** Present when the peer lives in another namespace: that namespace's id as seen from here. */
  linkNetnsid?: number;
  /** linkinfo.info_kind: veth, bridge, macvlan, ipvlan, vxlan, ...; undefined for plain devices. */
  kind?: string;
  /** The bridge (or bond) this interface is enslaved to. */
  master?: string;
  /** linkinfo.info_slave_kind, e.g. "bridge". */
  slaveKind?: string;
  /** Bridge port state (forwarding, blocking, disabled, listening, learning). */
  portState?: string;
  mac?: string;
  mtu: number;
  operstate: string;
  flags: string[];
  /** Addresses with prefix length, e.g. 198.18.0.2/24, fe80::1/64. */
  addresses: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Parses the JSON printed by `ip -j -d addr` (or `ip -j -d link`). Pure. */
export function parseIpLinks(text: string, source = 'ip -j -d addr'): LinkInfo[] {
  let data: unknown;
  try {
    data = JSON.parse(text.trim() === '' ? '[]' : text);
  } catch (error) {
    throw new VethcapError('COMMAND_FAILED', `${source} printed output vethcap cannot parse as JSON.`, {
      cause: error,
      hint: 'vethcap needs iproute2 with JSON support (ip -j), version 4.14 or later.',
    });
  }
  if (!Array.isArray(data)) {
    throw new VethcapError('COMMAND_FAILED', `${source} printed JSON that is not a list of interfaces.`);
  }
  const links: LinkInfo[] = [];
  for (const entry of data) {
    if (!isObject(entry)) continue;
    const ifindex = num(entry.ifindex);
    const name = str(entry.ifname);
    if (ifindex === undefined || name === undefined) continue;
    const linkinfo = isObject(entry.linkinfo) ? entry.linkinfo : {};
    const slaveData = isObject(linkinfo.info_slave_data) ? linkinfo.info_slave_data : {};
    const addrInfo = Array.isArray(entry.addr_info) ? entry.addr_info : [];
    const addresses: string[] = [];
    for (const a of addrInfo) {
      if (!isObject(a)) continue;
      const local = str(a.local);
      const prefix = num(a.prefixlen);
      if (local !== undefined) addresses.push(prefix === undefined ? local : `${local}/${prefix}`);
    }
    const link: LinkInfo = {
      ifindex,
      name,
      mtu: num(entry.mtu) ?? 0,
      operstate: str(entry.operstate) ?? 'UNKNOWN',
      flags: Array.isArray(entry.flags) ? entry.flags.filter((f): f is string => typeof f === 'string') : [],
      addresses,
    };
    const linkIndex = num(entry.link_index);
    if (linkIndex !== undefined) link.linkIndex = linkIndex;
    const linkName = str(entry.link);
    if (linkName !== undefined) link.linkName = linkName;
    const nsid = num(entry.link_netnsid);
    if (nsid !== undefined) link.linkNetnsid = nsid;
    const kind = str(linkinfo.info_kind);
    if (kind !== undefined) link.kind = kind;
    const master = str(entry.master);
    if (master !== undefined) link.master = master;
    const slaveKind = str(linkinfo.info_slave_kind);
    if (slaveKind !== undefined) link.slaveKind = slaveKind;
    const state = str(slaveData.state);
    if (state !== undefined) link.portState = state;
    const mac = str(entry.address);
    if (mac !== undefined && str(entry.link_type) !== 'loopback') link.mac = mac.toLowerCase();
    links.push(link);
  }
  return links;
}
