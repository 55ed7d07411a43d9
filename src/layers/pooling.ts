// Max and average pooling (channels-last), and global average pooling.
import { OxnetError } from '../errors';
import { Layer, pair, requireRank, type BuiltLayer, type CommonLayerConfig, type SampleShape } from './layer';
import { outputSize, resolvePadding, type PaddingArg } from './padding';

export interface Pooling2dConfig extends CommonLayerConfig {
  /** Window, n or [h, w]. Default 2. */
  poolSize?: number | [number, number];
  /** Default: poolSize (non-overlapping windows), as in Keras. */
  strides?: number | [number, number];
  padding?: PaddingArg;
}

export class Pooling2d extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: PaddingArg;

  constructor(
    readonly type: 'maxPooling2d' | 'averagePooling2d',
    config: Pooling2dConfig,
  ) {
    super(config);
    this.poolSize = pair(config.poolSize ?? 2, `${type} poolSize`);
    this.strides = pair(config.strides ?? this.poolSize, `${type} strides`);
    this.padding = config.padding ?? 'valid';
    resolvePadding(this.padding, [1, 1], this.poolSize, this.strides, [1, 1], `${type} padding`);
  }

  getConfig(): Record<string, unknown> {
    return { ...this.commonConfig(), poolSize: [...this.poolSize], strides: [...this.strides], padding: structuredClone(this.padding) };
  }

  build(inputShape: SampleShape): BuiltLayer {
    requireRank(inputShape, 3, this.type, '[height, width, channels]');
    const [h, w, c] = inputShape;
    const padding = resolvePadding(this.padding, [h, w], this.poolSize, this.strides, [1, 1], `${this.type} padding`);
    const oh = outputSize(h, padding[0], padding[1], this.poolSize[0], this.strides[0], this.type, 'height');
    const ow = outputSize(w, padding[2], padding[3], this.poolSize[1], this.strides[1], this.type, 'width');
    return {
      spec: {
        type: this.type === 'maxPooling2d' ? 'maxPool2d' : 'avgPool2d',
        inShape: [h, w, c],
        pool: [...this.poolSize],
        strides: [...this.strides],
        padding,
      },
      outputShape: [oh, ow, c],
      params: [],
      state: [],
    };
  }
}

export function maxPooling2d(config: Pooling2dConfig = {}): Pooling2d {
  return new Pooling2d('maxPooling2d', config);
}

export function averagePooling2d(config: Pooling2dConfig = {}): Pooling2d {
  return new Pooling2d('averagePooling2d', config);
}

export class GlobalAveragePooling2d extends Layer {
  readonly type = 'globalAveragePooling2d' as const;

  constructor(config: CommonLayerConfig = {}) {
    super(config);
  }

  getConfig(): Record<string, unknown> {
    return this.commonConfig();
  }

  build(inputShape: SampleShape): BuiltLayer {
    requireRank(inputShape, 3, 'globalAveragePooling2d', '[height, width, channels]');
    const [h, w, c] = inputShape;
    if (h * w === 0) throw new OxnetError('E_CONFIG', `globalAveragePooling2d needs a non-empty image, got ${JSON.stringify(inputShape)}`);
    return { spec: { type: 'globalAvgPool2d', inShape: [h, w, c] }, outputShape: [c], params: [], state: [] };
  }
}

export function globalAveragePooling2d(config: CommonLayerConfig = {}): GlobalAveragePooling2d {
  return new GlobalAveragePooling2d(config);
}
