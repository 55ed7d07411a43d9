// depthwiseConv2d: a hand-computed forward with multiplier 2 (TensorFlow's channel order),
// output shapes for 'same' / 'valid', strides and dilation, refusals naming the layer, and the
// layer check (float64 gradient check on js, native against js) over several configs.
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { layers, type Layer } from '../../src/layers';
import { Model } from '../../src/model/model';
import { nativeOrNull } from '../helpers/backends';
import { checkLayer } from '../helpers/layerCheck';

const { native } = nativeOrNull();
const backends: ('js' | 'native')[] = native ? ['js', 'native'] : ['js'];

function modelOf(layer: Layer, shape: number[], backend: 'js' | 'native' = 'js') {
  const x = input({ shape });
  return new Model({ inputs: x, outputs: layer.apply(x), seed: 3, backend });
}

const where = { where: "layer 'd'", fromModelInput: [true] };

describe('depthwiseConv2d', () => {
  it.each(backends)('%s: multiplier 2 puts channel i under filter j at output channel 2i + j', (backend) => {
    // 3x3 input, channel 0 = 1..9, channel 1 = 10 times that; kernel 2x2, valid.
    const m = modelOf(layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2 }), [3, 3, 2], backend);
    expect(m.outputShape).toEqual([2, 2, 4]);
    expect(m.weightsInfo()).toEqual([
      { name: 'depthwiseConv2d_1/depthwiseKernel', shape: [2, 2, 2, 2] },
      { name: 'depthwiseConv2d_1/bias', shape: [4] },
    ]);
    // K[ky, kx, i, j]: channel 0 filter 0 = top-left tap, filter 1 = window sum; channel 1
    // filter 0 = bottom-right tap, filter 1 = top-right minus bottom-left.
    const k = [1, 1, 0, 0, 0, 1, 0, 1, 0, 1, 0, -1, 0, 1, 1, 0];
    m.setWeights([k, [0, 0, 0, 100]]);
    const x = Array.from({ length: 9 }, (_, i) => [i + 1, 10 * (i + 1)]).flat();
    const y = Array.from(m.predict([x]) as Float32Array);
    expect(y).toEqual([1, 12, 50, 80, 2, 16, 60, 80, 4, 24, 80, 80, 5, 28, 90, 80]);
  });

  it.each(backends)('%s: multiplier 1 with stride 2 and bias, relu', (backend) => {
    // 4x4 single channel 0..15, kernel 2x2 of ones, stride 2: the four block sums, minus 30.
    const m = modelOf(layers.depthwiseConv2d({ kernelSize: 2, strides: 2, activation: 'relu' }), [4, 4, 1], backend);
    m.setWeights([[1, 1, 1, 1], [-30]]);
    const y = m.predict([Array.from({ length: 16 }, (_, i) => i)]) as Float32Array;
    // Blocks {0,1,4,5} = 10, {2,3,6,7} = 18, {8,9,12,13} = 42, {10,11,14,15} = 50.
    expect(Array.from(y)).toEqual([0, 0, 12, 20]);
  });

  it('output shapes: channels times the multiplier, windows as conv2d', () => {
    const shape = (config: Parameters<typeof layers.depthwiseConv2d>[0], s: number[]) => layers.depthwiseConv2d(config).build([s], where).outputShape;
    expect(shape({ kernelSize: 3 }, [7, 6, 3])).toEqual([5, 4, 3]);
    expect(shape({ kernelSize: 3, padding: 'same', depthMultiplier: 4 }, [7, 6, 3])).toEqual([7, 6, 12]);
    expect(shape({ kernelSize: 3, strides: 2, padding: 'same' }, [7, 6, 3])).toEqual([4, 3, 3]);
    expect(shape({ kernelSize: 3, strides: 2 }, [7, 6, 3])).toEqual([3, 2, 3]);
    expect(shape({ kernelSize: 3, dilationRate: 2, depthMultiplier: 2 }, [7, 6, 3])).toEqual([3, 2, 6]);
    expect(shape({ kernelSize: [1, 3], padding: 'same', dilationRate: [1, 2] }, [5, 5, 2])).toEqual([5, 5, 2]);
    const op = layers.depthwiseConv2d({ kernelSize: 4, strides: 2, padding: 'same', depthMultiplier: 2 }).build([[7, 7, 3]], where).nodes[0].op;
    expect(op).toMatchObject({ type: 'depthwiseConv2d', inShape: [7, 7, 3], depthMultiplier: 2, kernel: [4, 4], padding: [1, 2, 1, 2], dilation: [1, 1] });
  });

  it('refuses bad options and inputs, naming the layer', () => {
    expect(() => layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 0 })).toThrow(/depthwiseConv2d depthMultiplier must be a positive integer, got 0/);
    expect(() => layers.depthwiseConv2d({ kernelSize: 0 })).toThrow(/depthwiseConv2d kernelSize must be a positive integer/);
    expect(() => layers.depthwiseConv2d({ kernelSize: 3, filters: 4 } as never)).toThrow(/depthwiseConv2d: unknown option 'filters'/);
    expect(() => layers.depthwiseConv2d({ kernelSize: 3, depthwiseInitializer: 'nope' as never })).toThrow(/depthwiseInitializer must be one of/);
    expect(() => layers.depthwiseConv2d({ kernelSize: 3, activation: 'swish' as never })).toThrow(/depthwiseConv2d activation must be one of/);
    expect(() => layers.depthwiseConv2d({ kernelSize: 3, name: 'dw' }).apply(input({ shape: [9] }))).toThrow(/layer 'dw' expects an input of rank 3/);
    expect(() => layers.depthwiseConv2d({ kernelSize: 5, name: 'dw' }).apply(input({ shape: [3, 3, 1] }))).toThrow(
      /layer 'dw': window of 5 .* larger than the padded input height 3/,
    );
  });

  const configs: [string, number[], Parameters<typeof layers.depthwiseConv2d>[0]][] = [
    ['multiplier 1 valid tanh', [4, 4, 3], { kernelSize: 3, activation: 'tanh' }],
    ['multiplier 2 same', [4, 3, 2], { kernelSize: 3, padding: 'same', depthMultiplier: 2 }],
    ['multiplier 3 stride 2 same sigmoid', [5, 5, 2], { kernelSize: 3, strides: 2, padding: 'same', depthMultiplier: 3, activation: 'sigmoid' }],
    [
      'dilation [2, 1], kernel [2, 3], no bias, leakyRelu',
      [4, 4, 2],
      { kernelSize: [2, 3], dilationRate: [2, 1], useBias: false, activation: 'leakyRelu', alpha: 0.1 },
    ],
    ['multiplier 2 softmax over the channels', [3, 3, 2], { kernelSize: 2, depthMultiplier: 2, activation: 'softmax' }],
    ['17 channels (a full tile of 16 and one more)', [2, 1, 17], { kernelSize: [2, 1], padding: 'same' }],
  ];
  it.each(configs)('%s: float64 gradient check; native equals js', (_name, shape, config) => {
    checkLayer({ shapes: [shape], apply: ([x]) => layers.depthwiseConv2d(config).apply(x) });
  });
});
