// Whole small CNNs through the network executor.
// 1. js: the executor's gradients through conv / pooling / batch norm / dropout layers match finite
//    differences of its own training loss (float32 network, so a loose 1e-3 bound; wiring mistakes
//    such as a missing activation derivative or a wrong scale give errors of order 1).
// 2. native vs js: the same tiny CNNs trained a few Adam steps land on the same parameters, losses
//    and batch-norm running statistics (|a - b| <= 1e-5 + 1e-4 |b|).
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/types';
import { jsBackend } from '../../src/backend/js';
import { closeness, describeBackends, describeNativeVsJs } from '../helpers/backends';
import { type ChainLayer, type ChainSpec, createChain } from '../helpers/chain';
import { relativeError } from '../helpers/gradcheck';
import { oneHotRows, randomF32, seeded, type Rng } from '../helpers/random';

const IN: [number, number, number] = [6, 6, 2];

function spec(layers: ChainLayer[], lr = 0.01): ChainSpec {
  return { inputSize: 72, layers, loss: { kind: 'softmaxCrossEntropy' }, optimizer: { kind: 'adam', lr }, seed: 5 };
}

const same5x5 = (inShape: [number, number, number], filters: number): ChainLayer => ({
  type: 'conv2d',
  inShape,
  filters,
  kernel: [5, 5],
  strides: [1, 1],
  padding: [2, 2, 2, 2],
  dilation: [1, 1],
  useBias: true,
  activation: { kind: 'relu' },
});
const pool2 = (inShape: [number, number, number]): ChainLayer => ({ type: 'maxPool2d', inShape, pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] });

/**
 * The benchmark's W3 network at full size (MNIST-shaped random data), trained with SGD +
 * momentum: Adam turns a near-zero gradient's rounding into a full +-lr step, which would test
 * float32 luck rather than the kernels.
 */
const W3: ChainSpec = {
  inputSize: 784,
  layers: [
    same5x5([28, 28, 1], 8),
    pool2([28, 28, 8]),
    same5x5([14, 14, 8], 16),
    pool2([14, 14, 16]),
    { type: 'dense', inputs: 784, units: 10, useBias: true, activation: { kind: 'softmax' } },
  ],
  loss: { kind: 'softmaxCrossEntropy' },
  optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 },
  seed: 3,
};

const VARIANTS: { name: string; spec: ChainSpec; smooth: boolean }[] = [
  {
    name: 'conv 3x3x4 same relu -> maxPool 2x2 -> dense 36->3 softmax',
    smooth: false,
    spec: spec([
      {
        type: 'conv2d',
        inShape: IN,
        filters: 4,
        kernel: [3, 3],
        strides: [1, 1],
        padding: [1, 1, 1, 1],
        dilation: [1, 1],
        useBias: true,
        activation: { kind: 'relu' },
      },
      { type: 'maxPool2d', inShape: [6, 6, 4], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
      { type: 'dense', inputs: 36, units: 3, useBias: true, activation: { kind: 'softmax' } },
    ]),
  },
  {
    name: 'conv 3x3x4 same tanh -> maxPool 2x2 -> dense 36->3 softmax',
    smooth: true,
    spec: spec([
      {
        type: 'conv2d',
        inShape: IN,
        filters: 4,
        kernel: [3, 3],
        strides: [1, 1],
        padding: [1, 1, 1, 1],
        dilation: [1, 1],
        useBias: true,
        activation: { kind: 'tanh' },
      },
      { type: 'maxPool2d', inShape: [6, 6, 4], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
      { type: 'dense', inputs: 36, units: 3, useBias: true, activation: { kind: 'softmax' } },
    ]),
  },
  {
    name: 'conv 3x3x4 valid linear -> batchNorm -> tanh -> avgPool 2x2 -> dropout 0.25 -> dense 16->3 softmax',
    smooth: true,
    spec: spec([
      {
        type: 'conv2d',
        inShape: IN,
        filters: 4,
        kernel: [3, 3],
        strides: [1, 1],
        padding: [0, 0, 0, 0],
        dilation: [1, 1],
        useBias: false,
        activation: { kind: 'linear' },
      },
      { type: 'batchNorm', size: 64, channels: 4, momentum: 0.9, epsilon: 1e-3 },
      { type: 'activation', size: 64, activation: { kind: 'tanh' } },
      { type: 'avgPool2d', inShape: [4, 4, 4], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
      { type: 'dropout', size: 16, rate: 0.25 },
      { type: 'dense', inputs: 16, units: 3, useBias: true, activation: { kind: 'softmax' } },
    ]),
  },
  {
    name: 'conv 2x2x5 stride 2 dilation 2 sigmoid -> globalAvgPool -> dense 5->3 linear',
    smooth: true,
    spec: spec([
      {
        type: 'conv2d',
        inShape: IN,
        filters: 5,
        kernel: [2, 2],
        strides: [2, 2],
        padding: [0, 1, 0, 1],
        dilation: [2, 2],
        useBias: true,
        activation: { kind: 'sigmoid' },
      },
      { type: 'globalAvgPool2d', inShape: [3, 3, 5] },
      { type: 'dense', inputs: 5, units: 3, useBias: true, activation: { kind: 'linear' } },
    ]),
  },
  {
    // The second conv has a 3x3x128 patch: native runs it through im2col + GEMM both ways.
    name: 'conv 3x3x128 same relu -> conv 3x3x64 (im2col on native) tanh -> globalAvgPool -> dense 64->3 softmax',
    smooth: false,
    // SGD + momentum, as for W3 below: Adam would turn near-zero gradients' rounding into +-lr steps.
    spec: {
      ...spec([
        {
          type: 'conv2d',
          inShape: IN,
          filters: 128,
          kernel: [3, 3],
          strides: [1, 1],
          padding: [1, 1, 1, 1],
          dilation: [1, 1],
          useBias: true,
          activation: { kind: 'relu' },
        },
        {
          type: 'conv2d',
          inShape: [6, 6, 128],
          filters: 64,
          kernel: [3, 3],
          strides: [1, 1],
          padding: [1, 1, 1, 1],
          dilation: [1, 1],
          useBias: true,
          activation: { kind: 'tanh' },
        },
        { type: 'globalAvgPool2d', inShape: [6, 6, 64] },
        { type: 'dense', inputs: 64, units: 3, useBias: true, activation: { kind: 'softmax' } },
      ]),
      optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 },
    },
  },
];

/** Parameters in docs/kernels.md order, random but of sensible scale. */
function initParams(s: ChainSpec, rng: Rng): Float32Array[] {
  const out: Float32Array[] = [];
  for (const l of s.layers) {
    if (l.type === 'conv2d') {
      out.push(randomF32(rng, l.kernel[0] * l.kernel[1] * l.inShape[2] * l.filters, -0.5, 0.5));
      if (l.useBias) out.push(randomF32(rng, l.filters, -0.1, 0.1));
    } else if (l.type === 'dense') {
      out.push(randomF32(rng, l.inputs * l.units, -0.5, 0.5));
      if (l.useBias) out.push(randomF32(rng, l.units, -0.1, 0.1));
    } else if (l.type === 'batchNorm') {
      out.push(randomF32(rng, l.channels, 0.8, 1.2), randomF32(rng, l.channels, -0.1, 0.1));
    }
  }
  return out;
}

function data(rng: Rng, count: number, inputs = 72, classes = 3): { x: Float32Array; y: Float32Array } {
  return { x: randomF32(rng, count * inputs, 0, 1), y: Float32Array.from(oneHotRows(rng, count, classes)) };
}

describe('tiny CNNs on the js executor: gradients vs finite differences of the training loss', () => {
  VARIANTS.filter((v) => v.smooth).forEach((v, i) => {
    it(v.name, () => {
      const rng = seeded(1500 + i);
      const params = initParams(v.spec, rng);
      const { x, y } = data(rng, 5);
      const ds = jsBackend.createDataset([x], [y], 5);
      const order = Uint32Array.from([0, 1, 2, 3, 4]);
      // Plain SGD with lr 1: one batch moves each parameter by exactly -gradient.
      const sgd: ChainSpec = { ...v.spec, optimizer: { kind: 'sgd', lr: 1 } };
      const lossAt = (p: Float32Array[]) => createChain(jsBackend, sgd, p).trainSync(ds, order, 5, 1, 2).losses[0];
      const runner = createChain(jsBackend, sgd, params);
      runner.trainSync(ds, order, 5, 1, 2);
      const after = runner.getParams();
      // Small enough that no max-pool winner changes (h = 1e-2 flips one: error 5e-3), large
      // enough that float32 rounding of the loss stays below 1e-4 relative.
      const h = 1e-3;
      params.forEach((p, k) => {
        const analytic = p.map((v0, j) => v0 - after[k][j]);
        const numeric = new Float64Array(p.length);
        for (let j = 0; j < p.length; j++) {
          const probe = params.map((q) => q.slice());
          probe[k][j] = p[j] + h;
          const plus = lossAt(probe);
          probe[k][j] = p[j] - h;
          numeric[j] = (plus - lossAt(probe)) / (2 * h);
        }
        expect(relativeError(analytic, numeric), `param ${k}`).toBeLessThan(1e-3);
      });
    });
  });

  it('dropout is off and batch norm uses running stats in predict; getState/setState round-trip', () => {
    const v = VARIANTS[2];
    const rng = seeded(1590);
    const params = initParams(v.spec, rng);
    const { x, y } = data(rng, 8);
    const runner = createChain(jsBackend, v.spec, params);
    const before = runner.getState();
    expect(before.map((s) => Array.from(s))).toEqual([
      [0, 0, 0, 0],
      [1, 1, 1, 1],
    ]); // Keras's initial stats
    runner.trainSync(jsBackend.createDataset([x], [y], 8), Uint32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), 4, 0.01, 0);
    const state = runner.getState();
    expect(state[0].some((m) => m !== 0)).toBe(true);
    const [p1] = runner.predict([x], 8);
    expect(Array.from(runner.predict([x], 8)[0])).toEqual(Array.from(p1)); // inference is deterministic
    const other = createChain(jsBackend, v.spec, runner.getParams());
    expect(Array.from(other.predict([x], 8)[0])).not.toEqual(Array.from(p1)); // the initial stats predict otherwise
    other.setState(state);
    expect(Array.from(other.predict([x], 8)[0])).toEqual(Array.from(p1));
    // State given to createNetwork is the state it starts from.
    const third = createChain(jsBackend, v.spec, runner.getParams(), state);
    expect(Array.from(third.predict([x], 8)[0])).toEqual(Array.from(p1));
  });
});

/** mulberry32 draws and the dropout seed, transcribed from docs/kernels.md on their own. */
function docsDropoutDraws(seed: number, step: number, node: number, count: number): number[] {
  let a = (seed + Math.imul(step + 1, 0x9e3779b1) + Math.imul(node + 1, 0x85ebca77)) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out.push(((t ^ (t >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

describeBackends((backend) => {
  it('dropout in a network: off in predict; in training the docs mask (seed, step, node index) and SGD step by hand', () => {
    const s: ChainSpec = {
      inputSize: 6,
      layers: [
        { type: 'dense', inputs: 6, units: 6, useBias: false, activation: { kind: 'linear' } },
        { type: 'dropout', size: 6, rate: 0.5 },
        { type: 'dense', inputs: 6, units: 2, useBias: true, activation: { kind: 'linear' } },
      ],
      loss: { kind: 'halfSse' },
      optimizer: { kind: 'sgd', lr: 0.1 },
      seed: 77,
    };
    const rng = seeded(1700);
    const eye = new Float32Array(36);
    for (let i = 0; i < 6; i++) eye[i * 7] = 1; // identity first layer: the dropout input is x itself
    const w = randomF32(rng, 12);
    const b = randomF32(rng, 2);
    const x = randomF32(rng, 18, 0.5, 1.5);
    const t = randomF32(rng, 6);
    const runner = createChain(backend, s, [eye, w, b]);
    // Inference: y = x W + b, no mask and no 1 / (1 - rate) scale.
    const expectPred = new Float64Array(6);
    for (let r = 0; r < 3; r++)
      for (let j = 0; j < 2; j++) {
        let acc = b[j];
        for (let i = 0; i < 6; i++) acc += x[r * 6 + i] * w[i * 2 + j];
        expectPred[r * 2 + j] = acc;
      }
    expect(closeness(runner.predict([x], 3)[0], expectPred)).toBeNull();
    // Training at step 4, dropout is node 1 (the chain's layer index): kept inputs doubled, dropped ones 0.
    const u = docsDropoutDraws(77, 4, 1, 18);
    const xd = Array.from(x, (v, i) => (u[i] < 0.5 ? 0 : 2 * v));
    expect(xd.filter((v) => v === 0).length).toBeGreaterThan(0);
    let loss = 0;
    const g = new Float64Array(6); // dL/dy = (y - t) / n
    for (let r = 0; r < 3; r++)
      for (let j = 0; j < 2; j++) {
        let acc = b[j];
        for (let i = 0; i < 6; i++) acc += xd[r * 6 + i] * w[i * 2 + j];
        loss += (0.5 * (acc - t[r * 2 + j]) ** 2) / 3;
        g[r * 2 + j] = (acc - t[r * 2 + j]) / 3;
      }
    const stats = runner.trainSync(backend.createDataset([x], [t], 3), Uint32Array.from([0, 1, 2]), 3, 0.1, 4);
    expect(closeness([stats.losses[0]], [loss])).toBeNull();
    const newW = Array.from(w, (v, k) => {
      const i = Math.floor(k / 2);
      const j = k % 2;
      let d = 0;
      for (let r = 0; r < 3; r++) d += xd[r * 6 + i] * g[r * 2 + j];
      return v - 0.1 * d;
    });
    expect(closeness(runner.getParams()[1], newW)).toBeNull();
    // The identity layer's gradient passes back through the same mask: dropped inputs get none.
    const dEye = runner.getParams()[0];
    for (let i = 0; i < 6; i++) {
      const anyKept = [0, 1, 2].some((r) => xd[r * 6 + i] !== 0);
      if (!anyKept) for (let k = 0; k < 6; k++) expect(dEye[k * 6 + i]).toBe(eye[k * 6 + i]);
    }
  });

  it('batch norm in a network: running statistics and inference follow the closed form', () => {
    // 2 samples of [1, 2, 2] (2 positions x 2 channels): 4 rows per channel.
    const s: ChainSpec = {
      inputSize: 4,
      layers: [{ type: 'batchNorm', size: 4, channels: 2, momentum: 0.9, epsilon: 1e-3 }],
      loss: { kind: 'mse' },
      optimizer: { kind: 'sgd', lr: 0 },
      seed: 1,
    };
    const gamma = Float32Array.from([1.5, 0.5]);
    const beta = Float32Array.from([0.25, -1]);
    const runner = createChain(backend, s, [gamma, beta]);
    const x = Float32Array.from([1, 10, 3, 20, 5, 30, 7, 40]);
    // Channel 0: {1, 3, 5, 7}: mean 4, biased var 5, unbiased 20/3. Channel 1: {10, 20, 30, 40}:
    // mean 25, biased var 125, unbiased 500/3.
    runner.trainSync(backend.createDataset([x], [new Float32Array(8)], 2), Uint32Array.from([0, 1]), 2, 0, 0);
    const [rm, rv] = runner.getState();
    expect(closeness(rm, [0.1 * 4, 0.1 * 25])).toBeNull();
    expect(closeness(rv, [0.9 + 0.1 * (20 / 3), 0.9 + 0.1 * (500 / 3)])).toBeNull();
    runner.setState([Float32Array.from([2, 20]), Float32Array.from([4, 100])]);
    const expected = Array.from(x, (v, i) => {
      const c = i % 2;
      return (gamma[c] * (v - [2, 20][c])) / Math.sqrt([4, 100][c] + 1e-3) + beta[c];
    });
    expect(closeness(runner.predict([x], 2)[0], expected)).toBeNull();
  });
});

/** Whether `backend` can build this network (native may not have a layer yet): the reason if not. */
function unsupported(backend: Backend, s: ChainSpec): string | null {
  try {
    createChain(backend, s, initParams(s, seeded(1)));
    return null;
  } catch (err) {
    const msg = String((err as Error)?.message ?? err);
    if (/not (yet )?(implemented|supported)/i.test(msg)) return msg.split('\n')[0];
    throw err;
  }
}

describeNativeVsJs('tiny CNN training', (native, js) => {
  const cases = [...VARIANTS, { name: 'W3 network 28x28x1 conv5x5x8 pool conv5x5x16 pool dense 10', spec: W3 }];
  cases.forEach((v, i) => {
    const why = unsupported(native, v.spec);
    it.skipIf(why !== null)(why ? `${v.name} (SKIPPED: ${why})` : `${v.name}: 3 steps, same params, losses, state`, () => {
      const rng = seeded(1600 + i);
      const params = initParams(v.spec, rng);
      const classes = v.spec === W3 ? 10 : 3;
      const { x, y } = data(rng, 12, v.spec.inputSize, classes);
      const order = Uint32Array.from([3, 0, 7, 11, 1, 5, 9, 2, 4, 10, 6, 8]);
      const a = createChain(native, v.spec, params);
      const b = createChain(js, v.spec, params);
      const sa = a.trainSync(native.createDataset([x], [y], 12), order, 4, 0.01, 0);
      const sb = b.trainSync(js.createDataset([x], [y], 12), order, 4, 0.01, 0);
      expect(closeness(sa.losses, sb.losses)).toBeNull();
      expect(Array.from(sa.correct)).toEqual(Array.from(sb.correct));
      const pa = a.getParams();
      const pb = b.getParams();
      expect(pa.length).toBe(pb.length);
      pa.forEach((p, k) => {
        expect(closeness(p, pb[k]), `param ${k}`).toBeNull();
      });
      const ta = a.getState();
      const tb = b.getState();
      expect(ta.length).toBe(tb.length);
      ta.forEach((s, k) => {
        expect(closeness(s, tb[k]), `state ${k}`).toBeNull();
      });
      expect(closeness(a.predict([x], 12)[0], b.predict([x], 12)[0])).toBeNull();
    });
  });
});
