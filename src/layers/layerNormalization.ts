// layerNormalization (Keras's LayerNormalization): each sample normalized over its last axis,
// y = gamma (x - mean) / sqrt(var + epsilon) + beta, with the mean and the biased variance of
// each row of the last axis (each pixel's channels for an image [h, w, c]) and gamma, beta of
// the last axis's size. Parameters [gamma (scale: true), beta (center: true)], initialized to ones
// and zeros. No running statistics: training and inference compute the same thing. Only the last
// axis is supported: axis -1 (default), or its index counted as Keras counts it, with the batch
// axis as 0 (2 for an input [t, f]); other axes are refused.
import { OxnetError, showValue } from '../errors';
import { bool, elementCount, Layer, numberIn, single, type CommonLayerConfig, type LayerDef, type ParamInfo } from './layer';

export interface LayerNormalizationConfig extends CommonLayerConfig {
  /** The axis normalized over: -1 (the last axis, default) is the only one supported. */
  axis?: number;
  /** Default 1e-3, as Keras. */
  epsilon?: number;
  /** Add the learned offset beta. Default true. */
  center?: boolean;
  /** Multiply by the learned gamma. Default true. */
  scale?: boolean;
}

/** The backend op: rows of `width` (the last axis) of each `size`-float sample, normalized. */
export interface LayerNormOp {
  type: 'layerNorm';
  size: number;
  width: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

export interface LayerNormalizationSettings {
  axis: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
}

export const layerNormalizationDef: LayerDef<LayerNormalizationSettings> = {
  type: 'layerNormalization',
  inputs: 'one',
  keys: ['axis', 'epsilon', 'center', 'scale'],
  config(raw) {
    const axis = raw.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isInteger(axis)) {
      throw new OxnetError('E_CONFIG', `layerNormalization axis must be an integer (-1: the last axis), got ${showValue(axis)}`);
    }
    return {
      axis,
      epsilon: numberIn(raw.epsilon ?? 1e-3, 'layerNormalization epsilon', (v) => v > 0, 'a positive number'),
      center: bool(raw.center ?? true, 'layerNormalization center'),
      scale: bool(raw.scale ?? true, 'layerNormalization scale'),
    };
  },
  build(c, [shape], ctx) {
    // Keras counts the batch axis: the last axis of a sample of rank r is axis r.
    if (c.axis !== -1 && c.axis !== shape.length) {
      throw new OxnetError(
        'E_CONFIG',
        `${ctx.where} (layerNormalization) normalizes over the last axis only (axis -1, or ${shape.length} for an input of shape ${JSON.stringify(shape)}), got axis ${c.axis}`,
      );
    }
    const size = elementCount(shape, `${ctx.where} input shape`);
    const width = shape[shape.length - 1];
    const filled = (v: number) => () => new Float32Array(width).fill(v);
    const params: ParamInfo[] = [];
    if (c.scale) params.push({ name: 'gamma', shape: [width], init: filled(1) });
    if (c.center) params.push({ name: 'beta', shape: [width], init: filled(0) });
    const op: LayerNormOp = { type: 'layerNorm', size, width, epsilon: c.epsilon, center: c.center, scale: c.scale };
    return single(op, [...shape], params, [], 1);
  },
};

export function layerNormalization(config: LayerNormalizationConfig = {}): Layer<LayerNormalizationSettings> {
  return new Layer(layerNormalizationDef, config);
}
