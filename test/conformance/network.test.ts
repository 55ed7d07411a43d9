// The network executor of each backend against the float64 reference composition
// (test/helpers/reference.ts, written from docs/kernels.md): a few batches of small MLPs with
// every loss and optimizer, then the runner's other duties (predict, params, state, errors).
import { expect, it } from 'vitest';
import type { ActivationSpec, Backend } from '../../src/backend/types';
import { describeBackends, closeness } from '../helpers/backends';
import { type ChainLayer, type ChainSpec, chain, createChain } from '../helpers/chain';
import { referenceTrain } from '../helpers/reference';
import { oneHotRows, randomF32, seeded, type Rng } from '../helpers/random';
import { shuffledIndices } from '../../src/random';
import { layers, sequential } from '../../src/index';

const dense = (inputs: number, units: number, activation: ActivationSpec, useBias = true): ChainLayer => ({
  type: 'dense',
  inputs,
  units,
  useBias,
  activation,
});

interface Case {
  name: string;
  spec: ChainSpec;
}

const CASES: Case[] = [
  {
    name: 'halfSse + sgd, sigmoid(beta 2) output',
    spec: {
      inputSize: 3,
      layers: [dense(3, 4, { kind: 'tanh' }), dense(4, 2, { kind: 'sigmoid', beta: 2 })],
      loss: { kind: 'halfSse' },
      optimizer: { kind: 'sgd', lr: 0.3 },
      seed: 1,
    },
  },
  {
    name: 'mse + sgd momentum 0.9 + L2 1e-3, tanh output',
    spec: {
      inputSize: 3,
      layers: [dense(3, 5, { kind: 'relu' }), dense(5, 2, { kind: 'tanh' })],
      loss: { kind: 'mse' },
      optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 1e-3 },
      seed: 1,
    },
  },
  {
    name: 'binaryCrossEntropy + adam, sigmoid(beta 2) single output',
    spec: {
      inputSize: 3,
      layers: [dense(3, 4, { kind: 'leakyRelu', alpha: 0.1 }), dense(4, 1, { kind: 'sigmoid', beta: 2 })],
      loss: { kind: 'binaryCrossEntropy' },
      optimizer: { kind: 'adam', lr: 0.01 },
      seed: 1,
    },
  },
  {
    // Plain sgd here: Adam is blind to a constant gradient scale, so only sgd sees the beta factor.
    name: 'binaryCrossEntropy + sgd, sigmoid(beta 0.5) output of 2',
    spec: {
      inputSize: 3,
      layers: [dense(3, 4, { kind: 'tanh' }), dense(4, 2, { kind: 'sigmoid', beta: 0.5 })],
      loss: { kind: 'binaryCrossEntropy' },
      optimizer: { kind: 'sgd', lr: 0.5 },
      seed: 1,
    },
  },
  {
    name: 'binaryCrossEntropy + sgd nesterov, linear output of 3',
    spec: {
      inputSize: 3,
      layers: [dense(3, 4, { kind: 'sigmoid' }), dense(4, 3, { kind: 'linear' })],
      loss: { kind: 'binaryCrossEntropy' },
      optimizer: { kind: 'sgd', lr: 0.2, momentum: 0.8, nesterov: true },
      seed: 1,
    },
  },
  {
    name: 'softmaxCrossEntropy + adamw (decoupled decay 0.01), softmax output',
    spec: {
      inputSize: 3,
      layers: [dense(3, 6, { kind: 'relu' }), dense(6, 4, { kind: 'softmax' })],
      loss: { kind: 'softmaxCrossEntropy' },
      optimizer: { kind: 'adam', lr: 0.02, weightDecay: 0.01, decoupled: true },
      seed: 1,
    },
  },
  {
    name: 'softmaxCrossEntropy + adam with L2 and custom betas, linear output, no bias, activation layer between',
    spec: {
      inputSize: 3,
      layers: [dense(3, 5, { kind: 'linear' }, false), { type: 'activation', size: 5, activation: { kind: 'tanh' } }, dense(5, 3, { kind: 'linear' }, false)],
      loss: { kind: 'softmaxCrossEntropy' },
      optimizer: { kind: 'adam', lr: 0.05, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 1e-3 },
      seed: 1,
    },
  },
  {
    name: 'perceptron + sgd, step output (the course perceptron rule)',
    spec: { inputSize: 3, layers: [dense(3, 2, { kind: 'step' })], loss: { kind: 'perceptron' }, optimizer: { kind: 'sgd', lr: 0.5 }, seed: 1 },
  },
];

function initParams(spec: ChainSpec, rng: Rng): Float32Array[] {
  const out: Float32Array[] = [];
  for (const l of spec.layers) {
    if (l.type !== 'dense') continue;
    out.push(randomF32(rng, l.inputs * l.units, -0.8, 0.8));
    if (l.useBias) out.push(randomF32(rng, l.units, -0.2, 0.2));
  }
  return out;
}

function outputSize(spec: ChainSpec): number {
  const last = spec.layers[spec.layers.length - 1];
  return last.type === 'dense' ? last.units : (last as { size: number }).size;
}

function dataFor(spec: ChainSpec, rng: Rng, count: number): { x: Float32Array; y: Float32Array } {
  const width = outputSize(spec);
  const x = randomF32(rng, count * spec.inputSize, -1, 1);
  let y: Float32Array;
  if (spec.loss.kind === 'softmaxCrossEntropy') y = Float32Array.from(oneHotRows(rng, count, width));
  else if (spec.loss.kind === 'perceptron') y = randomF32(rng, count * width, 0, 1).map((u) => (u < 0.5 ? 0 : 1));
  else y = randomF32(rng, count * width, 0, 1);
  return { x, y };
}

const near = (a: ArrayLike<number>, b: ArrayLike<number>) => expect(closeness(a, b)).toBeNull();

describeBackends((backend: Backend) => {
  const dataset = (x: Float32Array, y: Float32Array, n: number) => backend.createDataset([x], [y], n);

  for (const { name, spec } of CASES) {
    it(`${name}: 13 samples, batch 4 (last batch 1), step 3, lr override — matches the reference`, () => {
      const rng = seeded(404);
      const params = initParams(spec, rng);
      const { x, y } = dataFor(spec, rng, 13);
      const order = shuffledIndices(13, 7);
      const runner = createChain(backend, spec, params);
      const stats = runner.trainSync(dataset(x, y, 13), order, 4, spec.optimizer.lr * 0.5, 3);
      const ref = referenceTrain(spec, params, x, y, order, 4, spec.optimizer.lr * 0.5, 3);
      expect(stats.nonFiniteBatch).toBe(-1);
      expect(stats.losses.length).toBe(4);
      near(stats.losses, ref.losses);
      // One output of weight 1: its loss is the total, and correct has one column.
      expect(Array.from(stats.outputLosses)).toEqual(Array.from(stats.losses));
      expect(Array.from(stats.correct)).toEqual(ref.correct);
      const got = runner.getParams();
      expect(got.length).toBe(ref.params.length);
      got.forEach((p, i) => {
        near(p, ref.params[i]);
      });
    });
  }

  it('train() resolves to what trainSync gives from the same start', async () => {
    const { spec } = CASES[5];
    const rng = seeded(405);
    const params = initParams(spec, rng);
    const { x, y } = dataFor(spec, rng, 10);
    const order = shuffledIndices(10, 1);
    const a = createChain(backend, spec, params);
    const b = createChain(backend, spec, params);
    const sa = a.trainSync(dataset(x, y, 10), order, 3, 0.01, 0);
    const sb = await b.train(dataset(x, y, 10), order, 3, 0.01, 0);
    expect(Array.from(sb.losses)).toEqual(Array.from(sa.losses));
    b.getParams().forEach((p, i) => {
      expect(Array.from(p)).toEqual(Array.from(a.getParams()[i]));
    });
  });

  it('predict and predictValue match the reference forward; predictAsync agrees', async () => {
    const { spec } = CASES[6];
    const rng = seeded(406);
    const params = initParams(spec, rng);
    const x = randomF32(rng, 5 * 3);
    const runner = createChain(backend, spec, params);
    // Reference forward by hand: value 1 = x W1 (linear dense), value 2 = tanh of it, value 3 = h W2.
    const [w1, w2] = params;
    const z = new Float64Array(5 * 5);
    const h = new Float64Array(5 * 5);
    const out = new Float64Array(5 * 3);
    for (let r = 0; r < 5; r++) {
      for (let j = 0; j < 5; j++) {
        let s = 0;
        for (let i = 0; i < 3; i++) s += x[r * 3 + i] * w1[i * 5 + j];
        z[r * 5 + j] = s;
        h[r * 5 + j] = Math.tanh(s);
      }
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let i = 0; i < 5; i++) s += h[r * 5 + i] * w2[i * 3 + j];
        out[r * 3 + j] = s;
      }
    }
    const pred = runner.predict([x], 5);
    expect(pred.length).toBe(1);
    near(pred[0], out);
    const pa = await runner.predictAsync([x], 5);
    expect(pa.length).toBe(1);
    near(pa[0], out);
    // Value l + 1 is the output of layer l; value 0 is the input itself.
    near(runner.predictValue([x], 5, 2), h);
    near(runner.predictValue([x], 5, 1), z);
    expect(Array.from(runner.predictValue([x], 5, 0))).toEqual(Array.from(x));
    near(runner.predictValue([x], 5, 3), out);
  });

  it('stops at the first batch with a non-finite loss, before updating', () => {
    const { spec } = CASES[0];
    const rng = seeded(407);
    const params = initParams(spec, rng);
    const { x, y } = dataFor(spec, rng, 8);
    x[5 * 3 + 1] = NaN; // sample 5 sits in batch 2 of order 0..7 with batch size 2
    const order = Uint32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const runner = createChain(backend, spec, params);
    const stats = runner.trainSync(dataset(x, y, 8), order, 2, 0.3, 0);
    expect(stats.nonFiniteBatch).toBe(2);
    expect(stats.losses.length).toBe(3);
    const prefix = referenceTrain(spec, params, x, y, order.subarray(0, 4), 2, 0.3, 0);
    runner.getParams().forEach((p, i) => {
      near(p, prefix.params[i]);
    });
  });

  it('getParams returns copies, setParams copies in, resetOptimizer clears the moments', () => {
    const { spec } = CASES[2];
    const rng = seeded(408);
    const params = initParams(spec, rng);
    const { x, y } = dataFor(spec, rng, 6);
    const order = shuffledIndices(6, 2);
    const runner = createChain(backend, spec, params);
    const copy = runner.getParams();
    copy[0][0] = 1234;
    expect(runner.getParams()[0][0]).toBe(params[0][0]);
    const data = dataset(x, y, 6);
    runner.trainSync(data, order, 3, 0.01, 0);
    const trained = runner.getParams();
    runner.resetOptimizer();
    runner.trainSync(data, order, 3, 0.01, 2);
    // A fresh runner from the trained params (zero moments) must land on the same values.
    const fresh = createChain(backend, spec, trained);
    fresh.trainSync(data, order, 3, 0.01, 2);
    runner.getParams().forEach((p, i) => {
      expect(Array.from(p)).toEqual(Array.from(fresh.getParams()[i]));
    });
    runner.setParams(params);
    runner.getParams().forEach((p, i) => {
      expect(Array.from(p)).toEqual(Array.from(params[i]));
    });
    expect(runner.getState()).toEqual([]);
  });

  it('learns XOR like the course: 2-2-1 sigmoid, E = 1/2 (y - t)^2, per-sample SGD, lr 0.5', () => {
    const spec: ChainSpec = {
      inputSize: 2,
      layers: [dense(2, 2, { kind: 'sigmoid' }), dense(2, 1, { kind: 'sigmoid' })],
      loss: { kind: 'halfSse' },
      optimizer: { kind: 'sgd', lr: 0.5 },
      seed: 1,
    };
    const x = Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
    const y = Float32Array.from([0, 1, 1, 0]);
    // Fixed start near the course's hand solution region so convergence does not hinge on luck.
    const params = [Float32Array.from([3, -3, 3, -3]), Float32Array.from([-1, 1]), Float32Array.from([2, 2]), Float32Array.from([-3])];
    const runner = createChain(backend, spec, params);
    const data = dataset(x, y, 4);
    const order = Uint32Array.from([0, 1, 2, 3]);
    let epoch = 0;
    let mse = 1;
    for (; epoch < 10000 && mse >= 0.01; epoch++) {
      runner.trainSync(data, order, 1, 0.5, epoch * 4);
      const [out] = runner.predict([x], 4);
      mse = out.reduce((s, v, i) => s + (v - y[i]) ** 2, 0) / 4;
    }
    expect(mse).toBeLessThan(0.01);
    expect(Array.from(runner.predict([x], 4)[0]).map((v) => (v >= 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
  });

  it('refuses bad configurations and arguments with codes', () => {
    const { spec } = CASES[0];
    const params = initParams(spec, seeded(409));
    const { spec: graph, state } = chain(spec);
    const code = (code: string) => expect.objectContaining({ code });
    expect(() => backend.createNetwork(graph, params.slice(1), state)).toThrow(code('E_SHAPE'));
    expect(() => backend.createNetwork(graph, [params[0].subarray(1), ...params.slice(1)], state)).toThrow(code('E_SHAPE'));
    // The executor applies the pairing it is given and refuses only what it cannot run: a
    // non-from-logits loss marked from logits. (compile() refuses a loss its output cannot pair with.)
    const mseFromLogits = { ...graph, outputs: [{ ...graph.outputs[0], fromLogits: true }] };
    expect(() => backend.createNetwork(mseFromLogits, params, state)).toThrow(code('E_CONFIG'));
    // A hole where an output should be (JSON sends null): refused, not a TypeError.
    expect(() => backend.createNetwork({ ...graph, outputs: new Array(1) }, params, state)).toThrow(code('E_CONFIG'));
    expect(() =>
      sequential({ layers: [layers.dense({ units: 2, activation: 'sigmoid', inputShape: [3] })], backend: backend.name }).compile({
        loss: 'softmaxCrossEntropy',
      }),
    ).toThrow(expect.objectContaining({ code: 'E_CONFIG', message: expect.stringMatching(/softmaxCrossEntropy.*softmax or linear.*sigmoid/) }));
    // The first dense takes 3 inputs: a chain fed 4 is miswired.
    expect(() => createChain(backend, { ...spec, inputSize: 4 }, params)).toThrow(code('E_CONFIG'));
    const runner = createChain(backend, spec, params);
    const wrongWidth = backend.createDataset([new Float32Array(6)], [new Float32Array(3)], 3);
    expect(() => runner.trainSync(wrongWidth, Uint32Array.from([0]), 1, 0.1, 0)).toThrow(code('E_SHAPE'));
    expect(() => runner.predict([new Float32Array(5)], 2)).toThrow(code('E_SHAPE'));
  });
});
