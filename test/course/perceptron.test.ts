// Course item 1: a single perceptron (step unit, perceptron rule w <- w - eta (y - t) x) learns
// the linearly separable AND and OR, and can never get all four XOR points right.
import { describe, expect, it } from 'vitest';
import { Sequential, layers, sgd } from '../../src/index';

const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const AND = [0, 0, 0, 1];
const OR = [0, 1, 1, 1];
const XOR = [0, 1, 1, 0];

function perceptronModel(seed: number): Sequential {
  const model = new Sequential({ seed });
  model.add(layers.perceptron({ units: 1, inputDim: 2 }));
  // No loss given: a model ending in step units defaults to the perceptron criterion.
  model.compile({ optimizer: sgd({ lr: 1 }), metrics: ['accuracy', 'misclassified'] });
  return model;
}

describe('course: perceptron', () => {
  it('compile picks the perceptron loss for a step output', () => {
    expect(perceptronModel(1).compileConfig?.loss).toBe('perceptron');
  });

  for (const [name, target] of [
    ['AND', AND],
    ['OR', OR],
  ] as const) {
    it(`learns ${name} with the perceptron rule (per-sample updates), several seeds`, async () => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const model = perceptronModel(seed);
        // Perceptron convergence theorem: separable data is learned in finitely many updates.
        await model.fit(X, target, { epochs: 50, batchSize: 1 });
        expect(model.predictClasses(X)).toEqual([...target]);
        expect(model.evaluate(X, target).misclassified).toBe(0);
      }
    });
  }

  it('one update is exactly w <- w - eta (y - t) x (the perceptron rule)', async () => {
    const model = perceptronModel(7);
    model.setWeights([new Float32Array([0.5, -0.25]), new Float32Array([0.25])]);
    // x = (1, 1): a = 0.5 - 0.25 + 0.25 = 0.5 >= 0 -> y = 1; t = 0: w -= 1 * (1 - 0) * x, b -= 1.
    // (All values exact in float32.)
    await model.fit([[1, 1]], [0], { epochs: 1, batchSize: 1 });
    const [w, b] = model.getWeights();
    expect(Array.from(w)).toEqual([-0.5, -1.25]);
    expect(Array.from(b)).toEqual([-0.75]);
    // A second pass: a = -0.5 - 1.25 - 0.75 < 0 -> y = 0 = t, no change.
    await model.fit([[1, 1]], [0], { epochs: 1, batchSize: 1 });
    expect(Array.from(model.getWeights()[0])).toEqual([-0.5, -1.25]);
  });

  it('never reaches 100% on XOR (not linearly separable)', async () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const model = perceptronModel(seed);
      let best = Infinity;
      await model.fit(X, XOR, {
        epochs: 100,
        batchSize: 1,
        callbacks: {
          onEpochEnd: () => {
            best = Math.min(best, model.evaluate(X, XOR).misclassified);
          },
        },
      });
      // No line separates XOR: at least one of the four points is always wrong.
      expect(best).toBeGreaterThanOrEqual(1);
    }
  });
});
