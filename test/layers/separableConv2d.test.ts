// separableConv2d: two backend nodes (depthwiseConv2d, then a 1x1 conv2d with the bias and the
// activation), its parameters, equality with the two layers written out, a hand-computed forward,
// refusals naming the layer, and the layer check over several configs.
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { layers, type Layer } from '../../src/layers';
import { Model } from '../../src/model/model';
import { nativeOrNull } from '../helpers/backends';
import { checkLayer } from '../helpers/layerCheck';
import { randomF32, seeded } from '../helpers/random';

const { native } = nativeOrNull();
const backends: ('js' | 'native')[] = native ? ['js', 'native'] : ['js'];

function modelOf(layer: Layer, shape: number[], backend: 'js' | 'native' = 'js') {
  const x = input({ shape });
  return new Model({ inputs: x, outputs: layer.apply(x), seed: 3, backend });
}

describe('separableConv2d', () => {
  it('builds a depthwise node and a 1x1 conv2d node reading it, with the parameters split between them', () => {
    const m = modelOf(
      layers.separableConv2d({ filters: 5, kernelSize: 3, depthMultiplier: 2, padding: 'same', strides: 2, activation: 'relu', name: 'sep' }),
      [6, 6, 3],
    );
    expect(m.outputShape).toEqual([3, 3, 5]);
    expect(m.weightsInfo()).toEqual([
      { name: 'sep/depthwiseKernel', shape: [3, 3, 3, 2] },
      { name: 'sep/pointwiseKernel', shape: [1, 1, 6, 5] },
      { name: 'sep/bias', shape: [5] },
    ]);
    const nodes = m.graph.nodes;
    expect(nodes.map((n) => [n.name, n.op.type, n.inputs, n.params, n.shape])).toEqual([
      ['sep/depthwise', 'depthwiseConv2d', [0], [0], [3, 3, 6]],
      ['sep', 'conv2d', [1], [1, 2], [3, 3, 5]],
    ]);
    expect(nodes[0].op).toMatchObject({ useBias: false, activation: { kind: 'linear' }, depthMultiplier: 2, strides: [2, 2], padding: [0, 1, 0, 1] });
    expect(nodes[1].op).toMatchObject({ kernel: [1, 1], strides: [1, 1], padding: [0, 0, 0, 0], useBias: true, activation: { kind: 'relu' }, filters: 5 });
    const noBias = modelOf(layers.separableConv2d({ filters: 2, kernelSize: 2, useBias: false }), [3, 3, 1]);
    expect(noBias.weightsInfo().map((w) => w.name)).toEqual(['separableConv2d_1/depthwiseKernel', 'separableConv2d_1/pointwiseKernel']);
    expect(noBias.graph.nodes[1].params).toEqual([1]);
  });

  it.each(backends)('%s: equals depthwiseConv2d (no bias) then a 1x1 conv2d on the same weights', (backend) => {
    const rng = seeded(4);
    const x = input({ shape: [5, 4, 3] });
    const sep = new Model({
      inputs: x,
      outputs: layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh' }).apply(x),
      backend,
    });
    const y = input({ shape: [5, 4, 3] });
    const dw = layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', useBias: false }).apply(y);
    const two = new Model({ inputs: y, outputs: layers.conv2d({ filters: 4, kernelSize: 1, activation: 'tanh' }).apply(dw), backend });
    const weights = sep.weightsInfo().map((w) =>
      randomF32(
        rng,
        w.shape.reduce((a, d) => a * d, 1),
      ),
    );
    sep.setWeights(weights);
    two.setWeights(weights);
    const data = randomF32(rng, 3 * 60);
    expect(Array.from(sep.predict(data) as Float32Array)).toEqual(Array.from(two.predict(data) as Float32Array));
  });

  it.each(backends)('%s: hand-computed: two channels, multiplier 1, then a mix of them', (backend) => {
    // 2x2 input (channel 0 = 1..4, channel 1 = 10..40), kernel 2x2 valid: the depthwise step
    // gives one pixel, channel 0 = sum (10), channel 1 = top-left (10); pointwise 2 filters:
    // (c0 + c1, c0 - 2 c1), bias (1, -1).
    const m = modelOf(layers.separableConv2d({ filters: 2, kernelSize: 2 }), [2, 2, 2], backend);
    m.setWeights([
      [1, 1, 1, 0, 1, 0, 1, 0],
      [1, 1, 1, -2],
      [1, -1],
    ]);
    const y = m.predict([[1, 10, 2, 20, 3, 30, 4, 40]]) as Float32Array;
    expect(Array.from(y)).toEqual([21, -11]);
  });

  it('refuses bad options and inputs, naming the layer', () => {
    expect(() => layers.separableConv2d({ kernelSize: 3 } as never)).toThrow(/separableConv2d filters must be a positive integer/);
    expect(() => layers.separableConv2d({ filters: 2, kernelSize: 3, depthMultiplier: 1.5 })).toThrow(
      /separableConv2d depthMultiplier must be a positive integer/,
    );
    expect(() => layers.separableConv2d({ filters: 2, kernelSize: 3, pointwiseInitializer: 'x' as never })).toThrow(/pointwiseInitializer must be one of/);
    expect(() => layers.separableConv2d({ filters: 2, kernelSize: 3, kernelInitializer: 'zeros' } as never)).toThrow(
      /separableConv2d: unknown option 'kernelInitializer'/,
    );
    expect(() => layers.separableConv2d({ filters: 2, kernelSize: 3, name: 'sep' }).apply(input({ shape: [4, 4] }))).toThrow(
      /layer 'sep' expects an input of rank 3/,
    );
  });

  const configs: [string, number[], Parameters<typeof layers.separableConv2d>[0]][] = [
    ['multiplier 1 valid', [4, 4, 2], { filters: 3, kernelSize: 3 }],
    ['multiplier 2 same tanh', [4, 3, 2], { filters: 2, kernelSize: 3, padding: 'same', depthMultiplier: 2, activation: 'tanh' }],
    ['stride 2 same sigmoid no bias', [4, 4, 2], { filters: 2, kernelSize: 2, strides: 2, padding: 'same', activation: 'sigmoid', useBias: false }],
    ['dilation 2 multiplier 3 softmax', [5, 5, 1], { filters: 3, kernelSize: 2, dilationRate: 2, depthMultiplier: 3, activation: 'softmax' }],
  ];
  it.each(configs)('%s: float64 gradient check; native equals js', (_name, shape, config) => {
    checkLayer({ shapes: [shape], apply: ([x]) => layers.separableConv2d(config).apply(x) });
  });
});
