// Zero padding and cropping of [h, w, c] images: output pixel (y, x) is input pixel (y - top,
// x - left), zero outside the input (negative amounts crop). Backward is the opposite copy: input
// pixel (y, x) receives output pixel (y + top, x + left), zero where that was cropped away.
import type { Pad2dOp } from '../../../layers/padding2d';
import type { FloatArray } from '../../spec';
import { OxnetError } from '../../../errors';
import { checkInt } from '../check';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

/**
 * dst[n, y, x, :] = src[n, y - top, x - left, :], or 0 where that is outside src: for every one
 * of `batch` samples, a [dh, dw, c] dst from a [sh, sw, c] src.
 */
function shiftCopy(src: FloatArray, [sh, sw]: number[], dst: FloatArray, [dh, dw]: number[], c: number, top: number, left: number, batch: number): void {
  // Columns of each dst row copied from src: [x0, x1), read from src column x0 - left.
  const x0 = Math.min(Math.max(left, 0), dw);
  const x1 = Math.max(Math.min(sw + left, dw), x0);
  for (let n = 0; n < batch; n++) {
    for (let y = 0; y < dh; y++) {
      const d = (n * dh + y) * dw * c;
      const sy = y - top;
      if (sy < 0 || sy >= sh) {
        dst.fill(0, d, d + dw * c);
        continue;
      }
      dst.fill(0, d, d + x0 * c);
      const s = ((n * sh + sy) * sw + x0 - left) * c;
      for (let i = 0, len = (x1 - x0) * c; i < len; i++) dst[d + x0 * c + i] = src[s + i];
      dst.fill(0, d + x1 * c, d + dw * c);
    }
  }
}

export const pad2d: OpFactory<Pad2dOp> = (spec, shape): JsOp => {
  const [h, w, c] = Array.isArray(spec.inShape) && spec.inShape.length === 3 ? spec.inShape : [Number.NaN, 0, 0];
  checkInt('pad2d.inShape[0] (height)', h);
  checkInt('pad2d.inShape[1] (width)', w);
  checkInt('pad2d.inShape[2] (channels)', c);
  if (!Array.isArray(spec.padding) || spec.padding.length !== 4 || !spec.padding.every(Number.isInteger)) {
    throw new OxnetError('E_ARG', `pad2d.padding must be four integers [top, bottom, left, right], got ${JSON.stringify(spec.padding)}`);
  }
  const [top, bottom, left, right] = spec.padding;
  const oh = h + top + bottom;
  const ow = w + left + right;
  if (oh < 1 || ow < 1) {
    throw new OxnetError(
      'E_ARG',
      `pad2d.padding ${JSON.stringify(spec.padding)} leaves nothing of inShape ${JSON.stringify(spec.inShape)} (output ${oh} x ${ow})`,
    );
  }
  expectShape('pad2d', shape, [h * w * c], oh * ow * c, [], []);
  return {
    reads: READS_NOTHING,
    forward({ inputs: [x], n, out }) {
      shiftCopy(x, [h, w], out, [oh, ow], c, top, left, n);
    },
    backward({ dout, n, dinputs: [dx] }) {
      if (dx) shiftCopy(dout, [oh, ow], dx, [h, w], c, -top, -left, n);
    },
  };
};
