// Background work never reads memory JavaScript can change (issue 7): right after starting an
// async fit / predictAsync / runner.train, the test overwrites the source arrays with NaN and
// detaches their buffers (structuredClone transfer). The results must equal, bit for bit, a run
// on untouched copies (the reference is the same code on the same seed), and nothing may crash.
import { describe, expect, it } from 'vitest';
import { layers, Sequential, adam } from '../../src/index';
import { backendByName } from '../../src/backend/index';
import { backends } from '../model/helpers';
import { type ChainSpec, createChain } from '../helpers/chain';

/** Overwrites then detaches `a`'s buffer: any later read sees NaN or a zero-length view. */
function clobber(...arrays: (Float32Array | Uint32Array)[]): void {
  for (const a of arrays) {
    if (a instanceof Float32Array) a.fill(NaN);
    else a.fill(0xffffffff);
    structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] });
    expect(a.length).toBe(0); // detached
  }
}

function data(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 4; j++) x[i * 4 + j] = Math.sin(seed + i * 1.3 + j);
    y[i * 2 + (x[i * 4] > 0 ? 0 : 1)] = 1;
  }
  return { x, y };
}

describe.each(backends())('source arrays changed while work runs (%s backend)', (backend) => {
  const model = () => {
    const m = new Sequential({ seed: 11, backend });
    m.add(layers.dense({ units: 16, activation: 'relu', inputDim: 4 }));
    m.add(layers.dense({ units: 2, activation: 'softmax' }));
    // The mse metric makes fit re-read the training set after every epoch.
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }), metrics: ['accuracy', 'mse'] });
    return m;
  };

  it('fit with validationData: weights and history unchanged by mutation + detach', async () => {
    const ref = model();
    const d = data(300, 1);
    const v = data(50, 2);
    const refHistory = await ref.fit(d.x.slice(), d.y.slice(), { epochs: 3, batchSize: 16, validationData: [v.x.slice(), v.y.slice()] });

    const m = model();
    const pending = m.fit(d.x, d.y, { epochs: 3, batchSize: 16, validationData: [v.x, v.y] });
    clobber(d.x, d.y, v.x, v.y);
    const history = await pending;
    expect(m.getWeights()).toEqual(ref.getWeights());
    expect(history.history).toEqual(refHistory.history);
  });

  it('predictAsync over several chunks: output unchanged by mutation + detach', async () => {
    const m = model();
    const d = data(9000, 3); // > 2 chunks of 4096 samples: later chunks start after an await
    const expected = m.predict(d.x.slice());
    const pending = m.predictAsync(d.x);
    clobber(d.x);
    const out = await pending;
    expect(out).toEqual(expected);
  });

  it('runner.train and runner.predictAsync copy their inputs before the task starts', async () => {
    const b = backendByName(backend);
    const spec: ChainSpec = {
      inputSize: 4,
      layers: [{ type: 'dense', inputs: 4, units: 2, useBias: true, activation: { kind: 'softmax' } }],
      loss: { kind: 'softmaxCrossEntropy' },
      optimizer: { kind: 'sgd', lr: 0.1 },
      seed: 1,
    };
    const w0 = [new Float32Array(8).map((_, i) => (i - 4) / 10), new Float32Array(2)];
    const d = data(64, 4);
    const order = new Uint32Array(64).map((_, i) => (i * 7) % 64);

    const ref = createChain(
      b,
      spec,
      w0.map((w) => w.slice()),
    );
    const refStats = await ref.train(b.createDataset([d.x.slice()], [d.y.slice()], 64), order.slice(), 8, 0.1, 0);
    const refOut = await ref.predictAsync([d.x.slice()], 64);

    const net = createChain(
      b,
      spec,
      w0.map((w) => w.slice()),
    );
    const x = d.x.slice();
    const ds = b.createDataset([x], [d.y.slice()], 64);
    clobber(x); // the dataset already holds its own copy
    const ord = order.slice();
    const training = net.train(ds, ord, 8, 0.1, 0);
    clobber(ord);
    const stats = await training;
    const px = d.x.slice();
    const predicting = net.predictAsync([px], 64);
    clobber(px);
    expect(stats.losses).toEqual(refStats.losses);
    expect(await predicting).toEqual(refOut);
    expect(refOut[0].every(Number.isFinite)).toBe(true);
    expect(net.getParams()).toEqual(ref.getParams());
  });
});
