import type { LinkState, QdiscState } from './host-state.js';

/**
 * iproute2's JSON (`ip -j -d link`, `tc -s -j qdisc`, `bridge -j link`, `bridge -j fdb`),
 * read for verify's hints. Pure: the tools' stdout in, the fields the hints use out.
 */

interface IpLink {
  ifname: string;
  mtu: number;
  flags?: string[];
  operstate?: string;
}

interface TcQdisc {
  kind: string;
  drops?: number;
  options?: Record<string, unknown>;
}

interface BridgePort {
  ifname: string;
  master?: string;
  state?: string;
}

interface FdbEntry {
  mac: string;
  ifname: string;
  flags?: string[];
}

/** Empty output (no such entries) is an empty list, as iproute2 prints nothing then. */
function parseList<T>(json: string): T[] {
  return json.trim() === '' ? [] : (JSON.parse(json) as T[]);
}

/** The one link of `ip -j -d link show dev X`; null when it printed none. */
export function parseIpLink(json: string): LinkState | null {
  const l = parseList<IpLink>(json)[0];
  if (!l) return null;
  const flags = l.flags ?? [];
  return { mtu: l.mtu, up: flags.includes('UP'), operstate: l.operstate ?? 'UNKNOWN', noCarrier: flags.includes('NO-CARRIER') };
}

/** `tc -s -j qdisc show dev X`: each qdisc's kind, drops, and netem's loss. */
export function parseTcQdiscs(json: string): QdiscState[] {
  return parseList<TcQdisc>(json).map((q) => ({ kind: q.kind, drops: q.drops ?? 0, lossPercent: netemLoss(q) }));
}

/** tc prints netem's loss as a fraction (1 = 100%), under `loss-random` or, in older versions, `loss`. */
function netemLoss(q: TcQdisc): number | null {
  if (q.kind !== 'netem' || !q.options) return null;
  const loss = (q.options['loss-random'] as { loss?: number } | undefined)?.loss ?? (q.options.loss as number | undefined);
  return typeof loss === 'number' ? Math.round(loss * 1000) / 10 : null;
}

/** `bridge -j link show`: the STP state of each port of `bridge`, by port name. */
export function parseBridgePorts(json: string, bridge: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of parseList<BridgePort>(json)) if (p.master === bridge && p.state) out[p.ifname] = p.state;
  return out;
}

/** `bridge -j fdb show br X`: learned and static entries, lower-case MAC → ports; the bridge's own (`self`) entries left out. */
export function parseBridgeFdb(json: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of parseList<FdbEntry>(json)) {
    if ((e.flags ?? []).includes('self')) continue;
    (out[e.mac.toLowerCase()] ??= []).push(e.ifname);
  }
  return out;
}
