// 2-D convolution, NHWC input, HWIO kernel, per docs/kernels.md ("Convolution and pooling").
// Direct loops ordered so the innermost loop runs over the filters axis, contiguous in the
// kernel, the output and dy: for each output pixel and each kernel tap this is a small
// [cin] x [cin x filters] product, i.e. im2col + an i-k-j matmul without materialising the
// column matrix. Sums are accumulated in float64 scratch, whatever the array type.
import type { Conv2dGeometry, DenseGrads, FloatArray } from '../types';
import { OxnetError } from '../../errors';
import { alloc } from './check';

/** Largest element count a buffer may have (indices stay int32 in both backends). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

/** A new zeroed array of the same type as `like`. */
export const allocLike = alloc;

export function requirePositiveInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0 || value > MAX_ELEMENTS) {
    throw new OxnetError('E_ARG', `${name} must be a positive integer below 2^31, got ${String(value)}`);
  }
}

export function requireNonNegativeInt(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_ELEMENTS) {
    throw new OxnetError('E_ARG', `${name} must be a non-negative integer below 2^31, got ${String(value)}`);
  }
}

/** Product of `dims`, refused when it exceeds MAX_ELEMENTS (checked before any allocation). */
export function elementCount(name: string, dims: number[]): number {
  let n = 1;
  for (const d of dims) n *= d; // each d < 2^31, so the first overflow past 2^31 is still exact enough
  if (n > MAX_ELEMENTS) {
    throw new OxnetError('E_SHAPE', `${name} has ${dims.join('*')} = ${n} elements, more than 2^31 - 1`);
  }
  return n;
}

export function requireLength(name: string, arr: FloatArray, expected: number, what: string): void {
  if (arr.length !== expected) {
    throw new OxnetError('E_SHAPE', `${name} has length ${arr.length}, expected ${expected} (${what})`);
  }
}

function requirePair(name: string, v: unknown): asserts v is [number, number] {
  if (!Array.isArray(v) || v.length !== 2) {
    throw new OxnetError('E_ARG', `${name} must be a pair [height, width], got ${JSON.stringify(v)}`);
  }
}

/** Validated conv geometry with output size and all element counts. */
export interface ConvPlan {
  batch: number;
  h: number;
  w: number;
  cin: number;
  filters: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
  dh: number;
  dw: number;
  oh: number;
  ow: number;
  xCount: number;
  wCount: number;
  yCount: number;
}

/** Checks every number of a conv geometry (before any memory is touched) and derives its sizes. */
export function planConv2d(g: Conv2dGeometry): ConvPlan {
  requirePositiveInt('batch', g.batch);
  if (!Array.isArray(g.inShape) || g.inShape.length !== 3) {
    throw new OxnetError('E_ARG', `inShape must be [height, width, channels], got ${JSON.stringify(g.inShape)}`);
  }
  const [h, w, cin] = g.inShape;
  requirePositiveInt('inShape[0] (height)', h);
  requirePositiveInt('inShape[1] (width)', w);
  requirePositiveInt('inShape[2] (channels)', cin);
  requirePositiveInt('filters', g.filters);
  requirePair('kernel', g.kernel);
  requirePair('strides', g.strides);
  requirePair('dilation', g.dilation);
  const [kh, kw] = g.kernel;
  const [sh, sw] = g.strides;
  const [dh, dw] = g.dilation;
  requirePositiveInt('kernel[0]', kh);
  requirePositiveInt('kernel[1]', kw);
  requirePositiveInt('strides[0]', sh);
  requirePositiveInt('strides[1]', sw);
  requirePositiveInt('dilation[0]', dh);
  requirePositiveInt('dilation[1]', dw);
  const [pt, pb, pl, pr] = requirePadding(g.padding);
  const spanH = dh * (kh - 1) + 1;
  const spanW = dw * (kw - 1) + 1;
  if (spanH > h + pt + pb || spanW > w + pl + pr) {
    throw new OxnetError(
      'E_SHAPE',
      `kernel [${kh}, ${kw}] with dilation [${dh}, ${dw}] spans [${spanH}, ${spanW}], larger than the padded input ` +
        `[${h + pt + pb}, ${w + pl + pr}] (inShape [${h}, ${w}], padding [${pt}, ${pb}, ${pl}, ${pr}])`,
    );
  }
  const oh = Math.floor((h + pt + pb - spanH) / sh) + 1;
  const ow = Math.floor((w + pl + pr - spanW) / sw) + 1;
  return {
    batch: g.batch, h, w, cin, filters: g.filters, kh, kw, sh, sw, padTop: pt, padLeft: pl, dh, dw, oh, ow,
    xCount: elementCount('x (batch*height*width*channels)', [g.batch, h, w, cin]),
    wCount: elementCount('kernel (kh*kw*inChannels*filters)', [kh, kw, cin, g.filters]),
    yCount: elementCount('output (batch*outHeight*outWidth*filters)', [g.batch, oh, ow, g.filters]),
  };
}

/** Padding [top, bottom, left, right], each a non-negative integer. */
export function requirePadding(p: unknown): [number, number, number, number] {
  if (!Array.isArray(p) || p.length !== 4) {
    throw new OxnetError('E_ARG', `padding must be [top, bottom, left, right], got ${JSON.stringify(p)}`);
  }
  const names = ['padding[0] (top)', 'padding[1] (bottom)', 'padding[2] (left)', 'padding[3] (right)'];
  for (let i = 0; i < 4; i++) requireNonNegativeInt(names[i], p[i] as number);
  return p as [number, number, number, number];
}

/** y[n, oy, ox, f] = b[f] + sum_{ky, kx, c} x[n, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, c] w[ky, kx, c, f]. */
export function conv2dForward<T extends FloatArray>(x: T, w: T, b: T | null, g: Conv2dGeometry): T {
  const p = planConv2d(g);
  requireLength('x', x, p.xCount, 'batch*height*width*inChannels');
  requireLength('w (kernel)', w, p.wCount, 'kh*kw*inChannels*filters');
  if (b !== null) requireLength('b (bias)', b, p.filters, 'filters');
  const { h, w: width, cin, filters: nf, kh, kw, sh, sw, dh, dw, oh, ow } = p;
  const y = allocLike(x, p.yCount);
  const acc = new Float64Array(nf);
  let yo = 0;
  for (let n = 0; n < p.batch; n++) {
    const xn = n * h * width * cin;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - p.padTop;
      for (let ox = 0; ox < ow; ox++) {
        const ix0 = ox * sw - p.padLeft;
        if (b !== null) for (let f = 0; f < nf; f++) acc[f] = b[f];
        else acc.fill(0);
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix < 0 || ix >= width) continue;
            const xo = xn + (iy * width + ix) * cin;
            let wo = (ky * kw + kx) * cin * nf;
            for (let c = 0; c < cin; c++, wo += nf) {
              const xv = x[xo + c];
              if (xv === 0) continue; // zeros are common after ReLU; only non-finite weights could notice
              for (let f = 0; f < nf; f++) acc[f] += xv * w[wo + f];
            }
          }
        }
        for (let f = 0; f < nf; f++) y[yo + f] = acc[f];
        yo += nf;
      }
    }
  }
  return y;
}

/** dx, dw (kernel gradient) and db for dy = dL/dy; no division by the batch (the loss grad has it). */
export function conv2dBackward<T extends FloatArray>(x: T, w: T, dy: T, g: Conv2dGeometry): DenseGrads<T> {
  const { dx, dw, db } = conv2dGrads(x, w, dy, g, true);
  return { dx: dx as T, dw, db };
}

/** conv2dBackward that skips dx when `wantDx` is false (a network's first layer needs none). */
export function conv2dGrads<T extends FloatArray>(x: T, w: T, dy: T, g: Conv2dGeometry, wantDx: boolean): { dx: T | null; dw: T; db: T } {
  const p = planConv2d(g);
  requireLength('x', x, p.xCount, 'batch*height*width*inChannels');
  requireLength('w (kernel)', w, p.wCount, 'kh*kw*inChannels*filters');
  requireLength('dy', dy, p.yCount, 'batch*outHeight*outWidth*filters');
  const { h, w: width, cin, filters: nf, kh, kw, sh, sw, dh, dw, oh, ow } = p;
  const dx64 = wantDx ? new Float64Array(p.xCount) : null;
  const dw64 = new Float64Array(p.wCount);
  const db64 = new Float64Array(nf);
  let yo = 0;
  for (let n = 0; n < p.batch; n++) {
    const xn = n * h * width * cin;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - p.padTop;
      for (let ox = 0; ox < ow; ox++, yo += nf) {
        const ix0 = ox * sw - p.padLeft;
        for (let f = 0; f < nf; f++) db64[f] += dy[yo + f];
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix < 0 || ix >= width) continue;
            const xo = xn + (iy * width + ix) * cin;
            let wo = (ky * kw + kx) * cin * nf;
            for (let c = 0; c < cin; c++, wo += nf) {
              const xv = x[xo + c];
              if (dx64 === null) {
                for (let f = 0; f < nf; f++) dw64[wo + f] += xv * dy[yo + f];
                continue;
              }
              let s = 0;
              for (let f = 0; f < nf; f++) {
                const d = dy[yo + f];
                s += d * w[wo + f];
                dw64[wo + f] += xv * d;
              }
              dx64[xo + c] += s;
            }
          }
        }
      }
    }
  }
  return { dx: dx64 === null ? null : copyAs(x, dx64), dw: copyAs(x, dw64), db: copyAs(x, db64) };
}

/** `src` (float64 sums) as an array of the type of `like`. */
function copyAs<T extends FloatArray>(like: T, src: Float64Array): T {
  if (like instanceof Float64Array) return src as FloatArray as T;
  return new Float32Array(src) as FloatArray as T;
}
