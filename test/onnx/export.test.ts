// exportOnnx checked by a real runtime: ONNX Runtime (onnxruntime-node, CPU) runs the exported
// file and its outputs equal oxnet's predict within 1e-5 on seeded random weights, state and
// inputs, for one small model per layer type (the registry is enumerated: a layer type without a
// case here fails), the normalizer in front, several inputs and outputs, and W2, W3, W6.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportOnnx, input, type Layer, layers, type Model, model, onnxBytes, zscore } from '../../src/index';
import { LAYER_TYPES } from '../../src/layers';
import { mulberry32 } from '../../src/random';
import { testTempDir } from '../helpers/temp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { mlp, cnn } = require('../../bench/impls/oxnet.js') as { mlp: (b: string) => Model; cnn: (b: string) => Model };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildResnet } = require('../../examples/resnet-mnist.js') as { buildResnet: (o: { seed?: number; backend?: string }) => Model };

const TOL = 1e-5;

/** Random weights and state (BN variances positive) from one seed, so every term is exercised. */
function randomize(m: Model, seed: number): void {
  const next = mulberry32(seed);
  m.setWeights(m.weightsInfo().map((w) => Float32Array.from({ length: w.shape.reduce((a, d) => a * d, 1) }, () => (next() - 0.5) * 0.6)));
  m.setState(
    m.stateInfo().map((s) => Float32Array.from({ length: s.shape.reduce((a, d) => a * d, 1) }, () => (s.name.endsWith('Var') ? 0.5 + next() : next() - 0.5))),
  );
}

function randomInputs(m: Model, n: number, seed: number): Float32Array[] {
  const next = mulberry32(seed);
  return m.inputShapes.map((s) => Float32Array.from({ length: n * s.reduce((a, d) => a * d, 1) }, () => next() * 2 - 1));
}

/** ORT's outputs for `xs` on the exported bytes, in the model's output order. */
async function runOrt(bytes: Uint8Array, m: Model, xs: Float32Array[], n: number): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(bytes);
  const feeds: Record<string, ort.Tensor> = {};
  m.inputNames.forEach((name, i) => {
    feeds[name] = new ort.Tensor('float32', xs[i], [n, ...m.inputShapes[i]]);
  });
  const out = await session.run(feeds);
  await session.release();
  return m.outputNames.map((name) => out[name].data as Float32Array);
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

async function expectSame(m: Model, n = 3, seed = 11, opset = 17): Promise<number> {
  const xs = randomInputs(m, n, seed);
  const ours = m.predict(xs.length === 1 ? xs[0] : xs);
  const oursList = Array.isArray(ours) ? ours : [ours];
  const theirs = await runOrt(onnxBytes(m, { opset }), m, xs, n);
  let worst = 0;
  oursList.forEach((o, i) => {
    worst = Math.max(worst, maxDiff(theirs[i], o));
  });
  expect(worst).toBeLessThanOrEqual(TOL);
  return worst;
}

/** One small model around each layer type: [input shape, the layer(s)]. */
const img = [6, 7, 3];
const CASES: Record<string, () => Model> = {
  dense: () => seq([5], layers.dense({ units: 4, activation: 'tanh' }), layers.dense({ units: 3, useBias: false, activation: 'softmax' })),
  conv2d: () =>
    seq(
      img,
      layers.conv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 1], padding: 'same', activation: 'relu' }),
      layers.conv2d({ filters: 2, kernelSize: 2, dilationRate: 2, useBias: false }),
    ),
  conv2dTranspose: () =>
    seq(
      img,
      layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
      layers.conv2dTranspose({ filters: 2, kernelSize: [2, 3], strides: [1, 2], useBias: false }),
    ),
  depthwiseConv2d: () => seq(img, layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'leakyRelu', alpha: 0.2 })),
  separableConv2d: () => seq(img, layers.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 2, strides: 2, activation: 'sigmoid', beta: 2 })),
  maxPooling2d: () => seq(img, layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' })),
  averagePooling2d: () => seq(img, layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' })),
  globalAveragePooling2d: () => seq(img, layers.globalAveragePooling2d()),
  globalMaxPooling2d: () => seq(img, layers.globalMaxPooling2d()),
  zeroPadding2d: () =>
    seq(
      img,
      layers.zeroPadding2d({
        padding: [
          [1, 2],
          [0, 3],
        ],
      }),
      layers.conv2d({ filters: 2, kernelSize: 2 }),
    ),
  cropping2d: () =>
    seq(
      img,
      layers.cropping2d({
        cropping: [
          [1, 0],
          [2, 1],
        ],
      }),
      layers.conv2d({ filters: 2, kernelSize: 2 }),
    ),
  flatten: () => seq(img, layers.conv2d({ filters: 2, kernelSize: 2 }), layers.flatten(), layers.dense({ units: 3 })),
  reshape: () => seq([12], layers.reshape({ targetShape: [2, 3, 2] }), layers.conv2d({ filters: 3, kernelSize: 2 }), layers.reshape({ targetShape: [3, 2] })),
  dropout: () => seq([5], layers.dense({ units: 4 }), layers.dropout({ rate: 0.5 }), layers.dense({ units: 2 })),
  batchNormalization: () => seq(img, layers.batchNormalization({ epsilon: 1e-2 }), layers.flatten(), layers.batchNormalization()),
  layerNormalization: () => seq(img, layers.layerNormalization(), layers.flatten(), layers.layerNormalization({ center: false, epsilon: 1e-5 })),
  upSampling2d: () => seq(img, layers.upSampling2d({ size: [2, 3] }), layers.upSampling2d({ interpolation: 'bilinear' })),
  activation: () =>
    seq(
      img,
      layers.activation({ activation: 'step' }),
      layers.conv2d({ filters: 3, kernelSize: 1 }),
      layers.activation({ activation: 'softmax' }),
      layers.activation({ activation: 'sigmoid', beta: 0.5 }),
      layers.activation({ activation: 'linear' }),
    ),
  add: () => merged(layers.add),
  subtract: () => merged(layers.subtract, 2),
  multiply: () => merged(layers.multiply),
  average: () => merged(layers.average),
  maximum: () => merged(layers.maximum),
  concatenate: () => {
    const a = input({ shape: img, name: 'a' });
    const b = input({ shape: [6, 7, 2], name: 'b' });
    const ca = layers.conv2d({ filters: 2, kernelSize: 1 }).apply(a);
    const channels = layers.concatenate().apply([ca, b]);
    const rows = layers.concatenate({ axis: 1 }).apply([channels, layers.conv2d({ filters: 4, kernelSize: 1 }).apply(a)]);
    const flat = layers.concatenate({ axis: -1 }).apply([layers.flatten().apply(rows), layers.flatten().apply(b)]);
    return model({ inputs: [a, b], outputs: [flat, channels], seed: 3 });
  },
};

function seq(shape: number[], ...ls: Layer[]): Model {
  const x = input({ shape });
  let y = x;
  for (const l of ls) y = l.apply(y);
  return model({ inputs: x, outputs: y, seed: 5 });
}

/** A merge of conv branches (rank-3, NCHW inside) and of dense branches. */
function merged(make: () => Layer, count = 3): Model {
  const x = input({ shape: img });
  const branches = Array.from({ length: count }, () => layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same' }).apply(x));
  const v = input({ shape: [4] });
  const flat = Array.from({ length: count }, () => layers.dense({ units: 3 }).apply(v));
  return model({
    inputs: [x, v],
    outputs: [make().apply(branches), make().apply([...flat.slice(0, count - 1), layers.dense({ units: 3 }).apply(v)])],
    seed: 9,
  });
}

describe('exportOnnx: ONNX Runtime equals predict', () => {
  it('has a case for every layer type in the registry', () => {
    expect(LAYER_TYPES.filter((t) => !(t in CASES))).toEqual([]);
  });

  for (const type of LAYER_TYPES) {
    it(`${type} (opsets 17 and 21)`, async () => {
      const make = CASES[type];
      expect(make, `no ONNX export case for layer type '${type}'`).toBeDefined();
      const m = make();
      expect(m.graph.layers.some((l) => l.layer.type === type)).toBe(true);
      randomize(m, 1 + LAYER_TYPES.indexOf(type));
      await expectSame(m);
      await expectSame(m, 2, 7, 21);
    });
  }

  it('puts the normalizer in front, and reads a channelsFirst input as NCHW', async () => {
    const x = input({ shape: [3, 5, 4] });
    const y = layers.dense({ units: 2 }).apply(layers.flatten().apply(layers.conv2d({ filters: 4, kernelSize: 2, dataFormat: 'channelsFirst' }).apply(x)));
    const m = model({ inputs: x, outputs: y, seed: 2 });
    randomize(m, 4);
    const next = mulberry32(8);
    const fitOn = Float32Array.from({ length: 20 * 60 }, () => next() * 50 + 3);
    m.setNormalizer(zscore().fit(fitOn, 20, 60));
    const xs = [fitOn.slice(0, 4 * 60)];
    const theirs = await runOrt(onnxBytes(m), m, xs, 4);
    expect(maxDiff(theirs[0], m.predict(xs[0]) as Float32Array)).toBeLessThanOrEqual(TOL);
  });

  it('writes the file atomically and refuses opsets it does not write', async () => {
    const m = CASES.dense();
    const dir = testTempDir('oxnet-onnx-');
    exportOnnx(m, dir.file('m.onnx'));
    expect(Buffer.from(readFileSync(dir.file('m.onnx'))).equals(Buffer.from(onnxBytes(m)))).toBe(true);
    expect(() => onnxBytes(m, { opset: 16 })).toThrow(expect.objectContaining({ code: 'E_ARG' }));
    expect(() => onnxBytes(m, { opset: 22 })).toThrow(/opset must be an integer from 17 to 21/);
    await expectSame(m, 2, 3, 21);
  });

  it('W2 (MLP), W3 (CNN) and W6 (ResNet)', async () => {
    for (const m of [mlp('js'), cnn('js'), buildResnet({ seed: 7 })]) {
      randomize(m, 21);
      await expectSame(m, 4, 5);
    }
  });
});
