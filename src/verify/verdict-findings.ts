/**
 * Why `vethcap verify` failed, as data: what lost each loss (`lost[].cause`) and the other
 * reasons the verdict is not a pass (`problemFindings`). Like the hints' codes
 * (hint-findings.ts), the codes are the interface and the words (verdict-text.ts) may
 * change; a cause the host's counters name (LINK_DOWN, QDISC_DROPS) uses the code of the
 * hint that names the same thing. docs/json.md lists each with its fields.
 */

/** Every loss cause code. */
export const LOSS_CAUSE_CODES = [
  'NEVER_APPEARED',
  'NOT_SEEN_AGAIN',
  'BRIDGE_DID_NOT_FORWARD',
  'HOST_DID_NOT_PASS',
  'VETH_DID_NOT_CARRY',
  'LOST_BETWEEN',
  'LINK_DOWN',
  'QDISC_DROPS',
] as const;

export type LossCauseCode = (typeof LOSS_CAUSE_CODES)[number];

/** What lost packets seen at a loss's `after` and never at its `before`. */
export type LossCause =
  /** `after` is the sender, not a point: the packets never appeared on `point`, the first hop (the sender or its qdisc). */
  | { code: 'NEVER_APPEARED'; point: string }
  /** `before` is not a planned point: they left `point` and no capture saw them again. */
  | { code: 'NOT_SEEN_AGAIN'; point: string }
  /** Between two ports of one bridge. */
  | { code: 'BRIDGE_DID_NOT_FORWARD'; bridge: string }
  /** Between two host interfaces not on one bridge: the host did not route or pass them. */
  | { code: 'HOST_DID_NOT_PASS'; fromInterface: string; toInterface: string }
  /** Across a veth pair: `namespaceEnd` is its point label inside the namespace, `hostInterface` its host end. */
  | { code: 'VETH_DID_NOT_CARRY'; namespaceEnd: string; hostInterface: string }
  /** Any other two points. */
  | { code: 'LOST_BETWEEN'; after: string; before: string }
  /** The host says so: `point` (the loss's `before`) is administratively down. */
  | { code: 'LINK_DOWN'; point: string }
  /** The host says so: a qdisc on `point`'s egress (the loss's `before`; its capture comes after the qdisc) dropped packets during the run. */
  | { code: 'QDISC_DROPS'; point: string; qdisc: string };

/** Every problem code. */
export const PROBLEM_CODES = ['ARP_UNRESOLVED', 'NO_ARP_ANSWER', 'NO_ANSWER'] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** A reason the verdict is not a pass other than a located loss. */
export type VerdictProblem =
  /** `missing` of `sent` probes never left `source`: ARP for `ip` failed (`arpLost`: requests or replies were lost on the way; else nobody answered). */
  | { code: 'ARP_UNRESOLVED'; source: string; ip: string; missing: number; sent: number; arpLost: boolean }
  /** ARP probes reached `reached`, the destination's last hop, and `destination` sent no reply. */
  | { code: 'NO_ARP_ANSWER'; destination: string; ip: string; reached: string }
  /** `delivered` probes reached `reached` and `destination` sent no answer. */
  | { code: 'NO_ANSWER'; destination: string; delivered: number; reached: string };
