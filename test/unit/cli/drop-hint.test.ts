import { describe, expect, it } from 'vitest';
import { dropHint } from '../../../src/cli/drop-hint.js';

describe('dropHint (the end of a trace whose points dropped)', () => {
  const drops = (...n: Array<number | null>) => n.map((droppedByKernel) => ({ droppedByKernel }));

  it('suggests --headers-only when two or more points dropped', () => {
    expect(dropHint(drops(120, 0, 30, null, 0), false)).toBe(
      '150 copies dropped in the kernel at 2 points (the captures missed them, not the network). For bulk traffic, --headers-only keeps whole packets at one point and 192 bytes at the others, so the bytes are written once instead of at every point; else raise -B.',
    );
  });

  it('says nothing for one point, none, unknown counts, or under --headers-only', () => {
    expect(dropHint(drops(120, 0, 0, 0, 0), false)).toBeNull();
    expect(dropHint(drops(0, 0, 0), false)).toBeNull();
    expect(dropHint(drops(null, null), false)).toBeNull();
    expect(dropHint(drops(5, 5, 5), true)).toBeNull();
  });
});
