// Whole small CNNs through the network executor.
// 1. js: the executor's gradients through conv / pooling / batch norm / dropout layers match finite
//    differences of its own training loss (float32 network, so a loose 1e-3 bound; wiring mistakes
//    such as a missing activation derivative or a wrong scale give errors of order 1).
// 2. native vs js: the same tiny CNNs trained a few Adam steps land on the same parameters, losses
//    and batch-norm running statistics (|a - b| <= 1e-5 + 1e-4 |b|).
import { describe, expect, it } from 'vitest';
import type { Backend, LayerSpec, NetworkSpec } from '../../src/backend/types';
import { jsBackend } from '../../src/backend/js';
import { closeness, describeNativeVsJs } from '../helpers/backends';
import { relativeError } from '../helpers/gradcheck';
import { oneHotRows, randomF32, seeded, type Rng } from '../helpers/random';

const IN: [number, number, number] = [6, 6, 2];

function spec(layers: LayerSpec[], lr = 0.01): NetworkSpec {
  return { inputSize: 72, layers, loss: { kind: 'softmaxCrossEntropy' }, optimizer: { kind: 'adam', lr }, seed: 5 };
}

const same5x5 = (inShape: [number, number, number], filters: number): LayerSpec => ({
  type: 'conv2d', inShape, filters, kernel: [5, 5], strides: [1, 1], padding: [2, 2, 2, 2], dilation: [1, 1], useBias: true, activation: { kind: 'relu' },
});
const pool2 = (inShape: [number, number, number]): LayerSpec => ({ type: 'maxPool2d', inShape, pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] });

/**
 * The benchmark's W3 network at full size (MNIST-shaped random data), trained with SGD +
 * momentum: Adam turns a near-zero gradient's rounding into a full +-lr step, which would test
 * float32 luck rather than the kernels.
 */
const W3: NetworkSpec = {
  inputSize: 784,
  layers: [same5x5([28, 28, 1], 8), pool2([28, 28, 8]), same5x5([14, 14, 8], 16), pool2([14, 14, 16]),
    { type: 'dense', inputs: 784, units: 10, useBias: true, activation: { kind: 'softmax' } }],
  loss: { kind: 'softmaxCrossEntropy' }, optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 }, seed: 3,
};

const VARIANTS: { name: string; spec: NetworkSpec; smooth: boolean }[] = [
  {
    name: 'conv 3x3x4 same relu -> maxPool 2x2 -> dense 36->3 softmax',
    smooth: false,
    spec: spec([
      { type: 'conv2d', inShape: IN, filters: 4, kernel: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], useBias: true, activation: { kind: 'relu' } },
      { type: 'maxPool2d', inShape: [6, 6, 4], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
      { type: 'dense', inputs: 36, units: 3, useBias: true, activation: { kind: 'softmax' } },
    ]),
  },
  {
    name: 'conv 3x3x4 same tanh -> maxPool 2x2 -> dense 36->3 softmax',
    smooth: true,
    spec: spec([
      { type: 'conv2d', inShape: IN, filters: 4, kernel: [3, 3], strides: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1], useBias: true, activation: { kind: 'tanh' } },
      { type: 'maxPool2d', inShape: [6, 6, 4], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
      { type: 'dense', inputs: 36, units: 3, useBias: true, activation: { kind: 'softmax' } },
    ]),
  },
  {
    name: 'conv 3x3x4 valid linear -> batchNorm -> tanh -> avgPool 2x2 -> dropout 0.25 -> dense 16->3 softmax',
    smooth: true,
    spec: spec([
      { type: 'conv2d', inShape: IN, filters: 4, kernel: [3, 3], strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], useBias: false, activation: { kind: 'linear' } },
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
      { type: 'conv2d', inShape: IN, filters: 5, kernel: [2, 2], strides: [2, 2], padding: [0, 1, 0, 1], dilation: [2, 2], useBias: true, activation: { kind: 'sigmoid' } },
      { type: 'globalAvgPool2d', inShape: [3, 3, 5] },
      { type: 'dense', inputs: 5, units: 3, useBias: true, activation: { kind: 'linear' } },
    ]),
  },
];

/** Parameters in docs/kernels.md order, random but of sensible scale. */
function initParams(s: NetworkSpec, rng: Rng): Float32Array[] {
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
      const ds = jsBackend.createDataset(x, y, 5);
      const order = Uint32Array.from([0, 1, 2, 3, 4]);
      // Plain SGD with lr 1: one batch moves each parameter by exactly -gradient.
      const sgd: NetworkSpec = { ...v.spec, optimizer: { kind: 'sgd', lr: 1 } };
      const lossAt = (p: Float32Array[]) => jsBackend.createNetwork(sgd, p).trainSync(ds, order, 5, 1, 2).losses[0];
      const runner = jsBackend.createNetwork(sgd, params);
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
    const runner = jsBackend.createNetwork(v.spec, params);
    const before = runner.getState();
    expect(before.map((s) => Array.from(s))).toEqual([[0, 0, 0, 0], [1, 1, 1, 1]]); // Keras's initial stats
    runner.trainSync(jsBackend.createDataset(x, y, 8), Uint32Array.from([0, 1, 2, 3, 4, 5, 6, 7]), 4, 0.01, 0);
    const state = runner.getState();
    expect(state[0].some((m) => m !== 0)).toBe(true);
    const p1 = runner.predict(x, 8);
    expect(Array.from(runner.predict(x, 8))).toEqual(Array.from(p1)); // inference is deterministic
    const other = jsBackend.createNetwork(v.spec, runner.getParams());
    other.setState(state);
    expect(Array.from(other.predict(x, 8))).toEqual(Array.from(p1));
  });
});

/** Whether `backend` can build this network (native may not have a layer yet): the reason if not. */
function unsupported(backend: Backend, s: NetworkSpec): string | null {
  try {
    backend.createNetwork(s, initParams(s, seeded(1)));
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
      const a = native.createNetwork(v.spec, params);
      const b = js.createNetwork(v.spec, params);
      const sa = a.trainSync(native.createDataset(x, y, 12), order, 4, 0.01, 0);
      const sb = b.trainSync(js.createDataset(x, y, 12), order, 4, 0.01, 0);
      expect(closeness(sa.losses, sb.losses)).toBeNull();
      expect(Array.from(sa.correct)).toEqual(Array.from(sb.correct));
      const pa = a.getParams();
      const pb = b.getParams();
      expect(pa.length).toBe(pb.length);
      pa.forEach((p, k) => expect(closeness(p, pb[k]), `param ${k}`).toBeNull());
      const ta = a.getState();
      const tb = b.getState();
      expect(ta.length).toBe(tb.length);
      ta.forEach((s, k) => expect(closeness(s, tb[k]), `state ${k}`).toBeNull());
      expect(closeness(a.predict(x, 12), b.predict(x, 12))).toBeNull();
    });
  });
});
