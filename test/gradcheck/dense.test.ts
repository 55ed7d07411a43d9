// Dense backward against central differences in float64: L = sum(R * (x W + b)) so dL/dx, dW,
// db from denseBackward(dy = R) must match numeric gradients (relative error < 1e-6).
import { describe, expect, it } from 'vitest';
import { jsBackend as js } from '../../src/backend/js';
import { numericGradient, relativeError, weightedSum } from '../helpers/gradcheck';
import { randomArray, randomInt, seeded } from '../helpers/random';

describe('dense gradients (float64, central differences)', () => {
  it('dx, dW, db on random shapes, batch 1 and odd sizes included', () => {
    const rng = seeded(303);
    for (let trial = 0; trial < 6; trial++) {
      const batch = trial === 0 ? 1 : randomInt(rng, 1, 5);
      const inputs = randomInt(rng, 1, 9);
      const units = randomInt(rng, 1, 7);
      const x = randomArray(rng, batch * inputs);
      const w = randomArray(rng, inputs * units);
      const b = randomArray(rng, units);
      const r = randomArray(rng, batch * units);
      const { dx, dw, db } = js.denseBackward(x, w, r, batch, inputs, units);
      const f = () => weightedSum(js.denseForward(x, w, b, batch, inputs, units), r);
      expect(relativeError(dx, numericGradient(f, x))).toBeLessThan(1e-6);
      expect(relativeError(dw, numericGradient(f, w))).toBeLessThan(1e-6);
      expect(relativeError(db, numericGradient(f, b))).toBeLessThan(1e-6);
      expect(dx).toBeInstanceOf(Float64Array);
    }
  });

  it('forward matches a hand computation: x = [1, 2], W = [[1, 2, 3], [4, 5, 6]], b = [0.5, 0, -1]', () => {
    const y = js.denseForward(Float64Array.from([1, 2]), Float64Array.from([1, 2, 3, 4, 5, 6]), Float64Array.from([0.5, 0, -1]), 1, 2, 3);
    expect(Array.from(y)).toEqual([9.5, 12, 14]); // [1+8, 2+10, 3+12] + b
  });

  it('matmul of non-multiple-of-4 sizes matches the naive triple loop', () => {
    const rng = seeded(304);
    const [m, k, n] = [3, 7, 5];
    const a = randomArray(rng, m * k);
    const b = randomArray(rng, k * n);
    const c = js.matmul(a, b, m, k, n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        expect(c[i * n + j]).toBeCloseTo(s, 13);
      }
    }
  });

  it('refuses wrong lengths with E_SHAPE naming the argument', () => {
    expect(() => js.denseForward(new Float64Array(5), new Float64Array(6), null, 2, 3, 2)).toThrow(/x must have length batch\*inputs/);
    expect(() => js.matmul(new Float32Array(6), new Float32Array(5), 2, 3, 2)).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
  });
});
