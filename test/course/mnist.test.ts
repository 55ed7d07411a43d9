// Course item 8 (workload W2): the 784-128-64-10 ReLU MLP with softmax cross-entropy, Adam 1e-3,
// batch 64 reaches >= 0.92 test accuracy after 3 epochs on the seeded split of workloads.md.
// The split itself is pinned by the FNV-1a check value given there.
import { describe, expect, it } from 'vitest';
import { Sequential, adam, layers } from '../../src/index';
import { MNIST_CHECK_VALUE, loadMnist, mnistEpochOrder } from '../../src/data/mnist';
import { nativeAvailable } from '../model/helpers';

describe('MNIST split (workloads.md)', () => {
  it('8000 train / 2000 test, labels hash to the check value 69a8dc05, one-hot targets, pixels in [0, 1]', () => {
    const m = loadMnist();
    expect(m.trainX.length).toBe(8000 * 784);
    expect(m.testX.length).toBe(2000 * 784);
    expect(m.checkValue).toBe(MNIST_CHECK_VALUE);
    for (let i = 0; i < 20; i++) expect(m.trainY[i * 10 + m.trainLabels[i]]).toBe(1);
    expect(m.trainY.reduce((a, b) => a + b, 0)).toBe(8000);
    expect(Math.min(...m.testX.subarray(0, 7840))).toBeGreaterThanOrEqual(0);
    expect(Math.max(...m.testX.subarray(0, 7840))).toBeLessThanOrEqual(1);
  });

  it('epoch orders are permutations, different per epoch', () => {
    const [a, b] = [mnistEpochOrder(0), mnistEpochOrder(1)];
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 8000 }, (_, i) => i));
    expect(a.slice(0, 10)).not.toEqual(b.slice(0, 10));
  });
});

const w2 = nativeAvailable() ? describe : describe.skip;
if (!nativeAvailable()) console.warn('[oxnet tests] W2 MNIST test SKIPPED: native backend not built (npm run build:native)');

w2('course: W2 MNIST MLP (native backend)', () => {
  it('reaches >= 0.92 test accuracy after 3 epochs', async () => {
    const m = loadMnist();
    const model = new Sequential({ seed: 1, backend: 'native' });
    model.add(layers.dense({ units: 128, activation: 'relu', inputShape: [784] }));
    model.add(layers.dense({ units: 64, activation: 'relu' }));
    model.add(layers.dense({ units: 10, activation: 'softmax' }));
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
    const history = await model.fit(m.trainX, m.trainY, { epochs: 3, batchSize: 64, epochOrder: mnistEpochOrder });
    expect(history.loss[2]).toBeLessThan(history.loss[0]);
    const r = model.evaluate(m.testX, m.testY);
    expect(r.accuracy).toBeGreaterThanOrEqual(0.92);
    expect(r.misclassified).toBe(Math.round((1 - r.accuracy) * 2000));
  });
});
