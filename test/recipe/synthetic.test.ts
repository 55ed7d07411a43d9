import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/random';
import { gaussian, gaussianBlobs, noisyFunction, smoothTarget, xorData } from '../../src/data/synthetic';

describe('synthetic data', () => {
  it('XOR is the course truth table', () => {
    const d = xorData();
    expect(Array.from(d.y)).toEqual([0, 1, 1, 0]);
    expect(Array.from(d.x)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
  });

  it('Box-Muller draws have mean 0 and variance 1 (sampling error ~0.01 at n = 20000)', () => {
    const g = gaussian(mulberry32(1));
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const v = g();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it('noisyFunction is seeded and its noise has the requested size', () => {
    const a = noisyFunction({ count: 2000, seed: 4, noise: 0.1 });
    expect(Array.from(noisyFunction({ count: 2000, seed: 4, noise: 0.1 }).y)).toEqual(Array.from(a.y));
    let res = 0;
    for (let i = 0; i < a.count; i++) res += (a.y[i] - smoothTarget(a.x[2 * i], a.x[2 * i + 1])) ** 2;
    expect(Math.sqrt(res / a.count)).toBeCloseTo(0.1, 1);
    expect(a.x.every((v) => v >= -1 && v <= 1)).toBe(true);
  });

  it('blobs cycle through classes, one-hot', () => {
    const b = gaussianBlobs({ count: 6, classes: 3, seed: 2 });
    expect(Array.from(b.y)).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(() => gaussianBlobs({ count: 6, classes: 1 })).toThrow(/gaussianBlobs: classes must be an integer in \[2, 65536\], got number 1/);
  });
});
