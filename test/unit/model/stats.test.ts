import { describe, expect, it } from 'vitest';
import { percentile } from '../../../src/model/stats.js';

describe('percentile (nearest rank)', () => {
  it('is undefined for no values, so each caller picks its empty result', () => {
    expect(percentile([], 50)).toBeUndefined();
  });

  it('takes the value at rank ceil(p/100 · n), at least the first and at most the last', () => {
    const v = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(100);
    expect(percentile(v, 0)).toBe(10);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([7], 50)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
  });
});
