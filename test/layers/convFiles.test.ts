// conv2dTranspose, depthwiseConv2d and separableConv2d in model files (format v2): a functional
// and a sequential model with all three save and load with their configs, weights and
// predictions unchanged, on each backend; and one trains (all three learn through fit).
import { describe, expect, it } from 'vitest';
import { getBackend, setBackend } from '../../src/backend';
import { input } from '../../src/graph/symbolic';
import { FORMAT_VERSION } from '../../src/io/format';
import { layers } from '../../src/layers';
import { modelFromBytes, modelToBytes } from '../../src/model/files';
import { adam } from '../../src/model/compile';
import { Model } from '../../src/model/model';
import { Sequential } from '../../src/model/sequential';
import { gradCheck } from '../../src/model/gradcheck';
import { closeness, nativeOrNull } from '../helpers/backends';
import { randomF32, seeded } from '../helpers/random';

const { native } = nativeOrNull();
const backends: ('js' | 'native')[] = native ? ['js', 'native'] : ['js'];

/** An encoder-decoder on 8x8x2: separable down, depthwise, transposed up, with a skip. */
function functional(backend: 'js' | 'native'): Model {
  const x = input({ shape: [8, 8, 2], name: 'image' });
  const down = layers
    .separableConv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 2, activation: 'relu', name: 'down' })
    .apply(x);
  const mid = layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 1, activation: 'tanh', name: 'mid' }).apply(down);
  const up = layers
    .conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same', outputPadding: 1, name: 'up' })
    .apply(layers.add().apply([down, mid]));
  const out = layers.conv2dTranspose({ filters: 1, kernelSize: 2, activation: 'sigmoid', name: 'out' }).apply(up);
  const m = new Model({ inputs: x, outputs: out, seed: 21, backend });
  m.compile({ loss: 'binaryCrossentropy', optimizer: 'adam' });
  return m;
}

function sequential(backend: 'js' | 'native'): Sequential {
  const m = new Sequential({ seed: 22, backend });
  m.add(layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 3, inputShape: [6, 6, 1] }));
  m.add(layers.separableConv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'leakyRelu', alpha: 0.1 }));
  m.add(layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2 }));
  m.add(layers.flatten());
  m.add(layers.dense({ units: 2, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'sgd' });
  return m;
}

describe.each(backends)('conv layers in model files (%s)', (backend) => {
  it.each([
    ['functional', functional, 8 * 8 * 2],
    ['sequential', sequential, 6 * 6],
  ] as const)('%s: saves and loads (format v2) and predicts the same', (_kind, make, inSize) => {
    const m = make(backend);
    const x = randomF32(seeded(5), 4 * inSize);
    const before = m.predict(x) as Float32Array;
    const bytes = modelToBytes(m);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)).toBe(FORMAT_VERSION);
    // A loaded model runs on the active backend: make it this suite's.
    const previous = getBackend();
    setBackend(backend);
    const back = modelFromBytes(bytes);
    setBackend(previous);
    expect(back.backendNameInUse).toBe(backend);
    // The file names every layer (given or generated); the rest of each config is as built.
    expect(back.layers.map((l) => l.getConfig())).toEqual(m.layers.map((l, i) => ({ ...l.getConfig(), name: m.layerNames[i] })));
    expect(back.weightsInfo()).toEqual(m.weightsInfo());
    expect(back.getWeights().map((w) => Array.from(w))).toEqual(m.getWeights().map((w) => Array.from(w)));
    expect(Array.from(back.predict(x) as Float32Array)).toEqual(Array.from(before));
  });

  it('the functional model learns through all three layers: it fits a teacher of the same shape', async () => {
    const teacher = functional(backend);
    const student = functional(backend);
    student.setWeights(student.getWeights().map((w) => w.map((_, i) => Math.sin(i + w.length) * 0.3)));
    student.compile({ loss: 'mse', optimizer: adam({ lr: 0.01 }) });
    const n = 32;
    const x = randomF32(seeded(6), n * 128);
    const y = teacher.predict(x) as Float32Array;
    const first = student.evaluate(x, y).loss;
    await student.fit(x, y, { epochs: 40, batchSize: 8, verbose: 0 });
    expect(student.evaluate(x, y).loss).toBeLessThan(first * 0.2);
  });
});

it('from-logits losses read the pre-activation of the new ops: float64 gradient check on js, native equals js', () => {
  // BCE on a sigmoid conv2dTranspose output, and categorical cross-entropy on a softmax
  // separableConv2d (its last node, the 1x1 conv2d, keeps the pre-activation) after a
  // depthwiseConv2d with a softmax of its own.
  const x = input({ shape: [3, 3, 2] });
  const up = layers.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2, activation: 'sigmoid', beta: 2 }).apply(x);
  const dw = layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, activation: 'softmax' }).apply(x);
  const sep = layers.separableConv2d({ filters: 3, kernelSize: 2, activation: 'softmax' }).apply(dw);
  const make = (backend: 'js' | 'native') => {
    const m = new Model({ inputs: x, outputs: [up, sep], seed: 8, backend });
    m.compile({ loss: ['binaryCrossentropy', 'categoricalCrossentropy'], optimizer: 'sgd' });
    return m;
  };
  const rng = seeded(12);
  const n = 3;
  const data = randomF32(rng, n * 18);
  const t1 = new Float32Array(n * 36).map(() => (rng() < 0.5 ? 1 : 0));
  const t2 = new Float32Array(n * 3).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
  const js = make('js');
  const report = gradCheck(js, data, [t1, t2]);
  expect(report.tensors.filter((t) => !t.passed)).toEqual([]);
  if (native) {
    const nat = make('native');
    nat.setWeights(js.getWeights());
    const gj = js.computeGradients(data, [t1, t2]);
    const gn = nat.computeGradients(data, [t1, t2]);
    expect(gn.loss).toBeCloseTo(gj.loss, 5);
    gj.grads.forEach((g, i) => {
      expect(closeness(gn.grads[i], g, 1e-5, 1e-3), gj.names[i]).toBeNull();
    });
  }
});

it('the file stores Keras-style settings: outputPadding null unless given, depthMultiplier, initializers', () => {
  const m = functional('js');
  const configs = Object.fromEntries(m.layers.map((l) => [l.name ?? l.type, l.getConfig()]));
  expect(configs.up).toMatchObject({ filters: 2, kernelSize: [3, 3], strides: [2, 2], padding: 'same', outputPadding: [1, 1], dilationRate: [1, 1] });
  expect(configs.out).toMatchObject({ outputPadding: null, padding: 'valid' });
  expect(configs.down).toMatchObject({ depthMultiplier: 2, depthwiseInitializer: { kind: 'glorotUniform' }, pointwiseInitializer: { kind: 'heNormal' } });
  expect(configs.mid).toMatchObject({ depthMultiplier: 1, depthwiseInitializer: { kind: 'smallUniform' } });
});
