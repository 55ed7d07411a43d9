// NetworkRunner.trainEpochs: whole epochs in one call must be exactly the epoch-by-epoch trainSync
// it replaces (same orders, same steps, epoch means weighted by batch size), on each backend, and
// agree native vs js within 1e-5 + 1e-4 |js|. fit's one-call path must give the same history and
// weights as the per-epoch path (forced by a no-op onEpochEnd callback).
import { expect, it } from 'vitest';
import type { Backend } from '../../src/backend/types';
import { type ChainSpec, createChain } from '../helpers/chain';
import { shuffledIndices } from '../../src/random';
import { closeness, describeBackends, describeNativeVsJs } from '../helpers/backends';
import { randomF32, seeded } from '../helpers/random';
import { layers, sequential, sgd } from '../../src/index';

const near = (a: ArrayLike<number>, b: ArrayLike<number>) => expect(closeness(a, b)).toBeNull();

// 5 inputs -> 4 sigmoid -> 3 softmax, Adam; 10 samples in batches of 4 (a short last batch).
const SPEC: ChainSpec = {
  inputSize: 5,
  layers: [
    { type: 'dense', inputs: 5, units: 4, useBias: true, activation: { kind: 'sigmoid' } },
    { type: 'dense', inputs: 4, units: 3, useBias: true, activation: { kind: 'softmax' } },
  ],
  loss: { kind: 'softmaxCrossEntropy' },
  optimizer: { kind: 'adam', lr: 0.05 },
  seed: 3,
};
const COUNT = 10;

function setup(backend: Backend) {
  const rng = seeded(11);
  const params = [randomF32(rng, 20), randomF32(rng, 4), randomF32(rng, 12), randomF32(rng, 3)];
  const x = randomF32(rng, COUNT * 5);
  const y = new Float32Array(COUNT * 3);
  for (let i = 0; i < COUNT; i++) y[i * 3 + (i % 3)] = 1;
  return { runner: createChain(backend, SPEC, params), data: backend.createDataset([x], [y], COUNT), params };
}

/** The epoch-by-epoch reference: trainSync per epoch, means weighted by batch size. */
function epochByEpoch(backend: Backend, orders: Uint32Array[], batchSize: number) {
  const { runner, data } = setup(backend);
  const batches = Math.ceil(COUNT / batchSize);
  const losses: number[] = [];
  const correct: number[] = [];
  orders.forEach((order, e) => {
    const s = runner.trainSync(data, order, batchSize, 0.05, 7 + e * batches);
    let sum = 0;
    s.losses.forEach((l, b) => {
      sum += l * Math.min(batchSize, COUNT - b * batchSize);
    });
    losses.push(sum / COUNT);
    correct.push(s.correct.reduce((a, c) => a + c, 0));
  });
  return { losses, correct, params: runner.getParams() };
}

describeBackends((backend) => {
  it('shuffle seeds, given orders and identity equal trainSync epoch by epoch, bit for bit', () => {
    const seeds = Uint32Array.from([5, 6, 7]);
    const shuffled = [...seeds].map((s) => shuffledIndices(COUNT, s));
    const identity = Uint32Array.from({ length: COUNT }, (_, i) => i);
    const cases = [
      { plan: { shuffleSeeds: seeds }, orders: shuffled },
      { plan: { orders: Uint32Array.from(shuffled.flatMap((o) => [...o])) }, orders: shuffled },
      { plan: {}, orders: [identity, identity, identity] },
    ];
    for (const c of cases) {
      const { runner, data } = setup(backend);
      const stats = runner.trainEpochsSync(data, { epochs: 3, batchSize: 4, lr: 0.05, step: 7, ...c.plan });
      const ref = epochByEpoch(backend, c.orders, 4);
      expect(stats.epochs).toBe(3);
      expect(stats.nonFiniteBatch).toBe(-1);
      expect([...stats.losses]).toEqual(ref.losses);
      // One output: epochs x 1 per-output losses (the total) and correct counts summed over the epoch.
      expect([...stats.outputLosses]).toEqual(ref.losses);
      expect([...stats.correct]).toEqual(ref.correct);
      runner.getParams().forEach((p, i) => {
        expect(p).toEqual(ref.params[i]);
      });
    }
  });

  it('stopBelow ends after the first epoch whose mean loss is below it', async () => {
    const { runner, data } = setup(backend);
    const all = runner.trainEpochsSync(data, { epochs: 30, batchSize: 4, lr: 0.05, step: 0 });
    // A threshold between epoch 12's and epoch 13's mean (the loss falls on this easy set).
    const threshold = (all.losses[11] + all.losses[12]) / 2;
    expect(all.losses[12]).toBeLessThan(all.losses[11]);
    const again = setup(backend);
    const stopped = await again.runner.trainEpochs(again.data, { epochs: 30, batchSize: 4, lr: 0.05, step: 0, stopBelow: threshold });
    const first = all.losses.findIndex((l) => l < threshold);
    expect(stopped.epochs).toBe(first + 1);
    expect([...stopped.losses]).toEqual([...all.losses.subarray(0, first + 1)]);
  });

  it('refuses both orderings at once and orders of the wrong length', () => {
    const { runner, data } = setup(backend);
    const plan = { epochs: 2, batchSize: 4, lr: 0.05, step: 0 };
    expect(() => runner.trainEpochsSync(data, { ...plan, shuffleSeeds: new Uint32Array(2), orders: new Uint32Array(20) })).toThrow(/not both/);
    expect(() => runner.trainEpochsSync(data, { ...plan, orders: new Uint32Array(19) })).toThrow(/orders/);
    expect(() => runner.trainEpochsSync(data, { ...plan, shuffleSeeds: new Uint32Array(1) })).toThrow(/shuffleSeeds/);
    // A step that is not a non-negative integer is refused before any epoch runs (a BigInt was a TypeError on js).
    for (const step of [-1, 1.5, 2n]) {
      expect(() => runner.trainEpochsSync(data, { ...plan, step: step as number })).toThrow(expect.objectContaining({ code: 'E_ARG' }));
    }
  });

  it("fit in one call gives the per-epoch path's history and weights; stopBelowLoss stops both alike", async () => {
    const X = [0, 0, 0, 1, 1, 0, 1, 1];
    const T = [0, 1, 1, 0];
    const run = async (perEpoch: boolean, opts: object) => {
      const model = sequential({
        seed: 4,
        backend: backend.name,
        layers: [layers.dense({ units: 3, activation: 'sigmoid', inputShape: [2] }), layers.dense({ units: 1, activation: 'sigmoid' })],
      });
      model.compile({ loss: 'halfSse', optimizer: sgd({ lr: 0.5 }), metrics: ['acc'] });
      const callbacks = perEpoch ? [{ onEpochEnd: () => undefined }] : [];
      const h = await model.fit(X, T, { epochs: 300, batchSize: 1, callbacks, ...opts });
      return { h, params: model.getWeights() };
    };
    // A threshold the run crosses by epoch 150: just above epoch 149's mean loss.
    const full = (await run(false, {})).h.history.loss;
    const threshold = full[149] * (1 + 1e-9);
    const first = full.findIndex((l) => l < threshold);
    for (const opts of [{ shuffle: false }, {}, { stopBelowLoss: threshold }]) {
      const [one, per] = [await run(false, opts), await run(true, opts)];
      expect(one.h.history).toEqual(per.h.history);
      one.params.forEach((p, i) => {
        expect(p).toEqual(per.params[i]);
      });
    }
    const stopped = await run(false, { stopBelowLoss: threshold });
    expect(stopped.h.history.loss).toEqual(full.slice(0, first + 1));
  });
});

describeNativeVsJs('trainEpochs', (native, js) => {
  it('Adam over 4 shuffled epochs agrees: epoch losses and parameters', () => {
    const plan = { epochs: 4, batchSize: 4, lr: 0.05, step: 0, shuffleSeeds: Uint32Array.from([1, 2, 3, 4]) };
    const [n, j] = [setup(native), setup(js)];
    const [sn, sj] = [n.runner.trainEpochsSync(n.data, plan), j.runner.trainEpochsSync(j.data, plan)];
    near(sn.losses, sj.losses);
    n.runner.getParams().forEach((p, i) => {
      near(p, j.runner.getParams()[i]);
    });
  });
});
