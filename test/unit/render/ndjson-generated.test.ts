/**
 * renderPathJson writes the NDJSON line by hand for speed; pathToJson is the object it
 * must equal. Many generated paths, every key of PathJson set in every way it can be,
 * keep the two from drifting apart: same values, same key order, same bytes.
 */
import { describe, expect, it } from 'vitest';
import type { GapReason, Loss, MacRewrite, NatRewrite, NotCaptured, PacketPath, PathBranch, PathCopy, PathVerdict, TtlChange } from '../../../src/correlate/path.js';
import { decodeFrame } from '../../../src/decode/decode-frame.js';
import { PATH_FINDING_CODES } from '../../../src/model/findings.js';
import { DIRECTION, type Direction } from '../../../src/model/record.js';
import type { PointRole } from '../../../src/model/topology.js';
import { pathToJson, renderPathJson, type PathJson } from '../../../src/render/ndjson.js';
import { udpFrame } from '../../helpers/frames.js';
import { IP, MAC } from '../../helpers/topology.js';
import { mulberry32 } from '../../helpers/random.js';
import { rec } from '../../helpers/records.js';

/** The renderers read neither the record nor the frame: every copy carries the same ones. */
const RECORD = rec(0, 0, udpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId: 1, sport: 1, dport: 2 }));
const FRAME = decodeFrame(RECORD.data, RECORD.linkType);

const ROLES: readonly PointRole[] = ['namespace-end', 'host-veth', 'bridge', 'uplink', 'file'];
const DIRECTIONS: readonly Direction[] = [DIRECTION.UNKNOWN, DIRECTION.INBOUND, DIRECTION.OUTBOUND];
const VERDICTS: ReadonlyArray<PathVerdict | null> = ['complete', 'lost', 'not-captured', 'undetermined', 'after-stop', null];
const REASONS: readonly GapReason[] = ['kernel-drops', 'point-ended', 'not-read', 'ambiguous', 'gap'];
/** Labels and texts with what JSON must escape or may pass through: quotes, backslashes, controls, non-ASCII. */
const LABELS = ['box:eth0', 'host:vethA', 'host:docker0', 'web:eth0', 'db=pid:42:eth0', 'a"b:eth0', 'c\\d:eth1', 'ünï:eth0', 'tab\there:x', 'nl\n:x', '😀:eth0', '\u2028:sep'];
const SUMMARIES = ['ICMP echo request 198.18.0.2 → 198.18.0.3 id=25 seq=0', 'UDP 198.18.0.2:40000 → 198.18.0.3:53 len=18', 'say "hi" \\ there', 'ctl \u0001\u001f\u007f end', 'lone \ud800 surrogate', ''];
const PROTOCOLS = ['ICMP', 'ICMPv6', 'TCP', 'UDP', 'ARP', 'IPv4', 'IPv6', '0x88cc'];

function generate(seed: number): PacketPath {
  const r = mulberry32(seed);
  const int = (n: number): number => Math.floor(r() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const some = <T>(max: number, make: () => T): T[] => Array.from({ length: int(max + 1) }, make);
  const label = (): string => pick(LABELS);
  const loss = (): Loss => ({ after: label(), before: label() });
  const ns = (): number => pick([0, 1, 4300, 999_999_999, 123_456_789_012, -250, 2 ** 53 - 1]);
  const orNull = <T>(make: () => T): T | null => (r() < 0.4 ? null : make());
  const mac = (): string => pick([MAC.box, MAC.web, MAC.gateway, 'ff:ff:ff:ff:ff:ff']);
  const branchLabels = some(3, label);
  const copies = some(7, (): PathCopy => {
    const hop = int(6);
    return {
      point: int(12),
      label: label(),
      role: pick(ROLES),
      ts: { tsSec: pick([0, 1, 1_764_333_971, 4_294_967_296]), tsNsec: pick([0, 7, 100_000, 999_999_999]) },
      direction: pick(DIRECTIONS),
      directionInferred: r() < 0.5,
      hop,
      deltaNs: orNull(ns),
      observedAfterNs: hop === 0 ? orNull(ns) : null,
      branch: branchLabels.length > 0 && r() < 0.5 ? pick(branchLabels) : null,
      record: RECORD,
      frame: FRAME,
    };
  });
  const losses = some(3, loss);
  const branches = branchLabels.map((port): PathBranch => ({ port, points: some(3, label), lost: orNull(loss) }));
  return {
    id: pick([1, 2, 99, 1_000_000, 2 ** 31, 2 ** 53 - 1]),
    summary: pick(SUMMARIES),
    protocol: pick(PROTOCOLS),
    length: pick([0, 42, 60, 98, 1514, 65_535, 262_144]),
    copies,
    hopCount: copies.filter((c) => c.hop > 0).length,
    expected: orNull(() => some(4, label)),
    complete: pick([true, false, null]),
    lost: r() < 0.5 ? losses[0] ?? null : null,
    losses,
    notSeen: some(3, label),
    ambiguousAt: some(2, label),
    flooded: some(3, label),
    branches,
    nat: some(2, (): NatRewrite => ({ after: label(), before: label(), side: pick(['src', 'dst'] as const), from: `${IP.box}:${int(65536)}`, to: pick([`${IP.uplink}:61000`, '[2001:db8::1]:53', IP.remote]) })),
    ttl: some(2, (): TtlChange => ({ after: label(), before: label(), from: int(256), to: int(256) })),
    macRewrites: some(2, (): MacRewrite => ({ after: label(), before: label(), src: orNull(() => ({ from: mac(), to: mac() })), dst: orNull(() => ({ from: mac(), to: mac() })) })),
    verdict: pick(VERDICTS),
    notCaptured: some(3, (): NotCaptured => {
      const reason = pick(REASONS);
      return { point: label(), reason, droppedByKernel: reason === 'kernel-drops' ? pick([0, 1, 12_345]) : null };
    }),
    expectation: null,
  };
}

/** Most real paths are complete and have nothing more to say (no findings): every 20th generated path is made one. */
function quiet(p: PacketPath): PacketPath {
  return {
    ...p, complete: true, verdict: 'complete', lost: null, losses: [], notSeen: [], notCaptured: [], ambiguousAt: [],
    flooded: [], nat: [], ttl: [], macRewrites: [], branches: p.branches.map((b) => ({ ...b, lost: null })),
  };
}

const PATHS = Array.from({ length: 2000 }, (_, i) => (i % 20 === 19 ? quiet(generate(i + 1)) : generate(i + 1)));

/** A value that says something: not null, false, empty or zero. */
const said = (v: unknown): boolean => v !== null && v !== undefined && v !== false && v !== 0 && !(Array.isArray(v) && v.length === 0);

describe('renderPathJson against pathToJson, on generated paths', () => {
  it('parses to the very object pathToJson builds', () => {
    for (const [i, p] of PATHS.entries()) expect(JSON.parse(renderPathJson(p)), `path of seed ${i + 1}`).toStrictEqual(pathToJson(p));
  });

  it('is byte for byte JSON.stringify(pathToJson(p)): the same keys in the same order, the same escapes', () => {
    for (const [i, p] of PATHS.entries()) expect(renderPathJson(p), `path of seed ${i + 1}`).toBe(JSON.stringify(pathToJson(p)));
  });

  it('sets every key of a path and of a hop in some generated path, and leaves it empty in another', () => {
    const json = PATHS.map(pathToJson);
    const hops = json.flatMap((p) => p.hops);
    const pathKeys = Object.keys(json[0]!) as Array<keyof PathJson>;
    expect(pathKeys).toEqual(['id', 'summary', 'protocol', 'length', 'complete', 'hops', 'lost', 'losses', 'notSeen', 'flooded', 'nat', 'ttl', 'macRewrites', 'verdict', 'notCaptured', 'ambiguousAt', 'branches', 'findings']);
    for (const key of pathKeys) {
      expect(json.some((p) => said(p[key])), `some path has ${key}`).toBe(true);
      if (key !== 'id' && key !== 'length' && key !== 'summary' && key !== 'protocol') expect(json.some((p) => !said(p[key])), `some path lacks ${key}`).toBe(true);
    }
    for (const key of Object.keys(hops[0]!) as Array<keyof PathJson['hops'][number]>) {
      expect(hops.some((h) => said(h[key])), `some hop has ${key}`).toBe(true);
    }
    expect(new Set(json.map((p) => p.verdict))).toEqual(new Set(VERDICTS));
    expect(new Set(json.flatMap((p) => p.notCaptured.map((n) => n.reason)))).toEqual(new Set(REASONS));
    expect(new Set(json.flatMap((p) => p.findings.map((f) => f.code)))).toEqual(new Set(PATH_FINDING_CODES));
    expect(new Set(hops.map((h) => h.direction))).toEqual(new Set(['in', 'out', '?']));
    expect(json.some((p) => p.branches.some((b) => b.lost === null) && p.branches.some((b) => b.lost !== null))).toBe(true);
    expect(json.some((p) => p.macRewrites.some((m) => m.src === null || m.dst === null))).toBe(true);
  });
});
