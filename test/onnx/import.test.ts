// importOnnx on files made by PyTorch's own exporter (scripts/onnx-fixtures.py: torch.onnx.export,
// an MLP, a CNN and a residual net whose batch norms PyTorch folds into the conv or keeps;
// opset 17): predictions equal PyTorch's within 1e-5, and the model fine-tunes (the loss falls);
// a round trip through exportOnnx gives the same predictions, for every layer type's export case
// (test/helpers/onnxCases.ts) and a mixed net; unsupported ops are typed errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adam, importOnnx, input, layers, type Model, model, modelFromOnnx, onnxBytes, zscore } from '../../src/index';
import { ModelProto } from '../../src/onnx/proto';
import { LAYER_TYPES } from '../../src/layers';
import { mulberry32 } from '../../src/random';
import { CASES, randomInputs, randomize } from '../helpers/onnxCases';

const FIX = join(__dirname, '../fixtures/onnx');
const TOL = 1e-5;

interface Fixture {
  inputShape: number[];
  x: number[];
  y: number[];
  classes: number[];
}
const fixture = (name: string) => JSON.parse(readFileSync(join(FIX, `${name}.json`), 'utf8')) as Fixture;

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

describe('importOnnx: PyTorch-exported files', () => {
  for (const name of ['mlp', 'cnn', 'resnet']) {
    it(`${name}: predicts as PyTorch, then fine-tunes`, async () => {
      const f = fixture(name);
      const m = importOnnx(join(FIX, `${name}.onnx`));
      expect(m.inputShape).toEqual(f.inputShape);
      const x = Float32Array.from(f.x);
      expect(maxDiff(m.predict(x) as Float32Array, f.y)).toBeLessThanOrEqual(TOL);
      const units = f.y.length / f.classes.length;
      const y = new Float32Array(f.y.length);
      f.classes.forEach((c, i) => {
        y[i * units + c] = 1;
      });
      // PyTorch's nets end in logits: fine-tune them towards one-hot targets by mean squared error.
      m.compile({ loss: 'mse', optimizer: adam({ lr: 1e-2 }) });
      const before = m.evaluate(x, y).loss;
      await m.fit(x, y, { epochs: 20, batchSize: 4, seed: 1 });
      expect(m.evaluate(x, y).loss).toBeLessThan(before * 0.7);
    });
  }

  it('refuses an op it does not import, naming the node and the op', () => {
    const x = input({ shape: [4, 4, 2] });
    const m = model({ inputs: x, outputs: layers.flatten().apply(layers.upSampling2d({ name: 'up' }).apply(x)) });
    const file = ModelProto.decode(onnxBytes(m)) as unknown as { graph: { node: { opType: string }[] } };
    file.graph.node.find((n) => n.opType === 'Resize')!.opType = 'GridSample';
    expect(() => modelFromOnnx(ModelProto.encode(ModelProto.fromObject(file)).finish())).toThrow(
      expect.objectContaining({ code: 'E_FORMAT', message: expect.stringMatching(/node 'up\/resize\/Resize' \(op GridSample\): op not supported/) }),
    );
    expect(() => modelFromOnnx(new Uint8Array([1, 2, 3]))).toThrow(expect.objectContaining({ code: 'E_FORMAT' }));
  });

  it('refuses an attribute it cannot map (MaxPool ceil_mode 1), naming the node and the op', () => {
    const x = input({ shape: [5, 5, 2] });
    const m = model({ inputs: x, outputs: layers.flatten().apply(layers.maxPooling2d({ name: 'pool' }).apply(x)) });
    const file = ModelProto.decode(onnxBytes(m)) as unknown as { graph: { node: { opType: string; attribute: object[] }[] } };
    file.graph.node.find((n) => n.opType === 'MaxPool')!.attribute.push({ name: 'ceil_mode', type: 2, i: 1 });
    const bytes = ModelProto.encode(ModelProto.fromObject(file)).finish();
    expect(() => modelFromOnnx(bytes)).toThrow(
      expect.objectContaining({ code: 'E_CONFIG', message: expect.stringMatching(/node 'pool\/pool\/MaxPool' \(op MaxPool\): ceil_mode 1/) }),
    );
  });

  it('refuses a Pad that is not zero padding (mode reflect), naming the node and the op', () => {
    const x = input({ shape: [5, 5, 2] });
    const m = model({ inputs: x, outputs: layers.flatten().apply(layers.zeroPadding2d({ name: 'pad' }).apply(x)) });
    const file = ModelProto.decode(onnxBytes(m)) as unknown as { graph: { node: { opType: string; attribute: { name: string; s: Uint8Array }[] }[] } };
    file.graph.node.find((n) => n.opType === 'Pad')!.attribute[0].s = new TextEncoder().encode('reflect');
    expect(() => modelFromOnnx(ModelProto.encode(ModelProto.fromObject(file)).finish())).toThrow(
      expect.objectContaining({ code: 'E_CONFIG', message: expect.stringMatching(/node 'pad\/pad\/Pad' \(op Pad\): mode reflect/) }),
    );
  });
});

describe('exportOnnx then importOnnx', () => {
  it('gives the same predictions (normalizer, CNN with batch norm, a residual add, pooling, concat, dense)', () => {
    const x = input({ shape: [8, 8, 3] });
    const c1 = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    const bn = layers.batchNormalization().apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(c1));
    const res = layers.activation({ activation: 'relu' }).apply(layers.add().apply([c1, bn]));
    const pooled = layers.maxPooling2d({ poolSize: 2 }).apply(res);
    const flat = layers.flatten().apply(pooled);
    const gap = layers.globalAveragePooling2d().apply(res);
    const out = layers
      .dense({ units: 3, activation: 'softmax' })
      .apply(layers.concatenate().apply([layers.dense({ units: 5, activation: 'tanh' }).apply(flat), gap]));
    const m: Model = model({ inputs: x, outputs: out, seed: 4 });
    const next = mulberry32(3);
    m.setState(m.stateInfo().map((s) => Float32Array.from({ length: s.shape[0] }, () => (s.name.endsWith('Var') ? 0.5 + next() : next() - 0.5))));
    const fitOn = Float32Array.from({ length: 10 * 192 }, () => next() * 10 + 2);
    m.setNormalizer(zscore().fit(fitOn, 10, 192));
    const back = modelFromOnnx(onnxBytes(m));
    expect(back.getNormalizer()).not.toBeNull();
    const xs = fitOn.slice(0, 5 * 192);
    expect(maxDiff(back.predict(xs) as Float32Array, m.predict(xs) as Float32Array)).toBeLessThanOrEqual(TOL);
  });

  // Layer types whose export cannot come back, with the reason (none at present).
  const NOT_ROUND_TRIPPED: Record<string, string> = {};

  for (const type of LAYER_TYPES) {
    it(`${type}: the export case comes back with the same predictions`, () => {
      const make = CASES[type];
      expect(make, `no ONNX case for layer type '${type}'`).toBeDefined();
      const m = make();
      expect(m.graph.layers.some((l) => l.layer.type === type)).toBe(true);
      randomize(m, 1 + LAYER_TYPES.indexOf(type));
      if (type in NOT_ROUND_TRIPPED) return;
      const back = modelFromOnnx(onnxBytes(m));
      const xs = randomInputs(m, 3, 13);
      const ours = m.predict(xs.length === 1 ? xs[0] : xs);
      const theirs = back.predict(xs.length === 1 ? xs[0] : xs);
      const [a, b] = [ours, theirs].map((p) => (Array.isArray(p) ? p : [p]) as Float32Array[]);
      expect(b.length).toBe(a.length);
      a.forEach((o, i) => {
        expect(maxDiff(b[i], o)).toBeLessThanOrEqual(TOL);
      });
    });
  }
});
