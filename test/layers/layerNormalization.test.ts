// layerNormalization: hand-computed forwards (per row of the last axis, with and without gamma
// and beta), config and axis refusals naming the layer, parameters by center / scale, and the
// layer check (float64 gradient check on js, native against js) on vectors and images.
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { layers } from '../../src/layers';
import type { LayerNormalizationConfig } from '../../src/layers/layerNormalization';
import { Model } from '../../src/model/model';
import { nativeOrNull } from '../helpers/backends';
import { checkLayer } from '../helpers/layerCheck';

const backends = (nativeOrNull().native ? ['js', 'native'] : ['js']) as ('js' | 'native')[];

function norm(shape: number[], config: LayerNormalizationConfig, backend: 'js' | 'native') {
  const x = input({ shape });
  return new Model({ inputs: x, outputs: layers.layerNormalization(config).apply(x), seed: 1, backend });
}

function expectClose(got: Float32Array, want: number[]) {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => {
    expect(got[i], `element ${i}`).toBeCloseTo(v, 5);
  });
}

describe.each(backends)('layerNormalization (%s)', (backend) => {
  it('a vector: (x - mean) / sqrt(var + 1e-3), then gamma and beta', () => {
    // x = [1, 2, 3, 4]: mean 2.5, biased variance (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
    const m = norm([4], {}, backend);
    const s = Math.sqrt(1.25 + 1e-3);
    const xhat = [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s];
    expectClose(m.predict(new Float32Array([1, 2, 3, 4])) as Float32Array, xhat);
    // A second sample of its own statistics: [10, 10, 10, 14]: mean 11, var (1 + 1 + 1 + 9) / 4 = 3.
    const t = Math.sqrt(3 + 1e-3);
    const gamma = [1, 2, 3, 4];
    const beta = [0.5, 0, -0.5, 1];
    m.setWeights([gamma, beta]);
    const got = m.predict(new Float32Array([1, 2, 3, 4, 10, 10, 10, 14])) as Float32Array;
    const second = [-1 / t, -1 / t, -1 / t, 3 / t];
    expectClose(got, [...xhat.map((h, k) => gamma[k] * h + beta[k]), ...second.map((h, k) => gamma[k] * h + beta[k])]);
  });

  it('an image: each pixel normalized over its channels; epsilon; center only', () => {
    // Pixel [0, 3, 6]: mean 3, var (9 + 0 + 9) / 3 = 6; pixel [1, 1, 1]: var 0, x̂ = 0, y = beta.
    const m = norm([1, 2, 3], { epsilon: 0.5, scale: false }, backend);
    expect(m.getWeights().map((w) => w.length)).toEqual([3]); // beta only
    m.setWeights([[1, 2, 3]]);
    const s = Math.sqrt(6 + 0.5);
    expectClose(m.predict(new Float32Array([0, 3, 6, 1, 1, 1])) as Float32Array, [-3 / s + 1, 2, 3 / s + 3, 1, 2, 3]);
  });

  it('scale only, and neither: no parameters, the plain x̂', () => {
    const m = norm([3], { center: false }, backend);
    expect(m.getWeights().map((w) => w.length)).toEqual([3]); // gamma only
    m.setWeights([[2, 2, -1]]);
    const s = Math.sqrt(2 / 3 + 1e-3); // x = [1, 2, 3]: mean 2, var 2/3
    expectClose(m.predict(new Float32Array([1, 2, 3])) as Float32Array, [-2 / s, 0, -1 / s]);
    const bare = norm([3], { center: false, scale: false }, backend);
    expect(bare.getWeights()).toEqual([]);
    expect(bare.getState()).toEqual([]); // no running statistics
    expectClose(bare.predict(new Float32Array([1, 2, 3])) as Float32Array, [-1 / s, 0, 1 / s]);
  });
});

describe('layerNormalization', () => {
  it('parameters [gamma, beta] of the last axis, initialized to ones and zeros; saved config', () => {
    const m = norm([2, 5], {}, 'js');
    expect(m.getWeights()).toEqual([new Float32Array(5).fill(1), new Float32Array(5)]);
    const layer = layers.layerNormalization({ epsilon: 1e-5, center: false, name: 'ln' });
    expect(layer.getConfig()).toEqual({ axis: -1, epsilon: 1e-5, center: false, scale: true, name: 'ln' });
  });

  it('the last axis may also be named by its Keras index (the batch axis is 0)', () => {
    const x = input({ shape: [2, 3] });
    expect(layers.layerNormalization({ axis: 2 }).apply(x).shape).toEqual([2, 3]);
  });

  it('refuses other axes and bad settings, naming the layer', () => {
    const x = input({ shape: [2, 3] });
    expect(() => layers.layerNormalization({ axis: 1, name: 'ln' }).apply(x)).toThrow(
      /layer 'ln' \(layerNormalization\) normalizes over the last axis only \(axis -1, or 2 for an input of shape \[2,3\]\), got axis 1/,
    );
    expect(() => layers.layerNormalization({ axis: -2 }).apply(x)).toThrow(/normalizes over the last axis only .* got axis -2/);
    expect(() => layers.layerNormalization({ axis: [1, 2] as unknown as number })).toThrow(
      /layerNormalization axis must be an integer \(-1: the last axis\), got \[1,2\]/,
    );
    expect(() => layers.layerNormalization({ epsilon: 0 })).toThrow(/layerNormalization epsilon must be a positive number, got 0/);
    expect(() => layers.layerNormalization({ center: 'yes' as unknown as boolean })).toThrow(/layerNormalization center must be true or false/);
    expect(() => layers.layerNormalization({ scale: 1 as unknown as boolean })).toThrow(/layerNormalization scale must be true or false/);
    expect(() => layers.layerNormalization({ momentum: 0.9 } as LayerNormalizationConfig)).toThrow(/layerNormalization: unknown option 'momentum'/);
  });

  const cases: [string, number[], LayerNormalizationConfig][] = [
    ['vector, center and scale', [6], {}],
    ['vector, no center', [5], { center: false }],
    ['vector, no scale', [5], { scale: false }],
    ['vector, neither', [4], { center: false, scale: false }],
    ['image, center and scale', [2, 2, 3], {}],
    ['image, scale only, epsilon 1e-2', [2, 3, 4], { center: false, epsilon: 1e-2 }],
    ['sequence [3, 4], center only', [3, 4], { scale: false }],
  ];
  it.each(cases)('%s: float64 gradient check; native equals js', (_name, shape, config) => {
    checkLayer({ shapes: [shape], apply: ([x]) => layers.layerNormalization(config).apply(x) });
  });
});
