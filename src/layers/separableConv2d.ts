// separableConv2d: a depthwise convolution (each input channel under its own depthMultiplier
// filters, no bias, linear) then a 1x1 conv2d mixing the channels, with the bias and the
// activation (Keras SeparableConv2D). kernelSize, strides, padding, dilationRate and
// depthMultiplier belong to the depthwise step. Two backend nodes: '<name>/depthwise'
// (depthwiseConv2d) and '<name>' (conv2d 1x1). Params [depthwiseKernel [kh, kw, channels,
// depthMultiplier], pointwiseKernel [1, 1, channels * depthMultiplier, filters], bias?].
import type { Conv2dOp, ConvWindowConfig } from './conv2d';
import { type DenseSettings, unitSettings } from './dense';
import { depthwisePart, depthwiseSettings } from './depthwiseConv2d';
import { defaultInitializerFor, initialize, resolveInitializer, type InitializerName, type InitializerSpec } from '../initializers';
import { elementCount, Layer, positiveInt, type BuildContext, type Built, type LayerDef } from './layer';
import type { PaddingArg } from './padding';

export interface SeparableConv2dConfig extends ConvWindowConfig {
  filters: number;
  padding?: PaddingArg;
  /** Depthwise filters per input channel (default 1). */
  depthMultiplier?: number;
  /** Default glorotUniform (the depthwise step is linear). */
  depthwiseInitializer?: InitializerName | InitializerSpec;
  /** Default as conv2d's kernel for the activation. */
  pointwiseInitializer?: InitializerName | InitializerSpec;
}

export interface SeparableSettings extends Omit<DenseSettings, 'units' | 'kernelInitializer'> {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: PaddingArg;
  dilationRate: [number, number];
  depthMultiplier: number;
  depthwiseInitializer: InitializerSpec;
  pointwiseInitializer: InitializerSpec;
}

export const separableConv2dDef: LayerDef<SeparableSettings> = {
  type: 'separableConv2d',
  inputs: 'one',
  keys: [
    'filters',
    'kernelSize',
    'strides',
    'padding',
    'dilationRate',
    'depthMultiplier',
    'useBias',
    'activation',
    'beta',
    'alpha',
    'depthwiseInitializer',
    'pointwiseInitializer',
    'biasInitializer',
  ],
  config(raw) {
    const L = 'separableConv2d';
    if (raw.pointwiseInitializer !== undefined) resolveInitializer(raw.pointwiseInitializer as InitializerSpec, 'pointwiseInitializer');
    const { kernelInitializer, ...units } = unitSettings({ ...raw, kernelInitializer: raw.pointwiseInitializer }, L);
    const depthwiseInitializer = resolveInitializer((raw.depthwiseInitializer as InitializerSpec) ?? defaultInitializerFor('linear'), 'depthwiseInitializer');
    return {
      filters: positiveInt(raw.filters, `${L} filters`),
      ...depthwiseSettings(raw, L),
      ...units,
      depthwiseInitializer,
      pointwiseInitializer: kernelInitializer,
    };
  },
  build(c, [shape], ctx: BuildContext): Built {
    const d = depthwisePart(c, shape, ctx, 'separableConv2d', { useBias: false, activation: { kind: 'linear' } });
    const [oh, ow, mid] = d.shape;
    const pointCount = elementCount([mid, c.filters], 'separableConv2d pointwise kernel shape');
    elementCount([oh, ow, c.filters], 'separableConv2d output shape');
    const fans = { fanIn: mid, fanOut: c.filters };
    const params: Built['params'] = [
      { name: 'depthwiseKernel', shape: d.kernelShape, init: (next) => initialize(c.depthwiseInitializer, d.kernelCount, d.fans, next) },
      { name: 'pointwiseKernel', shape: [1, 1, mid, c.filters], init: (next) => initialize(c.pointwiseInitializer, pointCount, fans, next) },
    ];
    if (c.useBias) params.push({ name: 'bias', shape: [c.filters], init: (next) => initialize(c.biasInitializer, c.filters, fans, next) });
    const pointwise: Conv2dOp = {
      type: 'conv2d',
      inShape: [oh, ow, mid],
      filters: c.filters,
      kernel: [1, 1],
      strides: [1, 1],
      padding: [0, 0, 0, 0],
      dilation: [1, 1],
      useBias: c.useBias,
      activation: { ...c.activation },
    };
    const outputShape = [oh, ow, c.filters];
    return {
      outputShape,
      params,
      state: [],
      nodes: [
        { op: d.op, inputs: [{ input: 0 }], params: [0], state: [], shape: d.shape, suffix: 'depthwise' },
        { op: pointwise, inputs: [{ node: 0 }], params: c.useBias ? [1, 2] : [1], state: [], shape: outputShape },
      ],
      activation: c.activation,
    };
  },
};

export function separableConv2d(config: SeparableConv2dConfig): Layer<SeparableSettings> {
  return new Layer(separableConv2dDef, config);
}
