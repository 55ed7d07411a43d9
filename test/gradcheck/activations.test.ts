// Activation backward against central differences of the forward, in float64.
// Scalar objective L = sum_i w_i f(x)_i, so dL/dx from activationBackward(x, y, w) must match
// the numeric gradient of L (relative error < 1e-6).
import { describe, expect, it } from 'vitest';
import type { ActivationSpec } from '../../src/backend/types';
import { jsBackend as js } from '../../src/backend/js';
import { numericGradient, relativeError, weightedSum } from '../helpers/gradcheck';
import { awayFromZero, randomArray, randomInt, seeded } from '../helpers/random';

const CASES: ActivationSpec[] = [
  { kind: 'linear' },
  { kind: 'sigmoid', beta: 0.5 },
  { kind: 'sigmoid', beta: 1 },
  { kind: 'sigmoid', beta: 2 },
  { kind: 'sigmoid' },
  { kind: 'tanh' },
  { kind: 'relu' },
  { kind: 'leakyRelu' },
  { kind: 'leakyRelu', alpha: 0.2 },
  { kind: 'softmax' },
  { kind: 'step' },
];

describe('activation gradients (float64, central differences)', () => {
  for (const act of CASES) {
    it(`${JSON.stringify(act)} on random shapes`, () => {
      const rng = seeded(101);
      for (let trial = 0; trial < 4; trial++) {
        const rows = randomInt(rng, 1, 4);
        const width = randomInt(rng, 1, 7);
        // Inputs at least 0.1 from 0 so relu / leakyRelu / step kinks are outside x +- h.
        const x = awayFromZero(rng, rows * width, 0.1, 3);
        const w = randomArray(rng, rows * width);
        const y = js.activationForward(act, x, width);
        const analytic = js.activationBackward(act, x, y, w, width);
        const numeric = numericGradient((v) => weightedSum(js.activationForward(act, v, width), w), x);
        expect(analytic).toBeInstanceOf(Float64Array);
        expect(relativeError(analytic, numeric)).toBeLessThan(1e-6);
      }
    });
  }

  for (const beta of [0.5, 1, 2]) {
    it(`sigmoid beta=${beta}: derivative equals beta s (1 - s) (the course) and the numeric one`, () => {
      const xs = Float64Array.from([-3, -0.7, 0, 0.4, 2.5]);
      const act: ActivationSpec = { kind: 'sigmoid', beta };
      const s = js.activationForward(act, xs, 1);
      const ones = new Float64Array(xs.length).fill(1);
      const d = js.activationBackward(act, xs, s, ones, 1);
      for (let i = 0; i < xs.length; i++) {
        // Closed form s(x) = 1 / (1 + exp(-beta x)).
        expect(s[i]).toBeCloseTo(1 / (1 + Math.exp(-beta * xs[i])), 14);
        expect(d[i]).toBeCloseTo(beta * s[i] * (1 - s[i]), 14);
        const h = 1e-5;
        const sAt = (v: number) => 1 / (1 + Math.exp(-beta * v));
        const numeric = (sAt(xs[i] + h) - sAt(xs[i] - h)) / (2 * h);
        expect(Math.abs(d[i] - numeric)).toBeLessThan(1e-9);
      }
    });
  }

  it('sigmoid is stable for large |beta x| (no NaN, saturates to 0 and 1)', () => {
    const y = js.activationForward({ kind: 'sigmoid', beta: 2 }, Float64Array.from([-1e4, 1e4, -800]), 1);
    expect(Array.from(y)).toEqual([0, 1, 0]);
  });

  it('softmax rows sum to 1 and match the closed form for [1, 2, 3]', () => {
    const y = js.activationForward({ kind: 'softmax' }, Float64Array.from([1, 2, 3, 1000, 1000, 1000]), 3);
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    expect(y[0]).toBeCloseTo(Math.exp(1) / z, 14);
    expect(y[2]).toBeCloseTo(Math.exp(3) / z, 14);
    expect(y[3]).toBeCloseTo(1 / 3, 14);
  });

  it('step: 1 for x >= 0 (the course: w.x + b >= 0), zero derivative', () => {
    const x = Float32Array.from([-0.5, 0, 0.5]);
    const y = js.activationForward({ kind: 'step' }, x, 3);
    expect(Array.from(y)).toEqual([0, 1, 1]);
    expect(Array.from(js.activationBackward({ kind: 'step' }, x, y, Float32Array.from([1, 1, 1]), 3))).toEqual([0, 0, 0]);
  });

  it('refuses a width that does not divide x and an unknown kind', () => {
    expect(() => js.activationForward({ kind: 'softmax' }, new Float64Array(5), 2)).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    expect(() => js.activationForward({ kind: 'gelu' } as unknown as ActivationSpec, new Float64Array(2), 1)).toThrow(
      expect.objectContaining({ code: 'E_ARG' }),
    );
  });
});
