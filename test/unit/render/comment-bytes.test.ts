import { describe, expect, it } from 'vitest';
import type { PacketPath, PathCopy } from '../../../src/correlate/path.js';
import { encodePacketComment, packetComment } from '../../../src/render/comment.js';

/** A two-hop path whose second hop took `deltaNs`; only what comments read is filled in. */
function twoHops(id: number, deltaNs: number | null, lost = false): PacketPath {
  const copy = (hop: number, point: number, label: string, direction: 0 | 1 | 2, d: number | null): PathCopy =>
    ({ hop, point, label, direction, deltaNs: d, observedAfterNs: null, branch: null }) as unknown as PathCopy;
  const loss = { after: 'host:vëthA', before: 'web:eth0' };
  return {
    id, hopCount: 2, lost: lost ? loss : null, losses: lost ? [loss] : [], verdict: lost ? 'lost' : 'complete', notCaptured: [], branches: [],
    flooded: [], nat: [], ttl: [], macRewrites: [],
    copies: [copy(1, 0, 'box:eth0', 2, null), copy(2, 1, 'host:vëthA', 1, deltaNs)],
  } as unknown as PacketPath;
}

function encoded(path: PacketPath, i: number, room = 192): string | null {
  const out = new Uint8Array(room);
  const n = encodePacketComment(path, i, out);
  return n < 0 ? null : new TextDecoder().decode(out.subarray(0, n));
}

describe('encodePacketComment', () => {
  it('writes exactly the bytes of packetComment', () => {
    const deltas = [null, 0, 1, 999, 1_000, 1_049, 1_050, 1_051, 4_300, 16_849, 16_850, 999_949, 999_950, 999_999, 1_000_000, 12_500_000, 1_250_000_000, 0.5, -3];
    for (const d of deltas) {
      for (const id of [1, 9, 10, 123_456_789]) {
        for (const i of [0, 1]) expect(encoded(twoHops(id, d), i)).toBe(packetComment(twoHops(id, d), i));
      }
      expect(encoded(twoHops(5, d, true), 1)).toBe(packetComment(twoHops(5, d, true), 1));
    }
    for (let d = 1_000; d < 30_000; d += 7) expect(encoded(twoHops(42, d), 1)).toBe(packetComment(twoHops(42, d), 1));
  });

  it('returns -1 when the comment does not fit', () => {
    expect(encoded(twoHops(1, 4_300), 1, 10)).toBeNull();
  });
});
