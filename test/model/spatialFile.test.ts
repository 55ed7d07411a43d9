// A functional model using the spatial layers (zeroPadding2d, cropping2d, concatenate along the
// channels and the height, globalMaxPooling2d) trains, saves to a format v2 file and loads back
// with the same layer configs, weights and predictions.
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { adam, layers, modelFromBytes, modelToBytes } from '../../src/index';
import { FORMAT_VERSION } from '../../src/io/format';
import { Model } from '../../src/model/model';
import { randomF32, seeded } from '../helpers/random';

function spatialModel(): Model {
  const a = input({ shape: [4, 4, 1], name: 'a' });
  const b = input({ shape: [6, 6, 2], name: 'b' });
  const padded = layers
    .zeroPadding2d({
      padding: [
        [0, 1],
        [1, 0],
      ],
      name: 'pad',
    })
    .apply(a); // [5, 5, 1]
  const conv = layers.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh', name: 'conv' }).apply(padded); // [4, 4, 2]
  const cropped = layers.cropping2d({ cropping: 1, name: 'crop' }).apply(b); // [4, 4, 2]
  const channels = layers.concatenate({ name: 'cat' }).apply([conv, cropped]); // [4, 4, 4]
  const rows = layers.concatenate({ axis: 1, name: 'stack' }).apply([channels, channels]); // [8, 4, 4]
  const pooled = layers.globalMaxPooling2d({ name: 'gmp' }).apply(rows); // [4]
  const out = layers.dense({ units: 3, activation: 'softmax', name: 'out' }).apply(pooled);
  const m = new Model({ inputs: [a, b], outputs: out, seed: 4 });
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
  return m;
}

describe('a model file with the spatial layers', () => {
  it('saves (format v2) and loads: same layers, weights and predictions', async () => {
    const model = spatialModel();
    const rng = seeded(3);
    const n = 8;
    const x = [randomF32(rng, n * 16), randomF32(rng, n * 72)];
    const y = new Float32Array(n * 3).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
    await model.fit(x, y, { epochs: 2, batchSize: 4 });
    const bytes = modelToBytes(model);
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)).toBe(FORMAT_VERSION);
    expect(FORMAT_VERSION).toBe(2);
    const loaded = modelFromBytes(bytes, 'spatial.oxnet');
    expect(loaded.layers.map((l) => [l.type, l.getConfig()])).toEqual(model.layers.map((l) => [l.type, l.getConfig()]));
    expect(loaded.layers.find((l) => l.name === 'pad')?.getConfig()).toEqual({
      name: 'pad',
      padding: [
        [0, 1],
        [1, 0],
      ],
    });
    expect(loaded.layers.find((l) => l.name === 'stack')?.getConfig()).toEqual({ name: 'stack', axis: 1 });
    expect(loaded.summary()).toBe(model.summary());
    expect(loaded.getWeights()).toEqual(model.getWeights());
    const p = model.predict(x) as Float32Array;
    expect(loaded.predict(x)).toEqual(p);
    expect(p.some((v) => !Number.isFinite(v))).toBe(false);
    expect(loaded.evaluate(x, y).loss).toBeCloseTo(model.evaluate(x, y).loss, 6);
  });
});
