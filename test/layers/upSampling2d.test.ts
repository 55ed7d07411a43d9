// upSampling2d: hand-computed forwards (nearest; bilinear from the half-pixel formula of the
// layer's definition, u = (o + 0.5) / s - 0.5 clamped at the edges), config and shape refusals
// naming the layer, and the layer check (float64 gradient check on js, native against js) for
// each interpolation and several sizes.
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { layers } from '../../src/layers';
import type { UpSampling2dConfig } from '../../src/layers/upSampling2d';
import { Model } from '../../src/model/model';
import { nativeOrNull } from '../helpers/backends';
import { checkLayer } from '../helpers/layerCheck';

const backends = (nativeOrNull().native ? ['js', 'native'] : ['js']) as ('js' | 'native')[];

function up(shape: number[], config: UpSampling2dConfig, backend: 'js' | 'native') {
  const x = input({ shape });
  return new Model({ inputs: x, outputs: layers.upSampling2d(config).apply(x), seed: 1, backend });
}

function expectClose(got: Float32Array, want: number[]) {
  expect(got.length).toBe(want.length);
  want.forEach((v, i) => {
    expect(got[i], `element ${i}`).toBeCloseTo(v, 5);
  });
}

describe.each(backends)('upSampling2d (%s)', (backend) => {
  it('nearest 2x2 -> 4x4 (default size 2) repeats each pixel', () => {
    const m = up([2, 2, 1], {}, backend);
    // biome-ignore format: the 4x4 image, row by row
    const want = [
      1, 1, 2, 2,
      1, 1, 2, 2,
      3, 3, 4, 4,
      3, 3, 4, 4,
    ];
    expect(Array.from(m.predict(new Float32Array([1, 2, 3, 4])) as Float32Array)).toEqual(want);
  });

  it('nearest [2, 3] on two channels, two samples', () => {
    const m = up([1, 2, 2], { size: [2, 3] }, backend);
    const row = (a: number, b: number) => [a, 10 * a, a, 10 * a, a, 10 * a, b, 10 * b, b, 10 * b, b, 10 * b];
    const got = Array.from(m.predict(new Float32Array([1, 10, 2, 20, -1, -10, 5, 50])) as Float32Array);
    expect(got).toEqual([...row(1, 2), ...row(1, 2), ...row(-1, 5), ...row(-1, 5)]);
  });

  it('bilinear 2x2 -> 4x4: rows and columns weighted 1, 3/4 1/4, 1/4 3/4, 1 (edges clamped)', () => {
    // One axis, s = 2: u = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (hi clamped to 1), so
    // [a, b] -> [a, 0.75a + 0.25b, 0.25a + 0.75b, b]; rows of [[1, 2], [3, 4]] give
    // [1, 1.25, 1.75, 2] and [3, 3.25, 3.75, 4], then the same weights down the columns.
    const m = up([2, 2, 1], { interpolation: 'bilinear' }, backend);
    // biome-ignore format: the 4x4 image, row by row
    const want = [
      1.0, 1.25, 1.75, 2.0,
      1.5, 1.75, 2.25, 2.5,
      2.5, 2.75, 3.25, 3.5,
      3.0, 3.25, 3.75, 4.0,
    ];
    expectClose(m.predict(new Float32Array([1, 2, 3, 4])) as Float32Array, want);
  });

  it('bilinear, asymmetric size [2, 3]: 2x2 -> 4x6', () => {
    // Columns, s = 3: u = -1/3 (-> 0), 0, 1/3, 2/3, 1, 4/3 (hi clamped): [a, a, (2a + b)/3,
    // (a + 2b)/3, b, b]; rows [1, 2] -> [1, 1, 4/3, 5/3, 2, 2], [3, 4] -> [3, 3, 10/3, 11/3, 4, 4].
    // Rows, s = 2: r0, 0.75 r0 + 0.25 r1, 0.25 r0 + 0.75 r1, r1.
    const r0 = [1, 1, 4 / 3, 5 / 3, 2, 2];
    const r1 = [3, 3, 10 / 3, 11 / 3, 4, 4];
    const mix = (p: number) => r0.map((v, i) => (1 - p) * v + p * r1[i]);
    const m = up([2, 2, 1], { size: [2, 3], interpolation: 'bilinear' }, backend);
    expectClose(m.predict(new Float32Array([1, 2, 3, 4])) as Float32Array, [...r0, ...mix(0.25), ...mix(0.75), ...r1]);
  });

  it('bilinear across three pixels and two channels: [0, 4, 8] -> [0, 1, 3, 5, 7, 8], channels apart', () => {
    // n = 3, s = 2: u = 0 (clamped), 0.25, 0.75, 1.25, 1.75, 2.25 -> 2 (clamped).
    const m = up([1, 3, 2], { size: [1, 2], interpolation: 'bilinear' }, backend);
    const got = m.predict(new Float32Array([0, 0, 4, -40, 8, -80])) as Float32Array;
    expectClose(got, [0, 0, 1, -10, 3, -30, 5, -50, 7, -70, 8, -80]);
  });
});

describe('upSampling2d', () => {
  it('output shape and saved config', () => {
    const x = input({ shape: [3, 5, 2] });
    const layer = layers.upSampling2d({ size: [2, 3], interpolation: 'bilinear', name: 'up' });
    expect(layer.apply(x).shape).toEqual([6, 15, 2]);
    expect(layer.getConfig()).toEqual({ size: [2, 3], interpolation: 'bilinear', name: 'up' });
    expect(layers.upSampling2d().getConfig()).toEqual({ size: [2, 2], interpolation: 'nearest' });
  });

  it('refuses bad configs and non-image inputs, naming the layer', () => {
    expect(() => layers.upSampling2d({ size: 0 })).toThrow(/upSampling2d size must be a positive integer, got 0/);
    expect(() => layers.upSampling2d({ size: [2, 1.5] as [number, number] })).toThrow(/upSampling2d size\[1\] must be a positive integer/);
    expect(() => layers.upSampling2d({ interpolation: 'bicubic' as 'nearest' })).toThrow(
      /upSampling2d interpolation must be 'nearest' or 'bilinear', got "bicubic"/,
    );
    expect(() => layers.upSampling2d({ factor: 2 } as UpSampling2dConfig)).toThrow(/upSampling2d: unknown option 'factor'/);
    const v = input({ shape: [8] });
    expect(() => layers.upSampling2d({ name: 'grow' }).apply(v)).toThrow(
      /layer 'grow' expects an input of rank 3 \(\[height, width, channels\]\), got shape \[8\]/,
    );
    const big = input({ shape: [30000, 30000, 1] });
    expect(() => layers.upSampling2d({ name: 'huge' }).apply(big)).toThrow(/layer 'huge' output shape .* has more than/);
  });

  const cases: [string, number[], UpSampling2dConfig][] = [
    ['nearest, size 2', [2, 3, 2], { size: 2 }],
    ['nearest, size [2, 3]', [3, 2, 2], { size: [2, 3] }],
    ['bilinear, size 2', [3, 3, 2], { size: 2, interpolation: 'bilinear' }],
    ['bilinear, size [2, 3]', [2, 3, 2], { size: [2, 3], interpolation: 'bilinear' }],
    ['bilinear, size [3, 1], one channel', [3, 2, 1], { size: [3, 1], interpolation: 'bilinear' }],
  ];
  it.each(cases)('%s: float64 gradient check; native equals js', (_name, shape, config) => {
    checkLayer({ shapes: [shape], apply: ([x]) => layers.upSampling2d(config).apply(x) });
  });
});
