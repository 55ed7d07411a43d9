// Batch norm gradients against central differences in float64 (rel. err < 1e-6), running
// statistics against their closed form, and the dropout mask against the docs/kernels.md recipe.
import { describe, expect, it } from 'vitest';
import {
  batchNormBackward,
  batchNormInferenceForward,
  batchNormTrainForward,
  dropoutBackward,
  dropoutForward,
  updateRunningStats,
} from '../../src/backend/js/norm';
import { numericGradient, relativeError, weightedSum } from '../helpers/gradcheck';
import { randomArray, seeded } from '../helpers/random';

describe('batch norm (float64)', () => {
  const shapes: [rows: number, channels: number][] = [
    [6, 1],
    [12, 3], // e.g. batch 3 of [2, 2, 3] images: rows = 3 * 2 * 2 positions
    [2, 4], // two rows: the smallest batch with a non-zero variance
  ];
  shapes.forEach(([rows, channels], i) => {
    it(`training-mode dx, dgamma, dbeta: rows=${rows} channels=${channels}`, () => {
      const rng = seeded(900 + i);
      const x = randomArray(rng, rows * channels, -2, 3);
      const gamma = randomArray(rng, channels, 0.5, 1.5);
      const beta = randomArray(rng, channels);
      const r = randomArray(rng, rows * channels);
      const eps = 1e-3;
      const f = () => weightedSum(batchNormTrainForward(x, gamma, beta, rows, channels, eps).y, r);
      const { cache } = batchNormTrainForward(x, gamma, beta, rows, channels, eps);
      const g = batchNormBackward(r, gamma, cache, rows, channels);
      expect(relativeError(g.dx, numericGradient(f, x))).toBeLessThan(1e-6);
      expect(relativeError(g.dgamma, numericGradient(f, gamma))).toBeLessThan(1e-6);
      expect(relativeError(g.dbeta, numericGradient(f, beta))).toBeLessThan(1e-6);
    });
  });

  it('normalises each channel to mean beta and standard deviation gamma (up to epsilon)', () => {
    // x = [1, 10, 3, 20] as 2 rows x 2 channels: channel 0 is {1, 3} (mean 2, var 1), channel 1 {10, 20}
    // (mean 15, var 25); with eps = 0 the outputs are gamma * (+-1) + beta.
    const x = Float64Array.from([1, 10, 3, 20]);
    const { y, mean, variance } = batchNormTrainForward(x, Float64Array.from([2, 3]), Float64Array.from([0.5, -1]), 2, 2, 1e-12);
    expect(Array.from(mean)).toEqual([2, 15]);
    expect(Array.from(variance)).toEqual([1, 25]);
    [-1.5, -4, 2.5, 2].forEach((v, k) => {
      expect(y[k]).toBeCloseTo(v, 9);
    });
  });

  it('running stats: r = m r + (1 - m) stat, variance unbiased (n / (n - 1)), then used in inference', () => {
    const mean = Float64Array.from([2, 15]);
    const variance = Float64Array.from([1, 25]); // biased, from 2 rows -> unbiased 2 and 50
    const rm = Float32Array.from([0, 0]);
    const rv = Float32Array.from([1, 1]);
    updateRunningStats(rm, rv, mean, variance, 2, 0.9);
    expect(Array.from(rm)).toEqual([Math.fround(0.1 * 2), Math.fround(0.1 * 15)]);
    expect(Array.from(rv)).toEqual([Math.fround(0.9 + 0.1 * 2), Math.fround(0.9 + 0.1 * 50)]);
    // Inference: gamma (x - rm) / sqrt(rv + eps) + beta with rm = [0.2, 1.5], rv = [1.1, 5.9].
    const y = batchNormInferenceForward(Float64Array.from([1.2, 1.5]), Float64Array.from([2, 1]), Float64Array.from([0, 3]), rm, rv, 1, 2, 1e-3);
    expect(y[0]).toBeCloseTo((2 * (1.2 - rm[0])) / Math.sqrt(rv[0] + 1e-3), 12);
    expect(y[1]).toBeCloseTo(3, 12);
  });
  it('running variance of a one-row batch takes the biased variance (0), not 0 / 0', () => {
    const rm = Float32Array.from([1]);
    const rv = Float32Array.from([2]);
    const { mean, variance } = batchNormTrainForward(Float64Array.from([3]), Float64Array.from([1]), Float64Array.from([0]), 1, 1, 1e-3);
    updateRunningStats(rm, rv, mean, variance, 1, 0.5);
    expect(rm[0]).toBe(2); // 0.5 * 1 + 0.5 * 3
    expect(rv[0]).toBe(1); // 0.5 * 2 + 0.5 * 0 (docs/kernels.md)
  });
});

describe('dropout', () => {
  /** mulberry32 transcribed from docs/kernels.md on its own, so the kernel is checked against the text. */
  function docsDraws(seed: number, n: number): number[] {
    let a = seed;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      out.push(((t ^ (t >>> 14)) >>> 0) / 4294967296);
    }
    return out;
  }

  it('drops exactly the elements whose draw u < rate and scales the rest by 1 / (1 - rate)', () => {
    const x = randomArray(seeded(950), 200, 0.5, 1.5); // no zeros, so a dropped element is visible
    const seed = 123456789;
    const { y, keep } = dropoutForward(x, 0.3, seed);
    const u = docsDraws(seed, 200);
    let dropped = 0;
    for (let i = 0; i < 200; i++) {
      if (u[i] < 0.3) {
        dropped++;
        expect(y[i]).toBe(0);
        expect(keep[i]).toBe(0);
      } else {
        expect(y[i]).toBeCloseTo(x[i] / 0.7, 14);
      }
    }
    expect(dropped).toBeGreaterThan(30); // about 60 of 200 expected; guards against a no-op mask
    expect(dropped).toBeLessThan(90);
  });

  it('backward is the same mask and scale (the derivative of y = x * mask)', () => {
    const x = randomArray(seeded(951), 50);
    const r = randomArray(seeded(952), 50);
    const { keep } = dropoutForward(x, 0.5, 77);
    const dx = dropoutBackward(r, keep, 0.5);
    const numeric = numericGradient((v) => weightedSum(dropoutForward(v, 0.5, 77).y, r), x);
    expect(relativeError(dx, numeric)).toBeLessThan(1e-6);
  });

  it('refuses rates outside [0, 1) with E_ARG', () => {
    for (const rate of [-0.1, 1, 1.5, NaN]) {
      expect(() => dropoutForward(new Float32Array(4), rate, 1)).toThrow(expect.objectContaining({ code: 'E_ARG' }));
    }
  });
});
