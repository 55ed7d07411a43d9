// exportOnnx checked by a real runtime: ONNX Runtime (onnxruntime-node, CPU) runs the exported
// file and its outputs equal oxnet's predict within 1e-5 on seeded random weights, state and
// inputs, for one small model per layer type (the registry is enumerated: a layer type without a
// case here fails), the normalizer in front, several inputs and outputs, and W2, W3, W6.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { exportOnnx, input, layers, type Model, model, onnxBytes, zscore } from '../../src/index';
import { LAYER_TYPES } from '../../src/layers';
import { mulberry32 } from '../../src/random';
import { CASES, randomInputs, randomize } from '../helpers/onnxCases';
import { testTempDir } from '../helpers/temp';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { mlp, cnn } = require('../../bench/impls/oxnet.js') as { mlp: (b: string) => Model; cnn: (b: string) => Model };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildResnet } = require('../../examples/resnet-mnist.js') as { buildResnet: (o: { seed?: number; backend?: string }) => Model };

const TOL = 1e-5;

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
