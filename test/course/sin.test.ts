// Course item 7 (universal approximator: g(x) = sum_j w_j s(y_j x + theta_j)): a 1-H-1 net with
// sigmoid hidden units and a linear output fits sin(x) on [-pi, pi] to max error < 0.05.
import { describe, expect, it } from 'vitest';
import { Sequential, adam, layers } from '../../src/index';

describe('course: universal approximation of sin(x)', () => {
  it('1-10-1 sigmoid/linear: max |g(x) - sin(x)| < 0.05 on a fine grid', async () => {
    const n = 64;
    const xs = Array.from({ length: n }, (_, i) => -Math.PI + (2 * Math.PI * i) / (n - 1));
    const model = new Sequential({ seed: 3 });
    model.add(layers.dense({ units: 10, activation: 'sigmoid', inputDim: 1, kernelInitializer: 'glorotUniform' }));
    model.add(layers.dense({ units: 1, activation: 'linear' }));
    model.compile({ loss: 'mse', optimizer: adam({ lr: 0.02 }) });
    await model.fit(
      xs.map((x) => [x]),
      xs.map(Math.sin),
      { epochs: 3000, batchSize: 16 },
    );
    // Check between the training points too (401 points).
    const grid = Array.from({ length: 401 }, (_, i) => -Math.PI + (2 * Math.PI * i) / 400);
    const g = model.predict(grid.map((x) => [x]));
    const maxErr = Math.max(...grid.map((x, i) => Math.abs(g[i] - Math.sin(x))));
    expect(maxErr).toBeLessThan(0.05);
  });
});
