// 2-D convolution, NHWC input, HWIO kernel, per docs/kernels.md ("Convolution and pooling").
// Small CNNs have few filters (8, 16), too few for a fast filters-innermost loop, so each pass
// picks the order that keeps sums in locals: forward and dx are direct loops blocked over 8
// filters / 4 channels; dW is im2col + matmul tiled over output pixels with the column matrix
// transposed, i.e. long dot products. All sums are float64, whatever the array type.
import type { Conv2dGeometry, DenseGrads, FloatArray } from '../types';
import { OxnetError, showValue } from '../../errors';
import { take, zeros64, type Workspace } from './workspace';

/** Largest element count a buffer may have (indices stay int32 in both backends). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

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
    throw new OxnetError('E_ARG', `${name} must be a pair [height, width], got ${showValue(v)}`);
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
    batch: g.batch,
    h,
    w,
    cin,
    filters: g.filters,
    kh,
    kw,
    sh,
    sw,
    padTop: pt,
    padLeft: pl,
    dh,
    dw,
    oh,
    ow,
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

/**
 * Output pixels are processed in tiles of `tile` pixels (all images, row-major), so the transposed
 * column matrix of a tile ([patch x tile], patch = kh*kw*cin) stays in cache.
 */
function tileSize(patch: number): number {
  return Math.max(16, Math.min(1024, Math.floor(32768 / patch)));
}

/**
 * Transposed im2col of output pixels [i0, i0 + t): colT[q * tile + j] is the input value under
 * kernel tap q = (ky*kw + kx)*cin + c for pixel i0 + j, 0 where the tap falls in the padding.
 */
function im2colT(x: FloatArray, p: ConvPlan, i0: number, t: number, colT: Float64Array, tile: number): void {
  const { h, w, cin, kh, kw, sh, sw, dh, dw, oh, ow } = p;
  const perImage = oh * ow;
  let n = Math.floor(i0 / perImage);
  let oy = Math.floor((i0 % perImage) / ow);
  let ox = i0 % ow;
  for (let j = 0; j < t; j++) {
    const xn = n * h * w * cin;
    const iy0 = oy * sh - p.padTop;
    const ix0 = ox * sw - p.padLeft;
    let q = j;
    for (let ky = 0; ky < kh; ky++) {
      const iy = iy0 + ky * dh;
      const rowOk = iy >= 0 && iy < h;
      for (let kx = 0; kx < kw; kx++) {
        const ix = ix0 + kx * dw;
        if (rowOk && ix >= 0 && ix < w) {
          const xo = xn + (iy * w + ix) * cin;
          for (let c = 0; c < cin; c++, q += tile) colT[q] = x[xo + c];
        } else {
          for (let c = 0; c < cin; c++, q += tile) colT[q] = 0;
        }
      }
    }
    if (++ox === ow) {
      ox = 0;
      if (++oy === oh) {
        oy = 0;
        n++;
      }
    }
  }
}

/**
 * y[n, oy, ox, f] = b[f] + sum_{ky, kx, c} x[n, oy*sh - pt + ky*dh, ox*sw - pl + kx*dw, c] w[ky, kx, c, f].
 * Direct loops per output pixel, eight filters at a time in local sums (one kernel load per
 * multiply-add, one pass over the taps for 8 filters), skipping zero inputs (half of them after a
 * ReLU). The kernel is copied with its filter axis padded to a multiple of 8 so every block is full.
 */
export function conv2dForward<T extends FloatArray>(x: T, w: T, b: T | null, g: Conv2dGeometry, ws?: Workspace): T {
  const p = planConv2d(g);
  requireLength('x', x, p.xCount, 'batch*height*width*inChannels');
  requireLength('w (kernel)', w, p.wCount, 'kh*kw*inChannels*filters');
  if (b !== null) requireLength('b (bias)', b, p.filters, 'filters');
  const { h, w: width, cin, filters: nf, kh, kw, sh, sw, dh, dw, oh, ow } = p;
  const np = Math.ceil(nf / 8) * 8;
  const wp = zeros64(ws, 'conv.wp', kh * kw * cin * np);
  const bp = zeros64(ws, 'conv.bp', np);
  for (let q = 0; q < kh * kw * cin; q++) for (let f = 0; f < nf; f++) wp[q * np + f] = w[q * nf + f];
  if (b !== null) for (let f = 0; f < nf; f++) bp[f] = b[f];
  const y = take(ws, x, 'conv.y', p.yCount);
  let yo = 0;
  for (let n = 0; n < p.batch; n++) {
    const xn = n * h * width * cin;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - p.padTop;
      for (let ox = 0; ox < ow; ox++, yo += nf) {
        const ix0 = ox * sw - p.padLeft;
        for (let f0 = 0; f0 < np; f0 += 8) {
          let s0 = bp[f0];
          let s1 = bp[f0 + 1];
          let s2 = bp[f0 + 2];
          let s3 = bp[f0 + 3];
          let s4 = bp[f0 + 4];
          let s5 = bp[f0 + 5];
          let s6 = bp[f0 + 6];
          let s7 = bp[f0 + 7];
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * dh;
            if (iy < 0 || iy >= h) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ix0 + kx * dw;
              if (ix < 0 || ix >= width) continue;
              const xo = xn + (iy * width + ix) * cin;
              let wo = (ky * kw + kx) * cin * np + f0;
              for (let c = 0; c < cin; c++, wo += np) {
                const xv = x[xo + c];
                if (xv === 0) continue; // only non-finite weights could notice the skip
                s0 += xv * wp[wo];
                s1 += xv * wp[wo + 1];
                s2 += xv * wp[wo + 2];
                s3 += xv * wp[wo + 3];
                s4 += xv * wp[wo + 4];
                s5 += xv * wp[wo + 5];
                s6 += xv * wp[wo + 6];
                s7 += xv * wp[wo + 7];
              }
            }
          }
          const left = nf - f0; // real filters in this block
          y[yo + f0] = s0;
          if (left > 1) y[yo + f0 + 1] = s1;
          if (left > 2) y[yo + f0 + 2] = s2;
          if (left > 3) y[yo + f0 + 3] = s3;
          if (left > 4) y[yo + f0 + 4] = s4;
          if (left > 5) y[yo + f0 + 5] = s5;
          if (left > 6) y[yo + f0 + 6] = s6;
          if (left > 7) y[yo + f0 + 7] = s7;
        }
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

/**
 * conv2dBackward that skips dx when `wantDx` is false (a network's first layer needs none).
 * dW by tiles of output pixels: dW += colT · dyT^T, dot products of long contiguous rows.
 */
export function conv2dGrads<T extends FloatArray>(x: T, w: T, dy: T, g: Conv2dGeometry, wantDx: boolean, ws?: Workspace): { dx: T | null; dw: T; db: T } {
  const p = planConv2d(g);
  requireLength('x', x, p.xCount, 'batch*height*width*inChannels');
  requireLength('w (kernel)', w, p.wCount, 'kh*kw*inChannels*filters');
  requireLength('dy', dy, p.yCount, 'batch*outHeight*outWidth*filters');
  const nf = p.filters;
  const patch = p.kh * p.kw * p.cin;
  const pixels = p.batch * p.oh * p.ow;
  const tile = Math.min(tileSize(patch), pixels);
  const colT = zeros64(ws, 'conv.colT', patch * tile);
  const dyT = zeros64(ws, 'conv.dyT', nf * tile);
  const dx64 = wantDx ? zeros64(ws, 'conv.dx64', p.xCount) : null;
  const dw64 = zeros64(ws, 'conv.dw64', p.wCount);
  const db64 = zeros64(ws, 'conv.db64', nf);
  const nf4 = nf - (nf % 4);
  for (let i0 = 0; i0 < pixels; i0 += tile) {
    const t = Math.min(tile, pixels - i0);
    for (let j = 0, yo = i0 * nf; j < t; j++) {
      for (let f = 0; f < nf; f++, yo++) {
        dyT[f * tile + j] = dy[yo];
        db64[f] += dy[yo];
      }
    }
    im2colT(x, p, i0, t, colT, tile);
    // dW[q, f] += sum_j colT[q, j] dyT[f, j], four filters per pass over colT[q].
    for (let q = 0; q < patch; q++) {
      const cq = q * tile;
      let f = 0;
      for (; f < nf4; f += 4) {
        const d0 = f * tile;
        const d1 = d0 + tile;
        const d2 = d1 + tile;
        const d3 = d2 + tile;
        let s0 = 0;
        let s1 = 0;
        let s2 = 0;
        let s3 = 0;
        for (let j = 0; j < t; j++) {
          const cv = colT[cq + j];
          s0 += cv * dyT[d0 + j];
          s1 += cv * dyT[d1 + j];
          s2 += cv * dyT[d2 + j];
          s3 += cv * dyT[d3 + j];
        }
        dw64[q * nf + f] += s0;
        dw64[q * nf + f + 1] += s1;
        dw64[q * nf + f + 2] += s2;
        dw64[q * nf + f + 3] += s3;
      }
      for (; f < nf; f++) {
        const d0 = f * tile;
        let s = 0;
        for (let j = 0; j < t; j++) s += colT[cq + j] * dyT[d0 + j];
        dw64[q * nf + f] += s;
      }
    }
  }
  if (dx64 !== null) conv2dInputGrad(dy, w, p, dx64);
  return { dx: dx64 === null ? null : copyAs(x, dx64, ws, 'conv.dx'), dw: copyAs(x, dw64, ws, 'conv.dw'), db: copyAs(x, db64, ws, 'conv.db') };
}

/**
 * dx[pixel under tap, c] += sum_f dy[pixel, f] w[tap, c, f]: per tap, dot products over filters,
 * four channels per pass over the dy row.
 */
function conv2dInputGrad(dy: FloatArray, w: FloatArray, p: ConvPlan, dx: Float64Array): void {
  const { h, w: width, cin, filters: nf, kh, kw, sh, sw, dh, dw, oh, ow } = p;
  const cin4 = cin - (cin % 4);
  let yo = 0;
  for (let n = 0; n < p.batch; n++) {
    const xn = n * h * width * cin;
    for (let oy = 0; oy < oh; oy++) {
      const iy0 = oy * sh - p.padTop;
      for (let ox = 0; ox < ow; ox++, yo += nf) {
        const ix0 = ox * sw - p.padLeft;
        for (let ky = 0; ky < kh; ky++) {
          const iy = iy0 + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ix0 + kx * dw;
            if (ix < 0 || ix >= width) continue;
            const xo = xn + (iy * width + ix) * cin;
            const wo = (ky * kw + kx) * cin * nf;
            let c = 0;
            for (; c < cin4; c += 4) {
              const w0 = wo + c * nf;
              const w1 = w0 + nf;
              const w2 = w1 + nf;
              const w3 = w2 + nf;
              let s0 = 0;
              let s1 = 0;
              let s2 = 0;
              let s3 = 0;
              for (let f = 0; f < nf; f++) {
                const d = dy[yo + f];
                s0 += d * w[w0 + f];
                s1 += d * w[w1 + f];
                s2 += d * w[w2 + f];
                s3 += d * w[w3 + f];
              }
              dx[xo + c] += s0;
              dx[xo + c + 1] += s1;
              dx[xo + c + 2] += s2;
              dx[xo + c + 3] += s3;
            }
            for (; c < cin; c++) {
              const w0 = wo + c * nf;
              let s = 0;
              for (let f = 0; f < nf; f++) s += dy[yo + f] * w[w0 + f];
              dx[xo + c] += s;
            }
          }
        }
      }
    }
  }
}

/** `src` (float64 sums) as an array of the type of `like` (in `ws` under `name` when given). */
function copyAs<T extends FloatArray>(like: T, src: Float64Array, ws?: Workspace, name = ''): T {
  if (like instanceof Float64Array) return src as FloatArray as T;
  if (ws === undefined) return new Float32Array(src) as FloatArray as T;
  const out = ws.take(like, name, src.length);
  out.set(src);
  return out;
}
