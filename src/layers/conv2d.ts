// 2-D convolution, channels-last (NHWC) with an HWIO kernel [kh, kw, inChannels, filters].
import type { ActivationSpec } from '../backend/types';
import { OxnetError } from '../errors';
import { defaultInitializerFor, initialize, resolveInitializer, type InitializerName, type InitializerSpec } from '../initializers';
import { resolveActivation, type ActivationArg } from './activations';
import { Layer, elementCount, pair, positiveInt, requireRank, type BuiltLayer, type CommonLayerConfig, type SampleShape } from './layer';
import { resolvePadding, outputSize, type PaddingArg } from './padding';

export type DataFormat = 'channelsLast' | 'channelsFirst';

export interface Conv2dConfig extends CommonLayerConfig {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: PaddingArg;
  dilationRate?: number | [number, number];
  useBias?: boolean;
  activation?: ActivationArg;
  beta?: number;
  alpha?: number;
  kernelInitializer?: InitializerName | InitializerSpec;
  biasInitializer?: InitializerName | InitializerSpec;
  /**
   * 'channelsLast' (default): input [h, w, c]. 'channelsFirst': allowed on the first layer only;
   * inputShape is [c, h, w] and the model transposes the NCHW input to NHWC once on the way in,
   * so this layer and all after it see and produce channels-last data.
   */
  dataFormat?: DataFormat;
}

export class Conv2d extends Layer {
  readonly type = 'conv2d' as const;
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: PaddingArg;
  readonly dilationRate: [number, number];
  readonly useBias: boolean;
  readonly activation: ActivationSpec;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;
  readonly dataFormat: DataFormat;

  constructor(config: Conv2dConfig) {
    super(config);
    this.filters = positiveInt(config.filters, 'conv2d filters');
    this.kernelSize = pair(config.kernelSize, 'conv2d kernelSize');
    this.strides = pair(config.strides ?? 1, 'conv2d strides');
    this.dilationRate = pair(config.dilationRate ?? 1, 'conv2d dilationRate');
    this.padding = config.padding ?? 'valid';
    this.useBias = config.useBias ?? true;
    this.activation = resolveActivation(config.activation, config.beta, config.alpha, 'conv2d activation');
    this.kernelInitializer = resolveInitializer(config.kernelInitializer ?? defaultInitializerFor(this.activation.kind), 'kernelInitializer');
    const biasDefault = this.kernelInitializer.kind === 'smallUniform' ? this.kernelInitializer : 'zeros';
    this.biasInitializer = resolveInitializer(config.biasInitializer ?? biasDefault, 'biasInitializer');
    this.dataFormat = config.dataFormat ?? 'channelsLast';
    if (this.dataFormat !== 'channelsLast' && this.dataFormat !== 'channelsFirst') {
      throw new OxnetError('E_CONFIG', `conv2d dataFormat must be 'channelsLast' or 'channelsFirst', got ${JSON.stringify(config.dataFormat)}`);
    }
    resolvePadding(this.padding, [1, 1], this.kernelSize, this.strides, this.dilationRate, 'conv2d padding'); // validates early
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.commonConfig(),
      filters: this.filters,
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: structuredClone(this.padding),
      dilationRate: [...this.dilationRate],
      useBias: this.useBias,
      activation: { ...this.activation },
      kernelInitializer: { ...this.kernelInitializer },
      biasInitializer: { ...this.biasInitializer },
      dataFormat: this.dataFormat,
    };
  }

  build(inputShape: SampleShape, layerIndex: number): BuiltLayer {
    requireRank(inputShape, 3, 'conv2d', this.dataFormat === 'channelsFirst' ? '[channels, height, width]' : '[height, width, channels]');
    if (this.dataFormat === 'channelsFirst' && layerIndex !== 0) {
      throw new OxnetError('E_CONFIG', `conv2d dataFormat 'channelsFirst' is accepted on the first layer only, got it on layer ${layerIndex}`);
    }
    const [h, w, c] = this.dataFormat === 'channelsFirst' ? [inputShape[1], inputShape[2], inputShape[0]] : inputShape;
    const [kh, kw] = this.kernelSize;
    const padding = resolvePadding(this.padding, [h, w], this.kernelSize, this.strides, this.dilationRate, 'conv2d padding');
    const oh = outputSize(h, padding[0], padding[1], this.dilationRate[0] * (kh - 1) + 1, this.strides[0], 'conv2d', 'height');
    const ow = outputSize(w, padding[2], padding[3], this.dilationRate[1] * (kw - 1) + 1, this.strides[1], 'conv2d', 'width');
    const kernelCount = elementCount([kh, kw, c, this.filters], 'conv2d kernel shape');
    elementCount([oh, ow, this.filters], 'conv2d output shape');
    const fans = { fanIn: kh * kw * c, fanOut: kh * kw * this.filters };
    const params: BuiltLayer['params'] = [
      { name: 'kernel', shape: [kh, kw, c, this.filters], init: (next) => initialize(this.kernelInitializer, kernelCount, fans, next) },
    ];
    if (this.useBias) {
      params.push({ name: 'bias', shape: [this.filters], init: (next) => initialize(this.biasInitializer, this.filters, fans, next) });
    }
    return {
      spec: {
        type: 'conv2d',
        inShape: [h, w, c],
        filters: this.filters,
        kernel: [kh, kw],
        strides: [...this.strides],
        padding,
        dilation: [...this.dilationRate],
        useBias: this.useBias,
        activation: { ...this.activation },
      },
      outputShape: [oh, ow, this.filters],
      params,
      state: [],
      activation: this.activation,
      transposeInputFromChannelsFirst: this.dataFormat === 'channelsFirst',
    };
  }
}

export function conv2d(config: Conv2dConfig): Conv2d {
  return new Conv2d(config);
}
