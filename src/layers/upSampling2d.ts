// upSampling2d (Keras's UpSampling2D, channels-last): [h, w, c] -> [h * sh, w * sw, c], no
// parameters. size: n or [sh, sw] (default 2); interpolation 'nearest' (default) or 'bilinear'.
// Nearest repeats each pixel in an sh x sw block: y[oy, ox] = x[floor(oy / sh), floor(ox / sw)].
// Bilinear is what TensorFlow's UpSampling2D(interpolation='bilinear') computes (tf.image.resize,
// method bilinear, half_pixel_centers=True), along each axis of input size n and factor s: output
// index o samples the source coordinate u = (o + 0.5) / s - 0.5, clamped below at 0; with
// lo = floor(u), hi = min(lo + 1, n - 1) and t = u - lo the value is (1 - t) x[lo] + t x[hi], so
// the first and last rows and columns repeat the edge pixels. The two axes combine as a product:
// y[oy, ox] = Σ wy(oy, i) wx(ox, j) x[i, j]. Its gradient is the transpose: each output gradient
// is spread back onto those (up to four) pixels with the same weights.
import type { Shape3 } from '../backend/spec';
import { OxnetError, showValue } from '../errors';
import { elementCount, Layer, pair, requireRank, single, type CommonLayerConfig, type LayerDef } from './layer';

export type Interpolation = 'nearest' | 'bilinear';

export interface UpSampling2dConfig extends CommonLayerConfig {
  /** Upsampling factors, n or [sh, sw]. Default 2. */
  size?: number | [number, number];
  /** 'nearest' (default) or 'bilinear' (TensorFlow's, half-pixel centers). */
  interpolation?: Interpolation;
}

/** The backend op: [h, w, c] (inShape) -> [h * size[0], w * size[1], c]. */
export interface UpSample2dOp {
  type: 'upSample2d';
  inShape: Shape3;
  size: [number, number];
  interpolation: Interpolation;
}

export interface UpSampling2dSettings {
  size: [number, number];
  interpolation: Interpolation;
}

export const upSampling2dDef: LayerDef<UpSampling2dSettings> = {
  type: 'upSampling2d',
  inputs: 'one',
  keys: ['size', 'interpolation'],
  config(raw) {
    const size = pair(raw.size ?? 2, 'upSampling2d size');
    const interpolation = raw.interpolation ?? 'nearest';
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
      throw new OxnetError('E_CONFIG', `upSampling2d interpolation must be 'nearest' or 'bilinear', got ${showValue(interpolation)}`);
    }
    return { size, interpolation };
  },
  build(c, [shape], ctx) {
    requireRank(shape, 3, ctx, '[height, width, channels]');
    const [h, w, ch] = shape;
    const out = [h * c.size[0], w * c.size[1], ch];
    elementCount(out, `${ctx.where} output shape`);
    const op: UpSample2dOp = { type: 'upSample2d', inShape: [h, w, ch], size: [...c.size], interpolation: c.interpolation };
    return single(op, out, [], [], 1);
  },
};

export function upSampling2d(config: UpSampling2dConfig = {}): Layer<UpSampling2dSettings> {
  return new Layer(upSampling2dDef, config);
}
