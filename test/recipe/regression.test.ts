// The course's regression recipe end to end on a synthetic noisy function: normalize (fit on the
// training split), split, train an MLP with a linear output, test once.
import { describe, expect, it } from 'vitest';
import { noisyFunction } from '../../src/data/synthetic';
import { zscore } from '../../src/data/normalize';
import { trainValTestSplit } from '../../src/data/split';
import { dense } from '../../src/layers/dense';
import { meanSquaredError, rSquared } from '../../src/metrics';
import { Sequential } from '../../src/model/sequential';
import { earlyStopping } from '../../src/training/callbacks';

describe('regression recipe', () => {
  it('fits y = sin(3 x1) + x2^2 / 2 + noise to test R^2 > 0.95', async () => {
    // noise 0.1 on a signal of variance ~0.54 (see noisyFunction): the best reachable R^2 is ~0.98
    const data = noisyFunction({ count: 1200, seed: 11, noise: 0.1 });
    const s = trainValTestSplit(data.x, data.y, { count: data.count, fractions: [0.7, 0.15, 0.15], seed: 2 });
    const model = new Sequential({ seed: 5 });
    model.add(dense({ units: 24, activation: 'tanh', inputShape: [2] }));
    model.add(dense({ units: 1, activation: 'linear' }));
    model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.01 } });
    model.setNormalizer(zscore().fit(s.train.x, s.train.count, 2));
    const stop = earlyStopping({ patience: 20, restoreBestWeights: true });
    await model.fit(s.train.x, s.train.y, { epochs: 300, batchSize: 32, validationData: [s.val.x, s.val.y], callbacks: [stop] });
    const pred = model.predict(s.test.x);
    const r2 = rSquared(pred, s.test.y);
    console.log(`test R^2 ${r2.toFixed(4)}, best epoch ${stop.bestEpoch}, stopped ${stop.stoppedEpoch}`);
    expect(r2).toBeGreaterThan(0.95);
    // and no better than the noise allows: MSE cannot go far below noise^2 = 0.01 on unseen data
    expect(meanSquaredError(pred, s.test.y)).toBeGreaterThan(0.005);
  });
});
