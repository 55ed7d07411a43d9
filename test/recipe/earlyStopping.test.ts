// restoreBestWeights on a real model: the weights after fit must be those recorded at the end of
// the best epoch, and evaluate() must give that epoch's validation loss again.
import { describe, expect, it } from 'vitest';
import { noisyFunction } from '../../src/data/synthetic';
import { dense } from '../../src/layers/dense';
import { Sequential } from '../../src/model/sequential';
import { loadModel } from '../../src/model/files';
import { earlyStopping, modelCheckpoint } from '../../src/training/callbacks';
import { testTempDir } from '../helpers/temp';

describe('earlyStopping with a real model', () => {
  it('restores the weights of the best validation epoch', async () => {
    // 40 noisy samples and a large learning rate: the validation loss soon rises and wobbles
    const train = noisyFunction({ count: 40, seed: 1, noise: 0.3 });
    const val = noisyFunction({ count: 200, seed: 2, noise: 0.3 });
    const model = new Sequential({ seed: 9 });
    model.add(dense({ units: 32, activation: 'tanh', inputShape: [2] }));
    model.add(dense({ units: 1 }));
    model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.05 } });
    const snapshots: Float32Array[][] = [];
    const stop = earlyStopping({ patience: 5, restoreBestWeights: true });
    const history = await model.fit(train.x, train.y, {
      epochs: 300,
      batchSize: 8,
      validationData: [val.x, val.y],
      // recorded before earlyStopping sees the epoch (callbacks run in order)
      callbacks: [{ onEpochEnd: () => void snapshots.push(model.getWeights()) }, stop],
    });
    expect(stop.stoppedEpoch).toBeGreaterThan(stop.bestEpoch);
    expect(history.valLoss.length).toBe(stop.stoppedEpoch + 1);
    const best = snapshots[stop.bestEpoch];
    const last = snapshots[snapshots.length - 1];
    const now = model.getWeights();
    now.forEach((w, i) => {
      expect(Array.from(w)).toEqual(Array.from(best[i]));
    });
    expect(now.some((w, i) => w.some((v, j) => v !== last[i][j]))).toBe(true);
    // the best epoch's logged validation loss is the lowest, and the model reproduces it
    expect(Math.min(...history.valLoss)).toBe(history.valLoss[stop.bestEpoch]);
    expect(model.evaluate(val.x, val.y).loss).toBeCloseTo(history.valLoss[stop.bestEpoch], 5);
  });
});

describe('modelCheckpoint with saveModel', () => {
  it('leaves the best validation epoch on disk', async () => {
    const train = noisyFunction({ count: 40, seed: 3, noise: 0.3 });
    const val = noisyFunction({ count: 100, seed: 4, noise: 0.3 });
    const model = new Sequential({ seed: 2 });
    model.add(dense({ units: 16, activation: 'tanh', inputShape: [2] }));
    model.add(dense({ units: 1 }));
    model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 0.05 } });
    const path = testTempDir('oxnet-ckpt-').file('best.oxnet');
    const ckpt = modelCheckpoint({ path });
    const history = await model.fit(train.x, train.y, { epochs: 40, batchSize: 8, validationData: [val.x, val.y], callbacks: [ckpt] });
    const bestEpoch = history.valLoss.indexOf(Math.min(...history.valLoss));
    // one save per new best; the file holds the best epoch's weights (same validation loss)
    expect(ckpt.saved.length).toBeGreaterThan(1);
    expect(bestEpoch).toBeLessThan(39); // the run went past its best epoch, so the check means something
    expect(loadModel(path).evaluate(val.x, val.y).loss).toBeCloseTo(history.valLoss[bestEpoch], 5);
  });
});
