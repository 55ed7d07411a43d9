// The concatenate layer: hand-computed joins along feature, channel, height and width axes on
// both backends, Keras-style axes (0 the batch, refused), shape refusals naming the layer, the
// resolved op, and the layer check (float64 gradient check on js, native against js).
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { layers } from '../../src/layers';
import { Model } from '../../src/model/model';
import { checkLayer } from '../helpers/layerCheck';
import { backends } from '../model/helpers';

/** A model joining inputs of `shapes` along `axis`; its prediction for one sample of each. */
function join(shapes: number[][], axis: number | undefined, samples: number[][], backend: 'js' | 'native') {
  const xs = shapes.map((shape, i) => input({ shape, name: `x${i}` }));
  const m = new Model({ inputs: xs, outputs: layers.concatenate(axis === undefined ? {} : { axis }).apply(xs), seed: 1, backend });
  return Array.from(m.predict(samples.map((s) => new Float32Array(s))) as Float32Array);
}

describe.each(backends())('concatenate forward (%s)', (backend) => {
  it('vectors: the features of a, then those of b (default axis -1)', () => {
    expect(
      join(
        [[2], [3]],
        undefined,
        [
          [1, 2],
          [3, 4, 5],
        ],
        backend,
      ),
    ).toEqual([1, 2, 3, 4, 5]);
  });

  // a: [2, 2, 1] = 1..4; b: [2, 2, 2] = 10..17 (pixel-major, channels innermost).
  const a = [1, 2, 3, 4];
  const b = [10, 11, 12, 13, 14, 15, 16, 17];
  it('images along the channels: each pixel [a, b0, b1]', () => {
    expect(
      join(
        [
          [2, 2, 1],
          [2, 2, 2],
        ],
        -1,
        [a, b],
        backend,
      ),
    ).toEqual([1, 10, 11, 2, 12, 13, 3, 14, 15, 4, 16, 17]);
    expect(
      join(
        [
          [2, 2, 1],
          [2, 2, 2],
        ],
        3,
        [a, b],
        backend,
      ),
    ).toEqual([1, 10, 11, 2, 12, 13, 3, 14, 15, 4, 16, 17]);
  });

  it('images along the height (axis 1): rows of a, then rows of b', () => {
    // a [1, 2, 2] = 1..4 above b [2, 2, 2] = 10..17 -> [3, 2, 2].
    expect(
      join(
        [
          [1, 2, 2],
          [2, 2, 2],
        ],
        1,
        [a, b],
        backend,
      ),
    ).toEqual([1, 2, 3, 4, 10, 11, 12, 13, 14, 15, 16, 17]);
  });

  it('images along the width (axis -2), three inputs', () => {
    // a [2, 1, 2] (row 0: 1 2, row 1: 3 4), b [2, 2, 2], c [2, 1, 2] = 20..23 -> [2, 4, 2].
    const c = [20, 21, 22, 23];
    expect(
      join(
        [
          [2, 1, 2],
          [2, 2, 2],
          [2, 1, 2],
        ],
        -2,
        [a, b, c],
        backend,
      ),
    ).toEqual([1, 2, 10, 11, 12, 13, 20, 21, 3, 4, 14, 15, 16, 17, 22, 23]);
  });
});

describe('concatenate shapes and refusals', () => {
  it('output shape and the resolved strided-copy op', () => {
    const p = input({ shape: [4, 3, 2] });
    const q = input({ shape: [4, 3, 5] });
    const r = input({ shape: [4, 1, 2] });
    expect(layers.concatenate().apply([p, q]).shape).toEqual([4, 3, 7]);
    expect(layers.concatenate({ axis: 2 }).apply([p, r, p]).shape).toEqual([4, 7, 2]);
    expect(
      layers.concatenate().build(
        [
          [4, 3, 2],
          [4, 3, 5],
        ],
        { where: 'x', fromModelInput: [true, true] },
      ).nodes[0].op,
    ).toEqual({
      type: 'concatenate',
      outer: 12,
      widths: [2, 5],
    });
    expect(
      layers.concatenate({ axis: 1 }).build(
        [
          [4, 3, 2],
          [1, 3, 2],
        ],
        { where: 'x', fromModelInput: [true, true] },
      ).nodes[0].op,
    ).toEqual({
      type: 'concatenate',
      outer: 1,
      widths: [24, 6],
    });
  });

  it('refuses inputs that disagree off the axis, naming the layer and the shapes', () => {
    const p = input({ shape: [2, 3, 4] });
    const q = input({ shape: [2, 5, 4] });
    const v = input({ shape: [24] });
    expect(() => layers.concatenate({ name: 'cat' }).apply([p, q])).toThrow(
      /layer 'cat' \(concatenate\) needs inputs that agree on every axis but axis -1, got \[2,3,4\] and \[2,5,4\]/,
    );
    expect(() => layers.concatenate({ name: 'cat', axis: 1 }).apply([p, q])).toThrow(/axis 1, got \[2,3,4\] and \[2,5,4\]/);
    expect(() => layers.concatenate({ name: 'mixed' }).apply([p, v])).toThrow(/layer 'mixed' \(concatenate\).*got \[2,3,4\] and \[24\]/);
    expect(() => layers.concatenate({ name: 'far', axis: 4 }).apply([p, p])).toThrow(
      /layer 'far' \(concatenate\): axis 4 is not an axis of inputs of shape \[2,3,4\]/,
    );
    expect(() => layers.concatenate({ axis: -4 }).apply([p, p])).toThrow(/axis -4 is not an axis/);
    expect(() => layers.concatenate().apply([p])).toThrow(/merges at least two inputs, got 1/);
  });

  it('refuses the batch axis and non-integer axes at config time', () => {
    expect(() => layers.concatenate({ axis: 0 })).toThrow(/axis 0 is the batch axis/);
    expect(() => layers.concatenate({ axis: 1.5 })).toThrow(/axis must be an integer, got 1\.5/);
    expect(() => layers.concatenate({ axis: '1' as never })).toThrow(/axis must be an integer/);
    expect(() => layers.concatenate({ axes: 1 } as never)).toThrow(/unknown option 'axes'/);
  });
});

describe('concatenate layer check: float64 gradient check; native equals js', () => {
  it.each([
    ['vectors, axis -1', [[4], [3]], -1],
    [
      'images, channels',
      [
        [2, 3, 2],
        [2, 3, 1],
      ],
      -1,
    ],
    [
      'images, height (axis 1), three inputs',
      [
        [2, 3, 2],
        [1, 3, 2],
        [3, 3, 2],
      ],
      1,
    ],
    [
      'images, width (axis -2)',
      [
        [2, 3, 2],
        [2, 1, 2],
      ],
      -2,
    ],
    [
      'images, width (axis 2), three inputs',
      [
        [2, 1, 1],
        [2, 2, 1],
        [2, 3, 1],
      ],
      2,
    ],
  ] as [string, number[][], number][])('%s', (_, shapes, axis) => {
    checkLayer({ shapes, apply: (xs) => layers.concatenate({ axis }).apply(xs) });
  });

  it('one input twice: concatenate(x, y, x) sums both slices into x', () => {
    checkLayer({
      shapes: [
        [2, 2, 1],
        [2, 2, 3],
      ],
      apply: ([x, y]) => layers.concatenate().apply([x, y, x]),
    });
  });
});
