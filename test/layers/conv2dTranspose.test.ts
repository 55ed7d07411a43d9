// conv2dTranspose: hand-computed forwards, output shapes against Keras's deconv_output_length
// (and the padding TensorFlow's conv2d_transpose implies), the layer as the input gradient of
// conv2d on both backends, refusals naming the layer, and the layer check (float64 gradient
// check on js, native against js) over strides, paddings, output paddings and activations.
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backend/js';
import type { Backend } from '../../src/backend/types';
import { input } from '../../src/graph/symbolic';
import { layers, type Layer } from '../../src/layers';
import type { Conv2dTransposeOp } from '../../src/layers/conv2dTranspose';
import { Model } from '../../src/model/model';
import { closeness, nativeOrNull } from '../helpers/backends';
import { checkLayer } from '../helpers/layerCheck';
import { randomF32, seeded } from '../helpers/random';

const { native } = nativeOrNull();
const backends: ['js' | 'native', Backend][] = native
  ? [
      ['js', jsBackend],
      ['native', native],
    ]
  : [['js', jsBackend]];

function modelOf(layer: Layer, shape: number[], backend: 'js' | 'native' = 'js') {
  const x = input({ shape });
  return new Model({ inputs: x, outputs: layer.apply(x), seed: 3, backend });
}

/** The op a conv2dTranspose resolves to for an input of `shape`. */
function opOf(layer: Layer, shape: number[]): Conv2dTransposeOp {
  return layer.build([shape], { where: "layer 't'", fromModelInput: [true] }).nodes[0].op as Conv2dTransposeOp;
}

/** Keras's deconv_output_length (dilation 1). */
function kerasLength(input: number, k: number, padding: 'same' | 'valid', outputPadding: number | null, s: number): number {
  if (outputPadding === null) return padding === 'valid' ? input * s + Math.max(k - s, 0) : input * s;
  const pad = padding === 'same' ? Math.floor(k / 2) : 0;
  return (input - 1) * s + k - 2 * pad + outputPadding;
}

describe('conv2dTranspose', () => {
  it.each(backends)('%s: a 2x2 input, 2x2 kernel, stride 2 scatters each pixel times the kernel into its own 2x2 block', (name) => {
    const layer = layers.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2 });
    const m = modelOf(layer, [2, 2, 1], name);
    expect(m.outputShape).toEqual([4, 4, 1]);
    m.setWeights([[1, 2, 3, 4], [0.5]]);
    const y = Array.from(m.predict([[1, 2, 3, 4]]) as Float32Array).map((v) => v - 0.5);
    expect(y).toEqual([1, 2, 2, 4, 3, 4, 6, 8, 3, 6, 4, 8, 9, 12, 12, 16]);
  });

  it.each(backends)('%s: stride 1 windows overlap and add; kernel [kh, kw, filters, inChannels]', (name) => {
    // Two input channels, two filters: K[ky, kx, f, c] = (f + 1) * (c === 0 ? 1 : 10).
    const layer = layers.conv2dTranspose({ filters: 2, kernelSize: 2, useBias: false });
    const m = modelOf(layer, [2, 2, 2], name);
    expect(m.weightsInfo()).toEqual([{ name: 'conv2dTranspose_1/kernel', shape: [2, 2, 2, 2] }]);
    m.setWeights([Array.from({ length: 4 }, () => [1, 10, 2, 20]).flat()]);
    // Pixels (0,0), (1,1) hold channel 0 = 1; (0,1), (1,0) hold channel 1 = 1.
    const y = m.predict([[1, 0, 0, 1, 0, 1, 1, 0]]) as Float32Array;
    // Filter 0 gets 1 per channel-0 pixel and 10 per channel-1 pixel over the 3x3 overlap; filter 1 twice that.
    const f0 = [1, 11, 10, 11, 22, 11, 10, 11, 1];
    expect(Array.from(y)).toEqual(f0.flatMap((v) => [v, 2 * v]));
  });

  it("output shapes follow Keras (outputPadding none or given) and the padding is TensorFlow's", () => {
    const cases: [number, number, number, 'same' | 'valid', number | null][] = [
      // input, kernel, stride, padding, outputPadding
      [5, 3, 2, 'same', null],
      [5, 3, 2, 'same', 1],
      [5, 3, 2, 'same', 0],
      [5, 4, 2, 'same', null],
      [5, 4, 2, 'same', 1],
      [5, 3, 2, 'valid', null],
      [5, 3, 2, 'valid', 1],
      [5, 1, 2, 'valid', null],
      [5, 1, 3, 'valid', 2],
      [4, 5, 1, 'same', null],
      [4, 3, 3, 'same', 2],
      [3, 2, 1, 'valid', null],
    ];
    for (const [n, k, s, padding, op] of cases) {
      const layer = layers.conv2dTranspose({ filters: 3, kernelSize: k, strides: s, padding, outputPadding: op });
      const want = kerasLength(n, k, padding, op, s);
      expect(layer.build([[n, n + 1, 2]], { where: "layer 't'", fromModelInput: [true] }).outputShape, `${n} k${k} s${s} ${padding} ${op}`).toEqual([
        want,
        kerasLength(n + 1, k, padding, op, s),
        3,
      ]);
      // The brief's closed forms: valid (in - 1) s + k + op when op is given (or k >= s), same in * s without op.
      if (padding === 'valid' && (op !== null || k >= s)) expect(want).toBe((n - 1) * s + k + (op ?? 0));
      if (padding === 'same' && op === null) expect(want).toBe(n * s);
      // TensorFlow pads the conv over the output by max(full - out, 0), the odd one after ('valid': none).
      const full = (n - 1) * s + k;
      const total = Math.max(full - want, 0);
      const p = opOf(layer, [n, n + 1, 2]).padding;
      expect([p[0], p[1]]).toEqual([Math.floor(total / 2), total - Math.floor(total / 2)]);
      if (padding === 'valid') expect(total).toBe(0);
    }
    // The common decoder step: 'same', stride 2, kernel 3 doubles the size (outputPadding 1 or
    // none); TensorFlow's SAME conv over 14 pads (7 - 1) * 2 + 3 - 14 = 1, after.
    for (const outputPadding of [1, null]) {
      const up = layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', outputPadding });
      expect(opOf(up, [7, 7, 8])).toMatchObject({ inShape: [7, 7, 8], outShape: [14, 14, 4], padding: [0, 1, 0, 1], strides: [2, 2], kernel: [3, 3] });
    }
    // kernel 5, stride 1, 'same': 2 cropped off each side.
    expect(opOf(layers.conv2dTranspose({ filters: 1, kernelSize: 5, padding: 'same' }), [6, 6, 1])).toMatchObject({
      outShape: [6, 6, 1],
      padding: [2, 2, 2, 2],
    });
    // Non-square: kernel [3, 2], strides [2, 1].
    const r = layers.conv2dTranspose({ filters: 1, kernelSize: [3, 2], strides: [2, 1], padding: 'same' });
    expect(r.build([[4, 5, 1]], { where: "layer 't'", fromModelInput: [true] }).outputShape).toEqual([8, 5, 1]);
  });

  it.each(backends)(
    "%s: the forward is conv2d's input gradient, the kernel [kh, kw, filters, in] read as conv2d's HWIO [kh, kw, in, filters] with in and filters swapped",
    (name, backend) => {
      const rng = seeded(9);
      const cases: [number, number, number, number, number, 'same' | 'valid', number | null][] = [
        [5, 3, 4, 3, 2, 'same', null],
        [5, 3, 4, 3, 2, 'same', 1],
        [4, 2, 3, 4, 2, 'valid', 1],
        [3, 4, 2, 2, 3, 'valid', null],
        [6, 2, 5, 3, 1, 'same', null],
      ];
      for (const [hw, c, f, k, s, padding, outputPadding] of cases) {
        const layer = layers.conv2dTranspose({ filters: f, kernelSize: k, strides: s, padding, outputPadding, useBias: false });
        const m = modelOf(layer, [hw, hw, c], name);
        const op = opOf(layer, [hw, hw, c]);
        const n = 2;
        const w = randomF32(rng, k * k * f * c);
        m.setWeights([w]);
        const dy = randomF32(rng, n * hw * hw * c);
        const y = m.predict(dy) as Float32Array;
        // conv2d over the transposed output [oh, ow, f] with `filters` = c: its dy is our input.
        const g = {
          batch: n,
          inShape: op.outShape,
          filters: c,
          kernel: op.kernel,
          strides: op.strides,
          padding: op.padding,
          dilation: [1, 1] as [number, number],
        };
        const x = randomF32(rng, n * op.outShape[0] * op.outShape[1] * f);
        const { dx } = backend.conv2dBackward(x, w, dy, g);
        expect(closeness(y, dx, 1e-5, 1e-4), `${hw} c${c} f${f} k${k} s${s} ${padding} ${outputPadding}`).toBeNull();
      }
    },
  );

  it('refuses bad options and inputs, naming the layer', () => {
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2 })).toThrow(
      /conv2dTranspose outputPadding \[2,2\] must be less than strides \[2,2\]/,
    );
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: [2, 3], outputPadding: [1, 3] })).toThrow(/must be less than strides/);
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, dilationRate: 2 })).toThrow(/conv2dTranspose dilationRate must be 1, got 2/);
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, padding: 1 as never })).toThrow(/conv2dTranspose padding must be 'valid' or 'same'/);
    expect(() => layers.conv2dTranspose({ filters: 0, kernelSize: 3 })).toThrow(/conv2dTranspose filters must be a positive integer/);
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, outputPadding: -1 })).toThrow(/outputPadding must be a non-negative integer/);
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' } as never)).toThrow(/unknown option 'dataFormat'/);
    const x = input({ shape: [4] });
    expect(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, name: 'up' }).apply(x)).toThrow(/layer 'up' expects an input of rank 3/);
    // 'same', even kernel, outputPadding 0 on a 1-pixel input: Keras's length (1 - 1) * 2 + 0 + 0 is 0.
    const one = input({ shape: [1, 1, 1] });
    expect(() => layers.conv2dTranspose({ filters: 1, kernelSize: 2, strides: 2, padding: 'same', outputPadding: 0, name: 'up' }).apply(one)).toThrow(
      /layer 'up': output size \[0, 0\] of input \[1, 1\] is empty/,
    );
  });

  const configs: [string, number[], Parameters<typeof layers.conv2dTranspose>[0]][] = [
    ['stride 1 valid tanh', [3, 3, 2], { filters: 2, kernelSize: 2, activation: 'tanh' }],
    ['stride 2 same', [3, 2, 2], { filters: 3, kernelSize: 3, strides: 2, padding: 'same' }],
    ['stride 2 same outputPadding 1 sigmoid', [2, 3, 3], { filters: 2, kernelSize: 3, strides: 2, padding: 'same', outputPadding: 1, activation: 'sigmoid' }],
    [
      'stride 2 valid outputPadding [1, 0] leakyRelu no bias',
      [2, 2, 2],
      { filters: 2, kernelSize: [2, 3], strides: 2, outputPadding: [1, 0], activation: 'leakyRelu', alpha: 0.2, useBias: false },
    ],
    ['stride 3 kernel 2 valid (kernel below the stride)', [2, 2, 2], { filters: 2, kernelSize: 2, strides: 3, activation: 'tanh' }],
    ['stride [1, 2] same kernel 4 softmax', [3, 2, 2], { filters: 3, kernelSize: 4, strides: [1, 2], padding: 'same', activation: 'softmax' }],
  ];
  it.each(configs)('%s: float64 gradient check; native equals js', (_name, shape, config) => {
    checkLayer({ shapes: [shape], apply: ([x]) => layers.conv2dTranspose(config).apply(x) });
  });
});
