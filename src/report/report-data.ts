import type { PathVerdict } from '../correlate/path.js';
import type { PathFinding } from '../model/findings.js';
import type { PointRole } from '../model/topology.js';

/**
 * What an HTML report holds (`--html`): the data the page draws from, embedded in it as
 * JSON. Types only. Paths are kept in full only as far as a bounded budget allows (see
 * ReportCollector); `kept` says honestly how many of each kind were left out.
 */
export interface ReportData {
  version: 1;
  /** The command that wrote it. */
  kind: 'trace' | 'merge' | 'verify' | 'demo';
  /** The command line as given (`vethcap trace box web …`). */
  commandLine: string;
  /** When the run began (ISO 8601, UTC). */
  startedAt: string;
  /** vethcap's version. */
  vethcapVersion: string;
  points: ReportPoint[];
  counts: ReportCounts;
  hops: ReportHop[];
  paths: ReportPath[];
  kept: { complete: number; completeTotal: number; other: number; otherTotal: number };
  /** verify's verdict, when the report is verify's. */
  verify?: ReportVerify;
}

export interface ReportPoint {
  label: string;
  role: PointRole;
  ifname: string;
  /** The target (namespace) a namespace end or host veth belongs to. */
  owner?: string;
  /** For a bridge port: the bridge's label. */
  bridge?: string;
  /** The other end of a veth pair. */
  peer?: string;
  addresses?: string[];
  /** Copies in the merged paths. */
  packets: number;
  /** What its capture wrote and what the kernel dropped; null when not known (a file). */
  captured: number | null;
  droppedByKernel: number | null;
  /** Paths whose copy here the capture, not the network, is missing. */
  notCaptured: number;
  /** The bridge port's state when vethcap read it (verify): forwarding, disabled, … */
  state?: string;
}

export interface ReportCounts {
  paths: number;
  complete: number;
  lost: number;
  notCaptured: number;
  undetermined: number;
  unknown: number;
  afterStop: number;
}

/** One hop pair's latency: p50/p99 and a histogram in powers of two of nanoseconds (bin i: [2^i, 2^(i+1)) ns). */
export interface ReportHop {
  from: string;
  to: string;
  count: number;
  p50Ns: number | null;
  p99Ns: number | null;
  bins: number[];
}

/** One copy: its point's index in `points`, ns since the path's first copy, hop (0: a bridge device's observation), ns since the previous hop, its branch's egress port. */
export type ReportCopy = [point: number, atNs: number, hop: number, deltaNs: number | null, branch: string | null];

export interface ReportPath {
  id: number;
  summary: string;
  protocol: string;
  length: number;
  verdict: PathVerdict | null;
  /** Epoch time of the first copy, `sec.nsec`. */
  ts: string;
  copies: ReportCopy[];
  /** Labels of the points the topology expects, in order; null without a topology. */
  expected: readonly string[] | null;
  findings: readonly PathFinding[];
}

export interface ReportVerify {
  ok: boolean;
  /** The verdict's one line. */
  line: string;
  /** The hints in words, with their codes. */
  hints: Array<{ code: string; text: string }>;
}
