// depthwiseConv2d: each input channel convolved with its own depthMultiplier filters (Keras
// DepthwiseConv2D), channels-last, kernel [kh, kw, channels, depthMultiplier]. Output channel
// i * depthMultiplier + m is input channel i under filter m (TensorFlow's order), so the output
// has channels * depthMultiplier channels. kernelSize, strides, padding and dilationRate as
// conv2d. Params [depthwiseKernel, bias?].
import type { ActivationSpec } from '../backend/spec';
import { initialize, resolveInitializer, type InitializerName, type InitializerSpec } from '../initializers';
import { type ConvWindowConfig, type ConvWindowOp, windowOutput, windowSettings } from './conv2d';
import { type DenseSettings, unitSettings } from './dense';
import { elementCount, Layer, positiveInt, requireRank, single, type BuildContext, type Built, type LayerDef } from './layer';
import type { PaddingArg } from './padding';

export interface DepthwiseConv2dConfig extends ConvWindowConfig {
  padding?: PaddingArg;
  /** Filters per input channel (default 1). */
  depthMultiplier?: number;
  depthwiseInitializer?: InitializerName | InitializerSpec;
}

/** The backend op: y[.., i * m + j] = f(b + sum over the window of x[.., i] K[ky, kx, i, j]). */
export interface DepthwiseConv2dOp extends ConvWindowOp {
  type: 'depthwiseConv2d';
  depthMultiplier: number;
  dilation: [number, number];
}

export interface DepthwiseSettings extends Omit<DenseSettings, 'units' | 'kernelInitializer'> {
  kernelSize: [number, number];
  strides: [number, number];
  padding: PaddingArg;
  dilationRate: [number, number];
  depthMultiplier: number;
  depthwiseInitializer: InitializerSpec;
}

/** The depthwise half of depthwiseConv2d and separableConv2d, checked. */
export function depthwiseSettings(raw: Record<string, unknown>, layer: string) {
  const depthMultiplier = positiveInt(raw.depthMultiplier ?? 1, `${layer} depthMultiplier`);
  return { ...windowSettings(raw, layer), depthMultiplier };
}

/** The op, output shape and kernel of the depthwise half for an input of `shape`. */
export function depthwisePart(
  s: ReturnType<typeof depthwiseSettings>,
  shape: number[],
  ctx: BuildContext,
  layer: string,
  bias: { useBias: boolean; activation: ActivationSpec },
) {
  requireRank(shape, 3, ctx, '[height, width, channels]');
  const [h, w, ch] = shape;
  const { oh, ow, padding } = windowOutput(ctx.where, [h, w], s);
  const [kh, kw] = s.kernelSize;
  const m = s.depthMultiplier;
  const kernelCount = elementCount([kh, kw, ch, m], `${layer} depthwise kernel shape`);
  elementCount([oh, ow, ch * m], `${layer} depthwise output shape`);
  const op: DepthwiseConv2dOp = {
    type: 'depthwiseConv2d',
    inShape: [h, w, ch],
    depthMultiplier: m,
    kernel: [kh, kw],
    strides: [...s.strides],
    padding,
    dilation: [...s.dilationRate],
    useBias: bias.useBias,
    activation: { ...bias.activation },
  };
  // Keras's fans of a kernel [kh, kw, channels, multiplier].
  const fans = { fanIn: kh * kw * ch, fanOut: kh * kw * m };
  return { op, shape: [oh, ow, ch * m], kernelShape: [kh, kw, ch, m], kernelCount, fans };
}

export const depthwiseConv2dDef: LayerDef<DepthwiseSettings> = {
  type: 'depthwiseConv2d',
  inputs: 'one',
  keys: [
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
    'biasInitializer',
  ],
  config(raw) {
    if (raw.depthwiseInitializer !== undefined) resolveInitializer(raw.depthwiseInitializer as InitializerSpec, 'depthwiseInitializer');
    const { kernelInitializer, ...units } = unitSettings({ ...raw, kernelInitializer: raw.depthwiseInitializer }, 'depthwiseConv2d');
    return { ...depthwiseSettings(raw, 'depthwiseConv2d'), ...units, depthwiseInitializer: kernelInitializer };
  },
  build(c, [shape], ctx: BuildContext): Built {
    const d = depthwisePart(c, shape, ctx, 'depthwiseConv2d', c);
    const channels = d.shape[2];
    const params: Built['params'] = [
      { name: 'depthwiseKernel', shape: d.kernelShape, init: (next) => initialize(c.depthwiseInitializer, d.kernelCount, d.fans, next) },
    ];
    if (c.useBias) params.push({ name: 'bias', shape: [channels], init: (next) => initialize(c.biasInitializer, channels, d.fans, next) });
    return single(d.op, d.shape, params, [], 1, c.activation);
  },
};

export function depthwiseConv2d(config: DepthwiseConv2dConfig): Layer<DepthwiseSettings> {
  return new Layer(depthwiseConv2dDef, config);
}
