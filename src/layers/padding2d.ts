// zeroPadding2d and cropping2d (Keras's ZeroPadding2D, Cropping2D) on channels-last images
// [h, w, c]: rows and columns of zeros added around the image, or cut off its edges. The amounts
// are written as Keras writes them: n (every side), [h, w] (h rows top and bottom, w columns left
// and right) or [[top, bottom], [left, right]]. zeroPadding2d defaults to 1, cropping2d to 0. A
// crop must leave at least one row and one column. No parameters; both run one backend op (pad2d,
// signed amounts: negative crops), whose gradient is the opposite copy.
import type { Shape3 } from '../backend/spec';
import { OxnetError, showValue } from '../errors';
import { elementCount, Layer, nonNegativeInt, requireRank, single, type CommonLayerConfig, type LayerDef } from './layer';

/** n, [h, w] or [[top, bottom], [left, right]]. */
export type Amounts2d = number | [number, number] | [[number, number], [number, number]];

export interface ZeroPadding2dConfig extends CommonLayerConfig {
  /** Zeros added, n, [h, w] or [[top, bottom], [left, right]]. Default 1. */
  padding?: Amounts2d;
}

export interface Cropping2dConfig extends CommonLayerConfig {
  /** Rows and columns cut off, n, [h, w] or [[top, bottom], [left, right]]. Default 0. */
  cropping?: Amounts2d;
}

/**
 * The backend op: output [h + top + bottom, w + left + right, c] of an input `inShape` [h, w, c],
 * pixel (y, x) of the output being input pixel (y - top, x - left), or zero outside the input.
 * Negative amounts crop.
 */
export interface Pad2dOp {
  type: 'pad2d';
  inShape: Shape3;
  /** [top, bottom, left, right], signed. */
  padding: [number, number, number, number];
}

type Sides = [[number, number], [number, number]];

/** n, [h, w] or [[t, b], [l, r]] -> [[t, b], [l, r]], each a non-negative integer. */
function sides(value: unknown, param: string): Sides {
  if (typeof value === 'number') {
    const n = nonNegativeInt(value, param);
    return [
      [n, n],
      [n, n],
    ];
  }
  if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number')) {
    const h = nonNegativeInt(value[0], `${param}[0]`);
    const w = nonNegativeInt(value[1], `${param}[1]`);
    return [
      [h, h],
      [w, w],
    ];
  }
  if (Array.isArray(value) && value.length === 2 && value.every((v) => Array.isArray(v) && v.length === 2)) {
    const [[t, b], [l, r]] = value as Sides;
    return [
      [nonNegativeInt(t, `${param}[0][0]`), nonNegativeInt(b, `${param}[0][1]`)],
      [nonNegativeInt(l, `${param}[1][0]`), nonNegativeInt(r, `${param}[1][1]`)],
    ];
  }
  throw new OxnetError('E_CONFIG', `${param} must be n, [h, w] or [[top, bottom], [left, right]] of non-negative integers, got ${showValue(value)}`);
}

export const zeroPadding2dDef: LayerDef<{ padding: Sides }> = {
  type: 'zeroPadding2d',
  inputs: 'one',
  keys: ['padding'],
  config: (raw) => ({ padding: sides(raw.padding ?? 1, 'zeroPadding2d padding') }),
  build(c, [shape], ctx) {
    requireRank(shape, 3, ctx, '[height, width, channels]');
    const [h, w, ch] = shape;
    const [[t, b], [l, r]] = c.padding;
    const out = [h + t + b, w + l + r, ch];
    elementCount(out, `${ctx.where} output shape`);
    const op: Pad2dOp = { type: 'pad2d', inShape: [h, w, ch], padding: [t, b, l, r] };
    return single(op, out, [], [], 1);
  },
};

export const cropping2dDef: LayerDef<{ cropping: Sides }> = {
  type: 'cropping2d',
  inputs: 'one',
  keys: ['cropping'],
  config: (raw) => ({ cropping: sides(raw.cropping ?? 0, 'cropping2d cropping') }),
  build(c, [shape], ctx) {
    requireRank(shape, 3, ctx, '[height, width, channels]');
    const [h, w, ch] = shape;
    const [[t, b], [l, r]] = c.cropping;
    if (t + b >= h || l + r >= w) {
      throw new OxnetError(
        'E_CONFIG',
        `${ctx.where} (cropping2d) crops ${JSON.stringify(c.cropping)} from an image of shape ${JSON.stringify(shape)}, which leaves ${h - t - b} rows and ${w - l - r} columns; at least one of each must remain`,
      );
    }
    // 0 - v, not -v: no -0 in the spec.
    const op: Pad2dOp = { type: 'pad2d', inShape: [h, w, ch], padding: [0 - t, 0 - b, 0 - l, 0 - r] };
    return single(op, [h - t - b, w - l - r, ch], [], [], 1);
  },
};

export function zeroPadding2d(config: ZeroPadding2dConfig = {}): Layer<{ padding: Sides }> {
  return new Layer(zeroPadding2dDef, config);
}

export function cropping2d(config: Cropping2dConfig = {}): Layer<{ cropping: Sides }> {
  return new Layer(cropping2dDef, config);
}
