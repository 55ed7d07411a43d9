// Loss gradients against central differences of the loss value, in float64 (relative error
// < 1e-6), plus closed-form values from docs/kernels.md and the course.
import { describe, expect, it } from 'vitest';
import type { LossSpec } from '../../src/backend/types';
import { jsBackend as js } from '../../src/backend/js';
import { numericGradient, relativeError } from '../helpers/gradcheck';
import { awayFromZero, oneHotRows, randomArray, randomInt, seeded, type Rng } from '../helpers/random';

function targetsFor(kind: LossSpec['kind'], rng: Rng, n: number, width: number): Float64Array {
  if (kind === 'softmaxCrossEntropy') return oneHotRows(rng, n, width);
  if (kind === 'perceptron') return randomArray(rng, n * width, 0, 1).map((u) => (u < 0.5 ? 0 : 1));
  return randomArray(rng, n * width, 0, 1);
}

describe('loss gradients (float64, central differences)', () => {
  const kinds: LossSpec['kind'][] = ['halfSse', 'mse', 'binaryCrossEntropy', 'softmaxCrossEntropy', 'perceptron'];
  for (const kind of kinds) {
    it(`${kind} on random shapes, batch 1 included`, () => {
      const rng = seeded(202);
      for (let trial = 0; trial < 5; trial++) {
        const n = trial === 0 ? 1 : randomInt(rng, 1, 5);
        const width = randomInt(rng, 1, 6);
        // Perceptron is piecewise linear with a kink at 0: keep pre-activations away from it.
        const pred = awayFromZero(rng, n * width, 0.1, 3);
        const target = targetsFor(kind, rng, n, width);
        const { grad } = js.loss({ kind }, pred, target, n, width);
        const numeric = numericGradient((p) => js.loss({ kind }, p, target, n, width).loss, pred);
        expect(grad).toBeInstanceOf(Float64Array);
        expect(relativeError(grad, numeric)).toBeLessThan(1e-6);
      }
    });
  }

  it('halfSse with batch 1 is the course E = 1/2 (y - t)^2 with gradient y - t', () => {
    const { loss, grad } = js.loss({ kind: 'halfSse' }, Float64Array.from([0.8, 0.1]), Float64Array.from([1, 0]), 1, 2);
    expect(loss).toBeCloseTo(0.5 * (0.04 + 0.01), 15);
    expect(grad[0]).toBeCloseTo(-0.2, 15);
    expect(grad[1]).toBeCloseTo(0.1, 15);
  });

  it('mse averages over batch and width: mean of squared errors, grad 2 (y - t) / (n width)', () => {
    const { loss, grad } = js.loss({ kind: 'mse' }, Float64Array.from([1, 2, 3, 4]), Float64Array.from([0, 0, 0, 0]), 2, 2);
    expect(loss).toBeCloseTo((1 + 4 + 9 + 16) / 4, 14);
    expect(grad[3]).toBeCloseTo((2 * 4) / 4, 14);
  });

  it('softmaxCrossEntropy is stable for logits of 1e4 and equals log(3) for equal logits', () => {
    const big = js.loss({ kind: 'softmaxCrossEntropy' }, Float64Array.from([1e4, 0, -1e4]), Float64Array.from([0, 1, 0]), 1, 3);
    expect(big.loss).toBeCloseTo(1e4, 8); // -log softmax(z)_1 = lse(z) - 0 = 1e4 (closed form)
    expect(Number.isFinite(big.grad[0])).toBe(true);
    const eq = js.loss({ kind: 'softmaxCrossEntropy' }, Float64Array.from([5, 5, 5]), Float64Array.from([1, 0, 0]), 1, 3);
    expect(eq.loss).toBeCloseTo(Math.log(3), 14);
  });

  it('binaryCrossEntropy from logits matches -t log s - (1 - t) log(1 - s) and stays finite at |z| = 1e4', () => {
    const z = 0.7;
    const t = 0.3;
    const s = 1 / (1 + Math.exp(-z));
    const { loss } = js.loss({ kind: 'binaryCrossEntropy' }, Float64Array.from([z]), Float64Array.from([t]), 1, 1);
    expect(loss).toBeCloseTo(-t * Math.log(s) - (1 - t) * Math.log(1 - s), 14);
    const far = js.loss({ kind: 'binaryCrossEntropy' }, Float64Array.from([1e4, -1e4]), Float64Array.from([0, 1]), 1, 2);
    expect(far.loss).toBeCloseTo(1e4, 8); // each element costs |z| = 1e4, averaged over width 2
  });

  it('perceptron criterion: a (step(a) - t) >= 0, gradient step(a) - t (the perceptron rule)', () => {
    const { loss, grad } = js.loss({ kind: 'perceptron' }, Float64Array.from([0.5, -0.25, 2]), Float64Array.from([0, 1, 1]), 1, 3);
    expect(loss).toBeCloseTo(0.5 * 1 + -0.25 * -1 + 0, 15);
    expect(Array.from(grad)).toEqual([1, -1, 0]);
  });

  it('refuses mismatched lengths naming the argument', () => {
    expect(() => js.loss({ kind: 'mse' }, new Float64Array(4), new Float64Array(3), 2, 2)).toThrow(/target/);
    expect(() => js.loss({ kind: 'mse' }, new Float64Array(4), new Float64Array(3), 2, 2)).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
  });
});
