import { describe, expect, it } from 'vitest';
import { Correlator, type PacketPath } from '../../../src/correlate/index.js';
import { icmpFrame } from '../../helpers/frames.js';
import { rec } from '../../helpers/records.js';
import { IP, MAC, fivePoints } from '../../helpers/topology.js';

const ping = (ipId: number): Uint8Array => icmpFrame({ srcMac: MAC.box, dstMac: MAC.web, src: IP.box, dst: IP.web, ipId, id: 25, seq: ipId });

describe('a path seen at every point', () => {
  it('is emitted at once, after the paths before it, and takes no more copies', () => {
    const topology = { points: fivePoints().points.slice(0, 2) };
    const paths: PacketPath[] = [];
    const c = new Correlator(topology, (p) => paths.push(p), { windowNs: 1_000_000_000 });
    c.push(rec(0, 0, ping(1)));
    c.push(rec(0, 10, ping(2)));
    c.push(rec(1, 20, ping(2))); // #2 is full, but #1 is still open: #2 waits
    expect(paths).toHaveLength(0);
    c.push(rec(1, 30, ping(1))); // #1 full: both go, in id order
    expect(paths.map((p) => p.id)).toEqual([1, 2]);
    c.push(rec(1, 40, ping(1))); // a duplicate at a point #1 already has: a new path
    c.end();
    expect(paths.map((p) => [p.id, p.copies.length])).toEqual([[1, 2], [2, 2], [3, 1]]);
    expect(c.stats).toMatchObject({ records: 5, paths: 3, openGroups: 0 });
  });
});
