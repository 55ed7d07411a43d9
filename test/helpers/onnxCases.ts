// The per-layer-type ONNX cases: one small model around each layer type (test/onnx/export.test.ts
// runs them in ONNX Runtime, test/onnx/import.test.ts round-trips them through importOnnx), with
// seeded random weights, state and inputs.
import { input, type Layer, layers, type Model, model } from '../../src/index';
import { mulberry32 } from '../../src/random';

/** Random weights and state (BN variances positive) from one seed, so every term is exercised. */
export function randomize(m: Model, seed: number): void {
  const next = mulberry32(seed);
  m.setWeights(m.weightsInfo().map((w) => Float32Array.from({ length: w.shape.reduce((a, d) => a * d, 1) }, () => (next() - 0.5) * 0.6)));
  m.setState(
    m.stateInfo().map((s) => Float32Array.from({ length: s.shape.reduce((a, d) => a * d, 1) }, () => (s.name.endsWith('Var') ? 0.5 + next() : next() - 0.5))),
  );
}

export function randomInputs(m: Model, n: number, seed: number): Float32Array[] {
  const next = mulberry32(seed);
  return m.inputShapes.map((s) => Float32Array.from({ length: n * s.reduce((a, d) => a * d, 1) }, () => next() * 2 - 1));
}

/** One small model around each layer type: [input shape, the layer(s)]. */
export const img = [6, 7, 3];
export const CASES: Record<string, () => Model> = {
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

export function seq(shape: number[], ...ls: Layer[]): Model {
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
