// conv2d: 2-D convolution, channels-last (NHWC) with an HWIO kernel [kh, kw, inChannels, filters].
// Params [kernel, bias?].
import type { ActivationSpec, Precision, Shape3 } from '../backend/spec';
import { OxnetError } from '../errors';
import { initialize, type InitializerName, type InitializerSpec } from '../initializers';
import type { ActivationArg } from './activations';
import { type DenseSettings, unitSettings } from './dense';
import { elementCount, Layer, pair, positiveInt, requireRank, single, type BuildContext, type Built, type CommonLayerConfig, type LayerDef } from './layer';
import { outputSize, resolvePadding, type PaddingArg } from './padding';

export type DataFormat = 'channelsLast' | 'channelsFirst';

/** The options every convolution layer has (conv2d, conv2dTranspose, depthwiseConv2d, separableConv2d). */
export interface ConvWindowConfig extends CommonLayerConfig {
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  dilationRate?: number | [number, number];
  useBias?: boolean;
  activation?: ActivationArg;
  beta?: number;
  alpha?: number;
  biasInitializer?: InitializerName | InitializerSpec;
}

/** The fields every convolution op carries to the backends. */
export interface ConvWindowOp {
  inShape: Shape3;
  kernel: [number, number];
  strides: [number, number];
  /** [top, bottom, left, right] zero padding, already resolved from 'valid' / 'same'. */
  padding: [number, number, number, number];
  useBias: boolean;
  activation: ActivationSpec;
}

export interface Conv2dConfig extends ConvWindowConfig {
  filters: number;
  padding?: PaddingArg;
  kernelInitializer?: InitializerName | InitializerSpec;
  /**
   * 'channelsLast' (default): input [h, w, c]. 'channelsFirst': only for a conv2d applied to a
   * model input; that input is [c, h, w] and the model transposes it to NHWC once on the way in,
   * so this layer and all after it see and produce channels-last data.
   */
  dataFormat?: DataFormat;
}

/** The backend op (also what conv2dTranspose and separableConv2d reuse). */
export interface Conv2dOp extends ConvWindowOp {
  type: 'conv2d';
  filters: number;
  dilation: [number, number];
  /** Set by compile({ precision: 'bfloat16' }) (graphSpec); absent: float32. */
  precision?: Precision;
}

export interface Conv2dSettings extends Omit<DenseSettings, 'units'> {
  filters: number;
  kernelSize: [number, number];
  strides: [number, number];
  padding: PaddingArg;
  dilationRate: [number, number];
  dataFormat: DataFormat;
}

/** kernelSize, strides, dilationRate and padding of the conv layers, checked. */
export function windowSettings(raw: Record<string, unknown>, layer: string) {
  const kernelSize = pair(raw.kernelSize, `${layer} kernelSize`);
  const strides = pair(raw.strides ?? 1, `${layer} strides`);
  const dilationRate = pair(raw.dilationRate ?? 1, `${layer} dilationRate`);
  const padding = (raw.padding ?? 'valid') as PaddingArg;
  resolvePadding(padding, [1, 1], kernelSize, strides, dilationRate, `${layer} padding`); // validates early
  return { kernelSize, strides, dilationRate, padding: structuredClone(padding) };
}

/** [oh, ow] and the resolved padding of a window over [h, w]. */
export function windowOutput(
  layer: string,
  [h, w]: [number, number],
  s: { kernelSize: [number, number]; strides: [number, number]; dilationRate: [number, number]; padding: PaddingArg },
) {
  const padding = resolvePadding(s.padding, [h, w], s.kernelSize, s.strides, s.dilationRate, `${layer} padding`);
  const oh = outputSize(h, padding[0], padding[1], s.dilationRate[0] * (s.kernelSize[0] - 1) + 1, s.strides[0], layer, 'height');
  const ow = outputSize(w, padding[2], padding[3], s.dilationRate[1] * (s.kernelSize[1] - 1) + 1, s.strides[1], layer, 'width');
  return { oh, ow, padding };
}

export const conv2dDef: LayerDef<Conv2dSettings> = {
  type: 'conv2d',
  inputs: 'one',
  keys: [
    'filters',
    'kernelSize',
    'strides',
    'padding',
    'dilationRate',
    'useBias',
    'activation',
    'beta',
    'alpha',
    'kernelInitializer',
    'biasInitializer',
    'dataFormat',
  ],
  config(raw) {
    const dataFormat = (raw.dataFormat ?? 'channelsLast') as DataFormat;
    if (dataFormat !== 'channelsLast' && dataFormat !== 'channelsFirst') {
      throw new OxnetError('E_CONFIG', `conv2d dataFormat must be 'channelsLast' or 'channelsFirst', got ${JSON.stringify(raw.dataFormat)}`);
    }
    return { filters: positiveInt(raw.filters, 'conv2d filters'), ...windowSettings(raw, 'conv2d'), ...unitSettings(raw, 'conv2d'), dataFormat };
  },
  build(c, [shape], ctx: BuildContext): Built {
    const chw = c.dataFormat === 'channelsFirst';
    requireRank(shape, 3, ctx, chw ? '[channels, height, width]' : '[height, width, channels]');
    if (chw && !ctx.fromModelInput[0]) {
      throw new OxnetError('E_CONFIG', `${ctx.where}: dataFormat 'channelsFirst' is accepted only on a conv2d applied to a model input`);
    }
    const [h, w, ch] = chw ? [shape[1], shape[2], shape[0]] : shape;
    const { oh, ow, padding } = windowOutput(ctx.where, [h, w], c);
    const [kh, kw] = c.kernelSize;
    const kernelCount = elementCount([kh, kw, ch, c.filters], 'conv2d kernel shape');
    elementCount([oh, ow, c.filters], 'conv2d output shape');
    const fans = { fanIn: kh * kw * ch, fanOut: kh * kw * c.filters };
    const params: Built['params'] = [
      { name: 'kernel', shape: [kh, kw, ch, c.filters], init: (next) => initialize(c.kernelInitializer, kernelCount, fans, next) },
    ];
    if (c.useBias) params.push({ name: 'bias', shape: [c.filters], init: (next) => initialize(c.biasInitializer, c.filters, fans, next) });
    const op: Conv2dOp = {
      type: 'conv2d',
      inShape: [h, w, ch],
      filters: c.filters,
      kernel: [kh, kw],
      strides: [...c.strides],
      padding,
      dilation: [...c.dilationRate],
      useBias: c.useBias,
      activation: { ...c.activation },
    };
    return { ...single(op, [oh, ow, c.filters], params, [], 1, c.activation), channelsFirstInput: chw };
  },
};

export function conv2d(config: Conv2dConfig): Layer<Conv2dSettings> {
  return new Layer(conv2dDef, config);
}
