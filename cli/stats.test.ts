import { describe, expect, it } from 'vitest';
import { median, quantile } from './stats.js';

describe('median', () => {
  it('is the middle sample, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('is NaN for no samples', () => {
    expect(median([])).toBeNaN();
  });
});

describe('quantile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 .. 1, unsorted

  it('p50 and p95 of 1..100 are 50 and 95', () => {
    expect(quantile(hundred, 0.5)).toBe(50);
    expect(quantile(hundred, 0.95)).toBe(95);
  });
  it('is always one of the samples: p95 of a few is their largest', () => {
    expect(quantile([1200, 900, 4000], 0.95)).toBe(4000);
    expect(quantile([1200, 900, 4000], 0.5)).toBe(1200);
  });
  it('the ends are the smallest and the largest', () => {
    expect(quantile([3, 1, 2], 0)).toBe(1);
    expect(quantile([3, 1, 2], 1)).toBe(3);
  });
  it('is NaN for no samples', () => {
    expect(quantile([], 0.95)).toBeNaN();
  });
});
