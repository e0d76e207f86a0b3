/**
 * Manifest version 2 (`trace --save`): what a replay needs to judge paths as the trace
 * did. A hand-edited or cut manifest is refused with BAD_CAPTURE, never a crash; the
 * wording is the parser's to change, so these tests assert the code.
 */
import { describe, expect, it } from 'vitest';
import { parseSessionManifest } from '../../../src/sources/session-manifest.js';
import { VethcapError } from '../../../src/errors.js';
import type { SessionManifestV2 } from '../../../src/model/manifest.js';

const T0 = 1_764_333_971_000;

function manifest(): SessionManifestV2 {
  return {
    vethcap: 2,
    description: 'box pings web',
    created: '2025-11-28T12:46:11.000Z',
    vethcapVersion: '0.1.0',
    argv: ['trace', 'box', '--save', 's'],
    window: { armedAtMs: T0 + 12.5, stopAtMs: T0 + 3000, stopReason: 'command' },
    windowNs: 100_000_000,
    points: [
      {
        label: 'box:eth0', description: 'box end', role: 'namespace-end', ifname: 'eth0', owner: 'box',
        endpointMac: '02:00:00:00:00:02', addresses: ['198.18.0.2/24', '2001:2::2/64'], peer: 'host:h0', filter: 'icmp', snaplen: 262144, linkType: 1,
        file: '01-box_eth0.pcap', stats: { captured: 6, droppedByKernel: 3 },
        coverage: { drops: [[null, T0 + 250.25, 1], [T0 + 500, T0 + 760.5, 2], [T0 + 1000, null, null]], cut: null },
      },
      {
        label: 'host:h0', description: 'host end', role: 'host-veth', ifname: 'h0', owner: 'box', peer: 'box:eth0',
        snaplen: 262144, linkType: 1, file: '02-host_h0.pcap', stats: null,
        coverage: { drops: [], cut: { atMs: T0 + 2000, reason: 'point-ended' } },
      },
      {
        label: 'host:br', description: '', role: 'bridge', ifname: 'br', file: '03-host_br.pcap', stats: { captured: 0, droppedByKernel: 0 },
        coverage: { drops: [], cut: { atMs: null, reason: 'not-read' } },
      },
    ],
  };
}

const parse = (m: unknown) => parseSessionManifest(typeof m === 'string' ? m : JSON.stringify(m), 'm.json');

function code(m: unknown): string {
  try {
    parse(m);
  } catch (error) {
    expect(error).toBeInstanceOf(VethcapError);
    return (error as VethcapError).code;
  }
  return 'accepted';
}

/** A version 2 manifest with one change made by `edit` (which may delete keys). */
function edited(edit: (m: Record<string, unknown> & SessionManifestV2) => void): unknown {
  const m = manifest() as Record<string, unknown> & SessionManifestV2;
  edit(m);
  return m;
}

const point0 = (m: SessionManifestV2) => m.points[0] as unknown as Record<string, unknown>;
const cov0 = (m: SessionManifestV2) => m.points[0]!.coverage as unknown as Record<string, unknown>;
const win = (m: SessionManifestV2) => m.window as unknown as Record<string, unknown>;

describe('session manifest version 2', () => {
  it('round trip: what is written is what is read', () => {
    const m = manifest();
    const read = parse(m);
    expect(read).toEqual(m);
    expect(read.vethcap).toBe(2);
    // Twice through: the parsed form is itself a valid manifest.
    expect(parse(read)).toEqual(m);
  });

  it('the optional keys may be left out; a point without a description gets an empty one', () => {
    const m = edited((x) => {
      delete x.description;
      delete x.argv;
      delete x.windowNs;
      delete point0(x).description;
      x.window.stopAtMs = null;
      x.window.stopReason = 'failed';
    });
    const read = parse(m);
    if (read.vethcap !== 2) throw new Error('not version 2');
    expect(read.description).toBeUndefined();
    expect(read.argv).toBeUndefined();
    expect(read.windowNs).toBeUndefined();
    expect(read.window).toEqual({ armedAtMs: T0 + 12.5, stopAtMs: null, stopReason: 'failed' });
    expect(read.points[0]!.description).toBe('');
  });

  it('keys it does not know are ignored and left out (a later vethcap may add some)', () => {
    const read = parse(edited((x) => {
      x.future = { x: 1 };
      point0(x).netnsPath = '/proc/1/ns/net';
      cov0(x).hint = 'later';
    }));
    expect(read).toEqual(manifest());
  });

  it('keeps drop intervals in the order given, even out of order (a clock step)', () => {
    const read = parse(edited((x) => {
      x.points[0]!.coverage.drops = [[T0 + 900, T0 + 950, 1], [T0 + 100, T0 + 120, 2]];
    }));
    if (read.vethcap !== 2) throw new Error('not version 2');
    expect(read.points[0]!.coverage.drops).toEqual([[T0 + 900, T0 + 950, 1], [T0 + 100, T0 + 120, 2]]);
  });

  it.each<[string, (m: Record<string, unknown> & SessionManifestV2) => void]>([
    ['description not text', (m) => { m.description = 3 as unknown as string; }],
    ['created missing', (m) => { delete (m as Record<string, unknown>).created; }],
    ['created not a date', (m) => { m.created = 'yesterday'; }],
    ['created a number', (m) => { (m as Record<string, unknown>).created = T0; }],
    ['vethcapVersion missing', (m) => { delete (m as Record<string, unknown>).vethcapVersion; }],
    ['vethcapVersion empty', (m) => { m.vethcapVersion = ''; }],
    ['argv not a list', (m) => { (m as Record<string, unknown>).argv = 'trace box'; }],
    ['argv with a number', (m) => { (m as Record<string, unknown>).argv = ['trace', 1]; }],
    ['windowNs zero', (m) => { m.windowNs = 0; }],
    ['windowNs fractional', (m) => { m.windowNs = 1.5; }],
    ['windowNs text', (m) => { (m as Record<string, unknown>).windowNs = '100'; }],
    ['window missing', (m) => { delete (m as Record<string, unknown>).window; }],
    ['window a list', (m) => { (m as Record<string, unknown>).window = [1, 2]; }],
    ['armedAtMs missing', (m) => { delete win(m).armedAtMs; }],
    ['armedAtMs null', (m) => { win(m).armedAtMs = null; }],
    ['armedAtMs text', (m) => { win(m).armedAtMs = '1764333971000'; }],
    ['stopAtMs missing', (m) => { delete win(m).stopAtMs; }],
    ['stopAtMs text', (m) => { win(m).stopAtMs = 'now'; }],
    ['stopReason missing', (m) => { delete win(m).stopReason; }],
    ['stopReason unknown', (m) => { win(m).stopReason = 'bored'; }],
    ['stats missing', (m) => { delete point0(m).stats; }],
    ['stats without droppedByKernel', (m) => { point0(m).stats = { captured: 1 }; }],
    ['stats negative', (m) => { point0(m).stats = { captured: -1, droppedByKernel: 0 }; }],
    ['coverage missing', (m) => { delete point0(m).coverage; }],
    ['coverage null', (m) => { point0(m).coverage = null; }],
    ['drops missing', (m) => { delete cov0(m).drops; }],
    ['drops an object', (m) => { cov0(m).drops = {}; }],
    ['drop interval too short', (m) => { cov0(m).drops = [[T0, T0 + 1]]; }],
    ['drop interval too long', (m) => { cov0(m).drops = [[T0, T0 + 1, 2, 3]]; }],
    ['drop interval not a list', (m) => { cov0(m).drops = [{ fromMs: T0, toMs: T0 + 1, drops: 1 }]; }],
    ['drop interval from text', (m) => { cov0(m).drops = [['0', T0, 1]]; }],
    ['drop interval to text', (m) => { cov0(m).drops = [[T0, 'end', 1]]; }],
    ['drop count fractional', (m) => { cov0(m).drops = [[T0, T0 + 1, 1.5]]; }],
    ['drop count negative', (m) => { cov0(m).drops = [[T0, T0 + 1, -1]]; }],
    ['drop count text', (m) => { cov0(m).drops = [[T0, T0 + 1, 'many']]; }],
    ['cut missing', (m) => { delete cov0(m).cut; }],
    ['cut a number', (m) => { cov0(m).cut = T0; }],
    ['cut without atMs', (m) => { cov0(m).cut = { reason: 'point-ended' }; }],
    ['cut atMs text', (m) => { cov0(m).cut = { atMs: 'then', reason: 'point-ended' }; }],
    ['cut without reason', (m) => { cov0(m).cut = { atMs: T0 }; }],
    ['cut reason unknown', (m) => { cov0(m).cut = { atMs: T0, reason: 'tired' }; }],
    ['points empty', (m) => { m.points = []; }],
    ['point without file', (m) => { delete point0(m).file; }],
    ['point with a bad role', (m) => { point0(m).role = 'router'; }],
    ['point peer not in the session', (m) => { point0(m).peer = 'host:nowhere'; }],
    ['two points with one label', (m) => { m.points[1]!.label = 'box:eth0'; }],
  ])('refuses %s with BAD_CAPTURE', (_name, edit) => {
    expect(code(edited(edit))).toBe('BAD_CAPTURE');
  });

  it('refuses a manifest cut short anywhere with BAD_CAPTURE', () => {
    const text = JSON.stringify(manifest(), null, 2);
    for (let n = 0; n < text.length; n += 7) expect(code(text.slice(0, n)), `cut at ${n}`).toBe('BAD_CAPTURE');
  });

  it('refuses every value of the wrong type at every key with BAD_CAPTURE, never a crash', () => {
    const wrong: unknown[] = [null, true, -1, 1.5, 'x', [], {}, [1, 2, 3]];
    const base = manifest() as unknown as Record<string, unknown>;
    /** Every path to a value in the manifest. */
    const paths: Array<Array<string | number>> = [];
    const walk = (v: unknown, path: Array<string | number>) => {
      if (path.length > 0) paths.push(path);
      if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
      else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    };
    walk(base, []);
    let refused = 0;
    for (const path of paths) {
      for (const value of wrong) {
        const m = structuredClone(base);
        let at: Record<string | number, unknown> = m;
        for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
        at[path.at(-1)!] = value;
        const c = code(m);
        // Some wrong values are right somewhere (null drops, a -1 that is a time): accepted, but never a crash.
        expect(['BAD_CAPTURE', 'accepted'], `${path.join('.')} = ${JSON.stringify(value)}`).toContain(c);
        if (c === 'BAD_CAPTURE') refused++;
      }
    }
    expect(refused).toBeGreaterThan(paths.length * 4);
  });
});
