// conv2d backward against central differences in float64: with L = sum(R * conv(x, K) + b),
// dL/dx, dL/dK, dL/db from conv2dBackward(dy = R) must match the numeric gradients (rel. err < 1e-6).
import { describe, expect, it } from 'vitest';
import { jsBackend as js } from '../../src/backend/js';
import type { Conv2dGeometry } from '../../src/backend/types';
import { numericGradient, relativeError, weightedSum } from '../helpers/gradcheck';
import { randomArray, seeded } from '../helpers/random';

type Case = Omit<Conv2dGeometry, 'dilation' | 'strides' | 'padding'> & Partial<Conv2dGeometry> & { bias?: boolean };

// 'same' pads below are resolved by docs/kernels.md: out = ceil(in / s), total =
// max((out - 1) s + d (k - 1) + 1 - in, 0), before = floor(total / 2).
const cases: Case[] = [
  { batch: 2, inShape: [5, 4, 2], filters: 3, kernel: [3, 2] }, // valid, non-square input and kernel
  { batch: 1, inShape: [7, 6, 3], filters: 2, kernel: [3, 3], strides: [2, 2], padding: [1, 1, 0, 1] }, // same, s=2
  { batch: 3, inShape: [4, 5, 1], filters: 4, kernel: [2, 3], strides: [1, 2], padding: [2, 0, 1, 1] }, // explicit
  { batch: 2, inShape: [6, 5, 2], filters: 2, kernel: [2, 2], dilation: [2, 1], padding: [1, 1, 0, 0], bias: false },
  { batch: 2, inShape: [7, 7, 1], filters: 1, kernel: [2, 2], strides: [3, 3] }, // stride > kernel: skipped cells
  { batch: 1, inShape: [5, 5, 2], filters: 3, kernel: [3, 3], padding: [1, 1, 1, 1], dilation: [2, 2] }, // same, d=2
];

function name(c: Case): string {
  const s = c.strides ?? [1, 1];
  const p = c.padding ?? [0, 0, 0, 0];
  const d = c.dilation ?? [1, 1];
  return `n=${c.batch} x=[${c.inShape}] f=[${c.kernel},${c.inShape[2]},${c.filters}] s=[${s}] p=[${p}] d=[${d}]`;
}

describe('conv2d gradients (float64, central differences)', () => {
  cases.forEach((c, i) => {
    it(name(c), () => {
      const g: Conv2dGeometry = { strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], ...c };
      const rng = seeded(700 + i);
      const [h, w, cin] = c.inShape;
      const x = randomArray(rng, c.batch * h * w * cin);
      const k = randomArray(rng, c.kernel[0] * c.kernel[1] * cin * c.filters);
      const b = c.bias === false ? null : randomArray(rng, c.filters);
      const y = js.conv2dForward(x, k, b, g);
      expect(y).toBeInstanceOf(Float64Array);
      const r = randomArray(rng, y.length);
      const f = () => weightedSum(js.conv2dForward(x, k, b, g), r);
      const grads = js.conv2dBackward(x, k, r, g);
      expect(relativeError(grads.dx, numericGradient(f, x))).toBeLessThan(1e-6);
      expect(relativeError(grads.dw, numericGradient(f, k))).toBeLessThan(1e-6);
      if (b) expect(relativeError(grads.db, numericGradient(f, b))).toBeLessThan(1e-6);
    });
  });

  it('float32 in gives float32 out, equal to the float64 result within float32 rounding', () => {
    const g: Conv2dGeometry = { batch: 2, inShape: [5, 4, 3], filters: 2, kernel: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1] };
    const rng = seeded(790);
    const x = Float32Array.from(randomArray(rng, 2 * 5 * 4 * 3));
    const k = Float32Array.from(randomArray(rng, 3 * 3 * 3 * 2));
    const y32 = js.conv2dForward(x, k, null, g);
    const y64 = js.conv2dForward(Float64Array.from(x), Float64Array.from(k), null, g);
    expect(y32).toBeInstanceOf(Float32Array);
    // Sums are kept in float64, so the only difference is the final rounding to float32.
    for (let i = 0; i < y64.length; i++) expect(y32[i]).toBe(Math.fround(y64[i]));
  });
});
