// Layer shape resolution and config refusals (E_CONFIG naming the parameter and value).
import { describe, expect, it } from 'vitest';
import { Sequential, layers, layerFromConfig, type OxnetError } from '../../src/index';
import { initialize } from '../../src/initializers';
import { mulberry32 } from '../../src/random';

function configError(f: () => unknown): OxnetError {
  try {
    f();
  } catch (e) {
    return e as OxnetError;
  }
  throw new Error('expected an error');
}

const built = (...ls: ReturnType<(typeof layers)[keyof typeof layers]>[]) => new Sequential({ seed: 1, layers: ls });
/** Where a layer is built on its own: one input, a model input. */
const CTX = { where: "layer 'test'", fromModelInput: [true] };

describe('conv2d and pooling shapes (docs/kernels.md formulas)', () => {
  it("'same' padding: out = ceil(in / stride), total pad split floor/rest", () => {
    // in 7, k 4, s 2: out = 4, total = (4-1)*2 + 4 - 7 = 3 -> [1, 2].
    const m = built(layers.conv2d({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', inputShape: [7, 7, 1] }));
    expect(m.outputShape).toEqual([4, 4, 1]);
    const b = layers.conv2d({ filters: 1, kernelSize: 4, strides: 2, padding: 'same' }).build([[7, 7, 1]], CTX);
    expect(b.outputShape).toEqual([4, 4, 1]);
    expect(b.nodes.length).toBe(1);
    expect(b.nodes[0].op).toMatchObject({ type: 'conv2d', inShape: [7, 7, 1], kernel: [4, 4], strides: [2, 2], padding: [1, 2, 1, 2] });
  });
  it('valid, explicit [t,b,l,r] and [[t,b],[l,r]] padding, dilation, non-square kernels', () => {
    // (10 + 0 - 2*(3-1) - 1) / 1 + 1 = 6 rows; (8 + 1 + 2 - 2 - 1) / 2 + 1 = 5 columns.
    const c = layers.conv2d({
      filters: 3,
      kernelSize: [3, 2],
      dilationRate: [2, 1],
      strides: [1, 2],
      padding: [
        [0, 0],
        [1, 2],
      ],
    });
    const b = c.build([[10, 8, 2]], CTX);
    expect(b.outputShape).toEqual([6, 5, 3]);
    expect(b.params.map((p) => p.shape)).toEqual([[3, 2, 2, 3], [3]]);
    expect(b.nodes[0].op).toMatchObject({ padding: [0, 0, 1, 2], dilation: [2, 1], strides: [1, 2] });
    expect(layers.conv2d({ filters: 1, kernelSize: 3, padding: [1, 1, 0, 0] }).build([[5, 5, 1]], CTX).outputShape).toEqual([5, 3, 1]);
  });
  it('pooling defaults strides to the pool size; globalAveragePooling2d keeps channels', () => {
    expect(built(layers.maxPooling2d({ inputShape: [5, 5, 3] })).outputShape).toEqual([2, 2, 3]);
    expect(built(layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', inputShape: [5, 5, 3] })).outputShape).toEqual([5, 5, 3]);
    expect(built(layers.globalAveragePooling2d({ inputShape: [5, 5, 3] })).outputShape).toEqual([3]);
  });
  it('reshape infers one -1; flatten multiplies', () => {
    expect(built(layers.reshape({ targetShape: [-1, 4, 1], inputShape: [16] })).outputShape).toEqual([4, 4, 1]);
    expect(built(layers.flatten({ inputShape: [4, 4, 2] })).outputShape).toEqual([32]);
  });
});

describe('refused configurations', () => {
  const cases: [string, () => unknown, RegExp][] = [
    ['zero units', () => layers.dense({ units: 0 }), /units must be a positive integer, got 0/],
    ['non-integer units', () => layers.dense({ units: 2.5 }), /units.*2\.5/],
    ['negative stride', () => layers.conv2d({ filters: 1, kernelSize: 3, strides: -1 }), /strides must be a positive integer, got -1/],
    ['zero kernel', () => layers.conv2d({ filters: 1, kernelSize: [0, 3] }), /kernelSize\[0\].*got 0/],
    ['zero dilation', () => layers.conv2d({ filters: 1, kernelSize: 3, dilationRate: 0 }), /dilationRate.*got 0/],
    [
      'kernel larger than padded input',
      () => built(layers.conv2d({ filters: 1, kernelSize: 5, inputShape: [4, 4, 1] })).build(),
      /larger than the padded input height 4/,
    ],
    [
      'dilated kernel larger than input',
      () => built(layers.conv2d({ filters: 1, kernelSize: 3, dilationRate: 3, inputShape: [6, 6, 1] })).build(),
      /window of 7/,
    ],
    ['pool larger than input', () => built(layers.maxPooling2d({ poolSize: 3, inputShape: [2, 2, 1] })).build(), /maxPooling2d.*larger/],
    ['bad padding', () => layers.conv2d({ filters: 1, kernelSize: 3, padding: 'full' as never }), /padding must be/],
    ['negative explicit padding', () => layers.conv2d({ filters: 1, kernelSize: 3, padding: [1, -1, 0, 0] }), /padding\[1\].*got -1/],
    ['dropout rate 1', () => layers.dropout({ rate: 1 }), /dropout rate must be in \[0, 1\), got 1/],
    ['element count overflow', () => built(layers.dense({ units: 65536, inputDim: 65536 })).build(), /more than 2147483647 elements/],
    ['inputShape overflow', () => layers.flatten({ inputShape: [1 << 16, 1 << 16, 4] }), /more than/],
    [
      'dense after conv without flatten',
      () => built(layers.conv2d({ filters: 1, kernelSize: 1, inputShape: [2, 2, 1] }), layers.dense({ units: 1 })).build(),
      /add flatten/,
    ],
    ['conv on a flat input', () => built(layers.conv2d({ filters: 1, kernelSize: 1, inputShape: [4] })).build(), /rank 3/],
    [
      'channelsFirst after the first layer',
      () =>
        built(
          layers.flatten({ inputShape: [1, 4, 4] }),
          layers.reshape({ targetShape: [1, 4, 4] }),
          layers.conv2d({ filters: 1, kernelSize: 1, dataFormat: 'channelsFirst' }),
        ).build(),
      /layer 'conv2d': dataFormat 'channelsFirst' is accepted only on a conv2d applied to a model input/,
    ],
    ['reshape that loses elements', () => built(layers.reshape({ targetShape: [3, 3], inputShape: [8] })).build(), /does not hold the 8 elements/],
    ['beta on relu', () => layers.dense({ units: 1, activation: 'relu', beta: 2 }), /beta applies to sigmoid only/],
    ['unknown activation', () => layers.dense({ units: 1, activation: 'swish' as never }), /activation must be one of/],
    ['no inputShape', () => built(layers.dense({ units: 1 })).build(), /needs inputShape or inputDim/],
    ['unknown layer type from config', () => layerFromConfig('lambda', {}, 'E_CONFIG'), /unknown layer type "lambda"/],
  ];
  for (const [name, f, message] of cases) {
    it(name, () => {
      const e = configError(f);
      expect(e.code).toBe('E_CONFIG');
      expect(e.message).toMatch(message);
    });
  }
});

describe('initializers', () => {
  it('defaults: smallUniform for sigmoid (bias too), He for relu with zero bias, glorot for linear', () => {
    const sig = layers.dense({ units: 4, activation: 'sigmoid' }).build([[3]], CTX);
    const relu = layers.dense({ units: 4, activation: 'relu' }).build([[3]], CTX);
    const next = mulberry32(1);
    expect(layers.dense({ units: 1, activation: 'sigmoid' }).config.kernelInitializer.kind).toBe('smallUniform');
    expect(layers.dense({ units: 1, activation: 'sigmoid' }).config.biasInitializer.kind).toBe('smallUniform');
    expect(Array.from(sig.params[1].init(next)).some((v) => v !== 0)).toBe(true);
    expect(layers.dense({ units: 1, activation: 'relu' }).config.kernelInitializer.kind).toBe('heNormal');
    expect(layers.dense({ units: 1, activation: 'relu' }).config.biasInitializer.kind).toBe('zeros');
    expect(Array.from(relu.params[1].init(next))).toEqual([0, 0, 0, 0]);
    expect(layers.dense({ units: 1 }).config.kernelInitializer.kind).toBe('glorotUniform');
  });
  it('ranges: glorot limit sqrt(6 / (fanIn + fanOut)), heNormal std ~ sqrt(2 / fanIn)', () => {
    const g = initialize({ kind: 'glorotUniform' }, 10000, { fanIn: 100, fanOut: 50 }, mulberry32(3));
    const limit = Math.sqrt(6 / 150);
    expect(Math.max(...g.map(Math.abs))).toBeLessThanOrEqual(limit + 1e-7);
    expect(Math.max(...g.map(Math.abs))).toBeGreaterThan(0.95 * limit);
    const h = initialize({ kind: 'heNormal' }, 20000, { fanIn: 50, fanOut: 10 }, mulberry32(4));
    const std = Math.sqrt(h.reduce((a, v) => a + v * v, 0) / h.length);
    // Truncated normal rescaled so its std is sqrt(2 / fanIn) = 0.2 (Keras' heNormal); sampling error ~1%.
    expect(std).toBeGreaterThan(0.19);
    expect(std).toBeLessThan(0.21);
  });
});

describe('activation arguments', () => {
  it('refuses a falsy non-missing activation instead of reading it as linear', async () => {
    const { layers } = await import('../../src/layers');
    for (const bad of [0, '', false]) {
      expect(() => layers.dense({ units: 2, inputShape: [2], activation: bad as never })).toThrow(/activation must be one of/);
    }
    expect(layers.dense({ units: 2, inputShape: [2] }).config.activation.kind).toBe('linear');
  });
});
