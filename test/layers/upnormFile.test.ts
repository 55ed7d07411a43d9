// A model file (format v2) holding upSampling2d (both interpolations) and layerNormalization
// (with and without its parameters) saves and loads: the same layers, configs, weights and
// predictions, on each backend.
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { getBackend, setBackend } from '../../src/backend/index';
import { decodeModelFile, FORMAT_VERSION } from '../../src/io/format';
import { layers } from '../../src/layers';
import { modelFromBytes, modelToBytes } from '../../src/model/files';
import { Model } from '../../src/model/model';
import { nativeOrNull } from '../helpers/backends';
import { randomF32, seeded } from '../helpers/random';

const backends = (nativeOrNull().native ? ['js', 'native'] : ['js']) as ('js' | 'native')[];

function build(backend: 'js' | 'native'): Model {
  const x = input({ shape: [3, 3, 1], name: 'image' });
  let h = layers.conv2d({ filters: 2, kernelSize: 2, padding: 'same', activation: 'tanh' }).apply(x);
  h = layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear', name: 'smooth' }).apply(h);
  h = layers.layerNormalization({ epsilon: 1e-2, name: 'ln' }).apply(h);
  h = layers.upSampling2d({ name: 'blocky' }).apply(h);
  h = layers.layerNormalization({ center: false, scale: false, name: 'bare' }).apply(layers.flatten().apply(h));
  const out = layers.dense({ units: 3, activation: 'softmax' }).apply(h);
  const m = new Model({ inputs: x, outputs: out, seed: 4, backend });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
  return m;
}

describe.each(backends)('model file with upSampling2d and layerNormalization (%s)', (backend) => {
  it('round trip: version 2, same configs, weights and predictions', async () => {
    const m = build(backend);
    const rng = seeded(3);
    const x = randomF32(rng, 8 * 9);
    const y = new Float32Array(8 * 3).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
    await m.fit(x, y, { epochs: 3, batchSize: 4 });
    // Training moved gamma and beta off their initial ones and zeros.
    // conv kernel 2x2x1x2 and bias, ln gamma and beta (2 channels), dense from [12, 18, 2].
    expect(m.getWeights().map((w) => w.length)).toEqual([8, 2, 2, 2, 12 * 18 * 2 * 3, 3]);
    expect(Array.from(m.getWeights()[2]).some((v) => v !== 1)).toBe(true);
    const bytes = modelToBytes(m);
    const file = decodeModelFile(bytes);
    expect([file.version, FORMAT_VERSION]).toEqual([2, 2]);
    // A loaded model runs on the active backend: this one.
    const before = getBackend();
    setBackend(backend);
    let loaded: Model;
    try {
      loaded = modelFromBytes(bytes);
    } finally {
      setBackend(before);
    }
    expect(loaded.backendNameInUse).toBe(backend);
    expect(loaded.summary()).toBe(m.summary());
    expect(loaded.getWeights()).toEqual(m.getWeights());
    expect(loaded.predict(x)).toEqual(m.predict(x));
    const configs = Object.fromEntries(file.header.graph!.layers.map((l: { type: string; config: { name?: string } }) => [l.config.name, [l.type, l.config]]));
    expect(configs.smooth).toEqual(['upSampling2d', { size: [2, 3], interpolation: 'bilinear', name: 'smooth' }]);
    expect(configs.blocky).toEqual(['upSampling2d', { size: [2, 2], interpolation: 'nearest', name: 'blocky' }]);
    expect(configs.ln).toEqual(['layerNormalization', { axis: -1, epsilon: 1e-2, center: true, scale: true, name: 'ln' }]);
    expect(configs.bare).toEqual(['layerNormalization', { axis: -1, epsilon: 1e-3, center: false, scale: false, name: 'bare' }]);
  });
});
