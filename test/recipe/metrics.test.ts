import { describe, expect, it } from 'vitest';
import {
  accuracy,
  confusionMatrix,
  meanAbsoluteError,
  meanSquaredError,
  misclassifiedCount,
  perClassScores,
  predictedClasses,
  reconstructionError,
  reconstructionErrors,
  rSquared,
} from '../../src/metrics';
import { cosineDecay, exponentialDecay, stepDecay } from '../../src/schedules';

// 5 rows, 3 classes. True classes 0,1,2,2,1; predicted (argmax) 0,2,2,1,1.
const target = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0]);
const pred = new Float32Array([0.8, 0.1, 0.1, 0.2, 0.3, 0.5, 0.1, 0.1, 0.8, 0.3, 0.4, 0.3, 0.1, 0.6, 0.3]);

describe('classification metrics (counted by hand from the rows above)', () => {
  it('accuracy and misclassifications', () => {
    expect(Array.from(predictedClasses(pred, 3))).toEqual([0, 2, 2, 1, 1]);
    expect(misclassifiedCount(pred, target, 3)).toBe(2);
    expect(accuracy(pred, target, 3)).toBeCloseTo(0.6, 12);
    // one output: threshold 0.5
    expect(accuracy([0.7, 0.2, 0.5], [1, 1, 1], 1)).toBeCloseTo(2 / 3, 12);
  });

  it('confusion matrix rows = true class, columns = predicted, and per-class scores', () => {
    const m = confusionMatrix(pred, target, 3);
    expect(m).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 1, 1],
    ]);
    const s = perClassScores(m);
    expect(s.precision).toEqual([1, 0.5, 0.5]);
    expect(s.recall).toEqual([1, 0.5, 0.5]);
    expect(s.f1).toEqual([1, 0.5, 0.5]);
    expect(s.support).toEqual([1, 2, 2]);
    // a class never predicted nor present: 0, not NaN
    expect(
      perClassScores([
        [2, 0],
        [0, 0],
      ]).precision,
    ).toEqual([1, 0]);
  });

  it('refuses mismatched lengths', () => {
    expect(() => accuracy(pred, target.subarray(3), 3)).toThrow(/must be equal multiples of width 3/);
  });
});

describe('regression metrics (closed forms)', () => {
  const t = [1, 2, 3, 4];
  const p = [1.5, 2, 2, 4];
  it('MSE, MAE and R^2', () => {
    // errors 0.5, 0, -1, 0: MSE (0.25 + 1) / 4, MAE 1.5 / 4
    expect(meanSquaredError(p, t)).toBeCloseTo(0.3125, 12);
    expect(meanAbsoluteError(p, t)).toBeCloseTo(0.375, 12);
    // SS_res 1.25, SS_tot 5 (mean 2.5): R^2 = 0.75
    expect(rSquared(p, t)).toBeCloseTo(0.75, 12);
    expect(rSquared(t, t)).toBe(1);
    // two columns averaged: the second predicted by its mean scores 0
    expect(rSquared([1.5, 5, 2, 5, 2, 5, 4, 5], [1, 4, 2, 6, 3, 4, 4, 6], 2)).toBeCloseTo((0.75 + 0) / 2, 12);
  });

  it('reconstruction error per row and overall', () => {
    const x = [0, 0, 1, 1];
    const r = [0, 1, 1, 1];
    expect(Array.from(reconstructionErrors(x, r, 2))).toEqual([0.5, 0]);
    expect(reconstructionError(x, r, 2)).toBe(meanSquaredError(r, x));
  });
});

describe('schedules (values from their formulas)', () => {
  it('step decay halves every 10 epochs', () => {
    const s = stepDecay({ initial: 0.1, factor: 0.5, every: 10 });
    expect([0, 9, 10, 25].map(s)).toEqual([0.1, 0.1, 0.05, 0.025]);
  });

  it('exponential decay', () => {
    const s = exponentialDecay({ initial: 1, rate: 0.9 });
    expect(s(0)).toBe(1);
    expect(s(2)).toBeCloseTo(0.81, 12);
    expect(exponentialDecay({ initial: 1, rate: 0.5, decayEpochs: 4 })(2)).toBeCloseTo(Math.SQRT1_2, 12);
  });

  it('cosine decay from initial to minimum, flat after', () => {
    const s = cosineDecay({ initial: 0.1, epochs: 10, minimum: 0.01 });
    expect(s(0)).toBeCloseTo(0.1, 12);
    expect(s(5)).toBeCloseTo(0.055, 12); // cos(pi/2) = 0: the midpoint
    expect(s(10)).toBeCloseTo(0.01, 12);
    expect(s(20)).toBeCloseTo(0.01, 12);
  });

  it('refuses bad parameters', () => {
    expect(() => stepDecay({ initial: 0.1, factor: 2, every: 1 })).toThrow(/stepDecay: factor must be in \(0, 1\], got number 2/);
    expect(() => cosineDecay({ initial: 0.1, epochs: 0 })).toThrow(/epochs/);
  });
});
