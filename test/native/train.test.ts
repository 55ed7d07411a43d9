// The native executor through N-API: train() really runs off the JS thread, trainSync and train
// share one function (identical numbers), predictAsync equals predict.
import { describe, expect, it } from 'vitest';
import { loadNativeBackend, loadNativeBinding } from '../../src/backend/native';
import { type ChainSpec, createChain } from '../helpers/chain';

const native = loadNativeBackend();

/** Deterministic values in [-1, 1) from mulberry32 (docs/kernels.md). */
function uniform(n: number, seed: number): Float32Array {
  let a = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function mlp(inputs: number, hidden: number, classes: number): { spec: ChainSpec; params: Float32Array[] } {
  const spec: ChainSpec = {
    inputSize: inputs,
    layers: [
      { type: 'dense', inputs, units: hidden, useBias: true, activation: { kind: 'relu' } },
      { type: 'dense', inputs: hidden, units: classes, useBias: true, activation: { kind: 'softmax' } },
    ],
    loss: { kind: 'softmaxCrossEntropy' },
    optimizer: { kind: 'adam', lr: 1e-3 },
    seed: 5,
  };
  const scale = (a: Float32Array, s: number) => a.map((v) => v * s);
  const params = [scale(uniform(inputs * hidden, 1), 0.05), new Float32Array(hidden), scale(uniform(hidden * classes, 2), 0.1), new Float32Array(classes)];
  return { spec, params };
}

function oneHotData(count: number, inputs: number, classes: number) {
  const x = uniform(count * inputs, 3);
  const y = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) y[i * classes + (i % classes)] = 1;
  return native.createDataset([x], [y], count);
}

describe('native training', () => {
  it('trainSync and train give identical losses, counts and parameters', async () => {
    const { spec, params } = mlp(8, 16, 3);
    const data = oneHotData(50, 8, 3);
    const order = Uint32Array.from({ length: 50 }, (_, i) => (i * 7) % 50);
    const a = createChain(native, spec, params);
    const b = createChain(native, spec, params);
    const sa = a.trainSync(data, order, 8, 0.01, 0);
    const sb = await b.train(data, order, 8, 0.01, 0);
    expect(sa.losses.length).toBe(7); // ceil(50 / 8) batches
    expect(Array.from(sb.losses)).toEqual(Array.from(sa.losses));
    expect(Array.from(sb.correct)).toEqual(Array.from(sa.correct));
    expect(sb.nonFiniteBatch).toBe(-1);
    const pa = a.getParams();
    const pb = b.getParams();
    pa.forEach((p, i) => {
      expect(Array.from(pb[i])).toEqual(Array.from(p));
    });
    // The first loss is close to ln 3 (near-uniform softmax of small logits).
    expect(Math.abs(sa.losses[0] - Math.log(3))).toBeLessThan(0.1);
  });

  it('train() leaves the event loop free while a larger network trains', async () => {
    const { spec, params } = mlp(256, 256, 10);
    const net = createChain(native, spec, params);
    const data = oneHotData(1000, 256, 10);
    const order = Uint32Array.from({ length: 16000 }, (_, i) => i % 1000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    const started = performance.now();
    const promise = net.train(data, order, 32, 1e-3, 0);
    // While the job runs the network is busy: a sync call refuses instead of blocking the loop.
    expect(() => net.predict([new Float32Array(256)], 1)).toThrow(/busy/);
    const stats = await promise;
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(stats.losses.length).toBe(500); // 16000 / 32
    expect(stats.nonFiniteBatch).toBe(-1);
    // The timer fired during training: at least a few ticks per 10 ms of training.
    expect(elapsed).toBeGreaterThan(20);
    expect(ticks).toBeGreaterThanOrEqual(Math.min(5, Math.floor(elapsed / 20)));
  });

  it('predictAsync equals predict; predictValue gives the hidden layer', async () => {
    const { spec, params } = mlp(4, 5, 2);
    const net = createChain(native, spec, params);
    const x = uniform(12, 9);
    const [sync] = net.predict([x], 3);
    const asyncOut = await net.predictAsync([x], 3);
    expect(asyncOut.length).toBe(1);
    expect(Array.from(asyncOut[0])).toEqual(Array.from(sync));
    // Rows of a softmax output sum to 1.
    for (let r = 0; r < 3; r++) expect(sync[2 * r] + sync[2 * r + 1]).toBeCloseTo(1, 6);
    const hidden = net.predictValue([x], 3, 1); // value 1: the first layer's output
    expect(hidden.length).toBe(15);
    // Hidden = relu(x W1 + b1) computed here by hand loops (b1 = 0).
    const w1 = params[0];
    for (let r = 0; r < 3; r++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let i = 0; i < 4; i++) s += x[r * 4 + i] * w1[i * 5 + j];
        expect(hidden[r * 5 + j]).toBeCloseTo(Math.max(0, s), 5);
      }
    }
  });

  it('setParams / resetOptimizer / getState round-trip', () => {
    const { spec, params } = mlp(4, 5, 2);
    const net = createChain(native, spec, params);
    const zeros = params.map((p) => new Float32Array(p.length));
    net.setParams(zeros);
    expect(net.getParams().every((p) => p.every((v) => v === 0))).toBe(true);
    net.resetOptimizer();
    expect(net.getState()).toEqual([]);
  });

  it('a data set whose targets are its inputs is copied once and trains like a copied one', () => {
    const spec: ChainSpec = {
      inputSize: 64,
      layers: [
        { type: 'dense', inputs: 64, units: 8, useBias: true, activation: { kind: 'sigmoid' } },
        { type: 'dense', inputs: 8, units: 64, useBias: true, activation: { kind: 'sigmoid' } },
      ],
      loss: { kind: 'mse' },
      optimizer: { kind: 'adam', lr: 1e-2 },
      seed: 5,
    };
    const params = [uniform(512, 1).map((v) => v * 0.1), new Float32Array(8), uniform(512, 2).map((v) => v * 0.1), new Float32Array(64)];
    const x = uniform(4096 * 64, 3).map((v) => (v + 1) / 2); // 1 MiB
    const live = () => loadNativeBinding().liveAllocations!().bytes;
    const before = live();
    const shared = native.createDataset([x], [x], 4096);
    const sharedBytes = live() - before;
    const copied = native.createDataset([x], [x.slice()], 4096);
    const copiedBytes = live() - before - sharedBytes;
    expect(sharedBytes).toBeGreaterThanOrEqual(x.byteLength);
    expect(sharedBytes).toBeLessThan(1.1 * x.byteLength);
    expect(copiedBytes).toBeGreaterThanOrEqual(2 * x.byteLength);
    const order = Uint32Array.from({ length: 4096 }, (_, i) => (i * 17) % 4096);
    const a = createChain(native, spec, params);
    const b = createChain(native, spec, params);
    const sa = a.trainSync(shared, order, 64, 1e-2, 0);
    const sb = b.trainSync(copied, order, 64, 1e-2, 0);
    expect(Array.from(sa.losses)).toEqual(Array.from(sb.losses));
    expect(a.getParams()).toEqual(b.getParams());
  });
});
