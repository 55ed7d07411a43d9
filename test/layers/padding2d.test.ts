// zeroPadding2d and cropping2d: the Keras forms of the amounts, hand-computed forwards on both
// backends, the one pad2d op with signed amounts they resolve to, refusals naming the layer, and
// the layer check (float64 gradient check on js, native against js).
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { layers } from '../../src/layers';
import { Model } from '../../src/model/model';
import type { Layer } from '../../src/layers/layer';
import { checkLayer } from '../helpers/layerCheck';
import { backends } from '../model/helpers';

const ctx = { where: "layer 'p'", fromModelInput: [true] };

function run(layer: Layer, shape: number[], x: number[], backend: 'js' | 'native') {
  const i = input({ shape });
  const y = layer.apply(i);
  const m = new Model({ inputs: i, outputs: y, seed: 1, backend });
  return { shape: y.shape, values: Array.from(m.predict(new Float32Array(x)) as Float32Array) };
}

// A [2, 3, 1] image: row 0 = 1 2 3, row 1 = 4 5 6.
const img = [1, 2, 3, 4, 5, 6];

describe.each(backends())('zeroPadding2d / cropping2d forward (%s)', (backend) => {
  it('zeroPadding2d 1: a ring of zeros', () => {
    expect(run(layers.zeroPadding2d(), [2, 3, 1], img, backend)).toEqual({
      shape: [4, 5, 1],
      values: [0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0],
    });
  });

  it('zeroPadding2d [[top, bottom], [left, right]] asymmetric, two channels', () => {
    // [1, 2, 2]: pixels (1, 2), (3, 4); padding top 0, bottom 1, left 2, right 0 -> [2, 4, 2].
    expect(
      run(
        layers.zeroPadding2d({
          padding: [
            [0, 1],
            [2, 0],
          ],
        }),
        [1, 2, 2],
        [1, 2, 3, 4],
        backend,
      ),
    ).toEqual({ shape: [2, 4, 2], values: [0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0] });
  });

  it('cropping2d [[top, bottom], [left, right]] and [h, w]', () => {
    expect(
      run(
        layers.cropping2d({
          cropping: [
            [1, 0],
            [0, 1],
          ],
        }),
        [2, 3, 1],
        img,
        backend,
      ),
    ).toEqual({ shape: [1, 2, 1], values: [4, 5] });
    // [4, 4, 1] = 0..15, crop 1 row top and bottom, no columns -> rows 1 and 2.
    const sq = Array.from({ length: 16 }, (_, i) => i);
    expect(run(layers.cropping2d({ cropping: [1, 0] }), [4, 4, 1], sq, backend)).toEqual({ shape: [2, 4, 1], values: [4, 5, 6, 7, 8, 9, 10, 11] });
    expect(run(layers.cropping2d({ cropping: 1 }), [4, 4, 1], sq, backend)).toEqual({ shape: [2, 2, 1], values: [5, 6, 9, 10] });
    expect(run(layers.cropping2d(), [2, 3, 1], img, backend)).toEqual({ shape: [2, 3, 1], values: img });
  });
});

describe('zeroPadding2d / cropping2d configs, ops and refusals', () => {
  it('the Keras forms normalize to [[top, bottom], [left, right]] (what a file stores)', () => {
    expect(layers.zeroPadding2d().getConfig()).toEqual({
      padding: [
        [1, 1],
        [1, 1],
      ],
    });
    expect(layers.zeroPadding2d({ padding: [2, 3] }).getConfig()).toEqual({
      padding: [
        [2, 2],
        [3, 3],
      ],
    });
    expect(layers.cropping2d({ cropping: 2 }).getConfig()).toEqual({
      cropping: [
        [2, 2],
        [2, 2],
      ],
    });
  });

  it('both resolve to one pad2d op, cropping with negative amounts', () => {
    const pad = layers.zeroPadding2d({
      padding: [
        [0, 2],
        [1, 3],
      ],
    });
    expect(pad.build([[5, 4, 3]], ctx).nodes[0].op).toEqual({ type: 'pad2d', inShape: [5, 4, 3], padding: [0, 2, 1, 3] });
    expect(pad.build([[5, 4, 3]], ctx).outputShape).toEqual([7, 8, 3]);
    const crop = layers.cropping2d({
      cropping: [
        [0, 2],
        [1, 1],
      ],
    });
    expect(crop.build([[5, 4, 3]], ctx).nodes[0].op).toEqual({ type: 'pad2d', inShape: [5, 4, 3], padding: [0, -2, -1, -1] });
    expect(crop.build([[5, 4, 3]], ctx).outputShape).toEqual([3, 2, 3]);
  });

  it('refuses crops that leave nothing, naming the layer', () => {
    const x = input({ shape: [3, 4, 1] });
    expect(() => layers.cropping2d({ name: 'crop', cropping: [2, 0] }).apply(x)).toThrow(
      /layer 'crop' \(cropping2d\) crops \[\[2,2\],\[0,0\]\] from an image of shape \[3,4,1\], which leaves -1 rows and 4 columns/,
    );
    expect(() =>
      layers
        .cropping2d({
          name: 'crop',
          cropping: [
            [0, 0],
            [1, 3],
          ],
        })
        .apply(x),
    ).toThrow(/layer 'crop' \(cropping2d\).*leaves 3 rows and 0 columns/);
    expect(layers.cropping2d({ cropping: [1, 1] }).apply(x).shape).toEqual([1, 2, 1]);
  });

  it('refuses bad amounts and inputs that are not images', () => {
    expect(() => layers.zeroPadding2d({ padding: -1 })).toThrow(/zeroPadding2d padding must be a non-negative integer, got -1/);
    expect(() => layers.zeroPadding2d({ padding: [1, 1.5] })).toThrow(/zeroPadding2d padding\[1\] must be a non-negative integer, got 1\.5/);
    expect(() =>
      layers.cropping2d({
        cropping: [
          [1, 0],
          [0, -2],
        ],
      }),
    ).toThrow(/cropping2d cropping\[1\]\[1\] must be a non-negative integer, got -2/);
    expect(() => layers.cropping2d({ cropping: [1, 2, 3, 4] as never })).toThrow(
      /cropping2d cropping must be n, \[h, w\] or \[\[top, bottom\], \[left, right\]\]/,
    );
    const v = input({ shape: [6] });
    expect(() => layers.zeroPadding2d({ name: 'pad' }).apply(v)).toThrow(
      /layer 'pad' expects an input of rank 3 \(\[height, width, channels\]\), got shape \[6\]/,
    );
    expect(() => layers.cropping2d({ name: 'crop' }).apply(v)).toThrow(/layer 'crop' expects an input of rank 3/);
  });
});

describe('zeroPadding2d / cropping2d layer check: float64 gradient check; native equals js', () => {
  const cases: [string, number[], () => Layer][] = [
    ['pad 1', [2, 3, 2], () => layers.zeroPadding2d()],
    ['pad [h, w] = [2, 0]', [2, 2, 1], () => layers.zeroPadding2d({ padding: [2, 0] })],
    [
      'pad asymmetric [[0, 2], [1, 0]]',
      [3, 2, 2],
      () =>
        layers.zeroPadding2d({
          padding: [
            [0, 2],
            [1, 0],
          ],
        }),
    ],
    ['crop 1', [3, 4, 2], () => layers.cropping2d({ cropping: 1 })],
    [
      'crop asymmetric [[1, 0], [0, 2]]',
      [4, 4, 2],
      () =>
        layers.cropping2d({
          cropping: [
            [1, 0],
            [0, 2],
          ],
        }),
    ],
  ];
  it.each(cases)('%s', (_, shape, make) => {
    checkLayer({ shapes: [shape], apply: ([x]) => make().apply(x) });
  });

  it('pad then crop back: the original image and gradient', () => {
    checkLayer({ shapes: [[2, 3, 1]], apply: ([x]) => layers.cropping2d({ cropping: [1, 2] }).apply(layers.zeroPadding2d({ padding: [1, 2] }).apply(x)) });
  });
});
