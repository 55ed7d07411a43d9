// Max and average pooling (channels-last), and global average and global max pooling ([h, w, c] ->
// [c]; global max sends each channel's gradient to the first position holding its maximum).
import type { Shape3 } from '../backend/spec';
import { OxnetError } from '../errors';
import { Layer, pair, requireRank, single, type BuildContext, type CommonLayerConfig, type LayerDef } from './layer';
import { outputSize, resolvePadding, type PaddingArg } from './padding';

export interface Pooling2dConfig extends CommonLayerConfig {
  /** Window, n or [h, w]. Default 2. */
  poolSize?: number | [number, number];
  /** Default: poolSize (non-overlapping windows), as in Keras. */
  strides?: number | [number, number];
  padding?: PaddingArg;
}

/** The backend ops: the max or the mean over each window (padding excluded from the mean). */
export interface Pool2dOp {
  type: 'maxPool2d' | 'avgPool2d';
  inShape: Shape3;
  pool: [number, number];
  strides: [number, number];
  padding: [number, number, number, number];
}

export interface Pool2dSettings {
  poolSize: [number, number];
  strides: [number, number];
  padding: PaddingArg;
}

function poolDef(type: 'maxPooling2d' | 'averagePooling2d'): LayerDef<Pool2dSettings> {
  return {
    type,
    inputs: 'one',
    keys: ['poolSize', 'strides', 'padding'],
    config(raw) {
      const poolSize = pair(raw.poolSize ?? 2, `${type} poolSize`);
      const strides = pair(raw.strides ?? poolSize, `${type} strides`);
      const padding = (raw.padding ?? 'valid') as PaddingArg;
      resolvePadding(padding, [1, 1], poolSize, strides, [1, 1], `${type} padding`);
      return { poolSize, strides, padding: structuredClone(padding) };
    },
    build(c, [shape], ctx: BuildContext) {
      requireRank(shape, 3, ctx, '[height, width, channels]');
      const [h, w, ch] = shape;
      const padding = resolvePadding(c.padding, [h, w], c.poolSize, c.strides, [1, 1], `${ctx.where} padding`);
      const oh = outputSize(h, padding[0], padding[1], c.poolSize[0], c.strides[0], ctx.where, 'height');
      const ow = outputSize(w, padding[2], padding[3], c.poolSize[1], c.strides[1], ctx.where, 'width');
      const op: Pool2dOp = {
        type: type === 'maxPooling2d' ? 'maxPool2d' : 'avgPool2d',
        inShape: [h, w, ch],
        pool: [...c.poolSize],
        strides: [...c.strides],
        padding,
      };
      return single(op, [oh, ow, ch], [], [], 1);
    },
  };
}

export const maxPooling2dDef = poolDef('maxPooling2d');
export const averagePooling2dDef = poolDef('averagePooling2d');

export function maxPooling2d(config: Pooling2dConfig = {}): Layer<Pool2dSettings> {
  return new Layer(maxPooling2dDef, config);
}

export function averagePooling2d(config: Pooling2dConfig = {}): Layer<Pool2dSettings> {
  return new Layer(averagePooling2dDef, config);
}

/**
 * The backend ops: [h, w, c] -> [c], the mean (globalAvgPool2d) or the maximum (globalMaxPool2d)
 * of each channel over all positions. The maximum's gradient goes to its first position in
 * row-major order.
 */
export interface GlobalPool2dOp {
  type: 'globalAvgPool2d' | 'globalMaxPool2d';
  inShape: Shape3;
}

function globalPoolDef(type: 'globalAveragePooling2d' | 'globalMaxPooling2d'): LayerDef<Record<string, never>> {
  return {
    type,
    inputs: 'one',
    keys: [],
    config: () => ({}),
    build(_c, [shape], ctx) {
      requireRank(shape, 3, ctx, '[height, width, channels]');
      const [h, w, ch] = shape;
      if (h * w === 0) throw new OxnetError('E_CONFIG', `${ctx.where} needs a non-empty image, got ${JSON.stringify(shape)}`);
      const op: GlobalPool2dOp = { type: type === 'globalMaxPooling2d' ? 'globalMaxPool2d' : 'globalAvgPool2d', inShape: [h, w, ch] };
      return single(op, [ch], [], [], 1);
    },
  };
}

/** [h, w, c] -> [c]: the mean of each channel over all positions. */
export const globalAveragePooling2dDef = globalPoolDef('globalAveragePooling2d');
/** [h, w, c] -> [c]: the maximum of each channel over all positions (gradient to the first maximum). */
export const globalMaxPooling2dDef = globalPoolDef('globalMaxPooling2d');

export function globalAveragePooling2d(config: CommonLayerConfig = {}): Layer<Record<string, never>> {
  return new Layer(globalAveragePooling2dDef, config);
}

export function globalMaxPooling2d(config: CommonLayerConfig = {}): Layer<Record<string, never>> {
  return new Layer(globalMaxPooling2dDef, config);
}
