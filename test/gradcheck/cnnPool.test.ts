// Pooling backward against central differences in float64 (rel. err < 1e-6), L = sum(R * pool(x)).
// Max pooling inputs are spaced apart so that a step of h = 1e-5 never changes which cell wins.
import { describe, expect, it } from 'vitest';
import { jsBackend as js } from '../../src/backend/js';
import { globalAvgPool2dBackward, globalAvgPool2dForward } from '../../src/backend/js/pool';
import type { Pool2dGeometry } from '../../src/backend/types';
import { numericGradient, relativeError, weightedSum } from '../helpers/gradcheck';
import { randomArray, seeded, type Rng } from '../helpers/random';

const cases: Pool2dGeometry[] = [
  { batch: 2, inShape: [4, 4, 3], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
  { batch: 1, inShape: [5, 7, 2], pool: [3, 2], strides: [2, 3], padding: [0, 0, 0, 0] }, // non-square, ragged edge
  { batch: 3, inShape: [5, 5, 1], pool: [2, 2], strides: [2, 2], padding: [0, 1, 0, 1] }, // same padding
  { batch: 2, inShape: [4, 6, 2], pool: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1] }, // overlapping windows
  { batch: 1, inShape: [6, 6, 1], pool: [2, 2], strides: [3, 3], padding: [0, 0, 0, 0] }, // stride > pool
];

const name = (g: Pool2dGeometry) => `n=${g.batch} x=[${g.inShape}] pool=[${g.pool}] s=[${g.strides}] p=[${g.padding}]`;

/** A shuffle of k * 0.05 (+ noise below 0.01): any two values differ by more than 0.03. */
function distinctValues(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i * 0.05 - n * 0.025 + 0.01 * rng();
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

function check(kind: 'max' | 'avg', g: Pool2dGeometry, seed: number): void {
  const rng = seeded(seed);
  const [h, w, c] = g.inShape;
  const x = distinctValues(rng, g.batch * h * w * c);
  const fwd = kind === 'max' ? js.maxPool2dForward : js.avgPool2dForward;
  const bwd = kind === 'max' ? js.maxPool2dBackward : js.avgPool2dBackward;
  const y = fwd(x, g);
  const r = randomArray(rng, y.length);
  const dx = bwd(x, r, g);
  expect(dx).toBeInstanceOf(Float64Array);
  expect(
    relativeError(
      dx,
      numericGradient((v) => weightedSum(fwd(v, g), r), x),
    ),
  ).toBeLessThan(1e-6);
}

describe('pooling gradients (float64, central differences)', () => {
  cases.forEach((g, i) => {
    it(`maxPool ${name(g)}`, () => check('max', g, 800 + i));
    it(`avgPool ${name(g)}`, () => check('avg', g, 850 + i));
  });

  it('globalAvgPool x=[3,4,2] n=2: forward is the channel mean, backward matches differences', () => {
    const rng = seeded(899);
    const x = randomArray(rng, 2 * 3 * 4 * 2);
    const y = globalAvgPool2dForward(x, 2, [3, 4, 2]);
    // Mean of channel 1 of sample 1 computed directly: elements 24 + 2k + 1 for k < 12, over 12.
    let s = 0;
    for (let k = 0; k < 12; k++) s += x[24 + 2 * k + 1];
    expect(y[3]).toBeCloseTo(s / 12, 14);
    const r = randomArray(rng, 4);
    const dx = globalAvgPool2dBackward(r, 2, [3, 4, 2]);
    const numeric = numericGradient((v) => weightedSum(globalAvgPool2dForward(v, 2, [3, 4, 2]), r), x);
    expect(relativeError(dx, numeric)).toBeLessThan(1e-6);
  });
});
