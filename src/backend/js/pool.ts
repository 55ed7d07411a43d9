// Max, average and global-average pooling, NHWC, per docs/kernels.md ("Convolution and pooling").
// Padded cells never count: max ignores them (as -inf), average divides by the valid cells.
import type { FloatArray, Pool2dGeometry } from '../types';
import { OxnetError, showValue } from '../../errors';
import { take, zeros64, type Workspace } from './workspace';
import { elementCount, requireLength, requirePadding, requirePositiveInt } from './conv';

export interface PoolPlan {
  batch: number;
  h: number;
  w: number;
  c: number;
  ph: number;
  pw: number;
  sh: number;
  sw: number;
  padTop: number;
  padLeft: number;
  oh: number;
  ow: number;
  xCount: number;
  yCount: number;
}

/** Checks a pooling geometry before any memory is touched and derives its sizes. */
export function planPool2d(g: Pool2dGeometry): PoolPlan {
  requirePositiveInt('batch', g.batch);
  if (!Array.isArray(g.inShape) || g.inShape.length !== 3) {
    throw new OxnetError('E_ARG', `inShape must be [height, width, channels], got ${JSON.stringify(g.inShape)}`);
  }
  const [h, w, c] = g.inShape;
  requirePositiveInt('inShape[0] (height)', h);
  requirePositiveInt('inShape[1] (width)', w);
  requirePositiveInt('inShape[2] (channels)', c);
  for (const name of ['pool', 'strides'] as const) {
    const v = g[name];
    if (!Array.isArray(v) || v.length !== 2) {
      throw new OxnetError('E_ARG', `${name} must be a pair [height, width], got ${showValue(v)}`);
    }
  }
  const [ph, pw] = g.pool;
  const [sh, sw] = g.strides;
  requirePositiveInt('pool[0]', ph);
  requirePositiveInt('pool[1]', pw);
  requirePositiveInt('strides[0]', sh);
  requirePositiveInt('strides[1]', sw);
  const [pt, pb, pl, pr] = requirePadding(g.padding);
  // A pad as wide as the window could make a window of padding only (no max, nothing to average).
  if (pt >= ph || pb >= ph || pl >= pw || pr >= pw) {
    throw new OxnetError('E_ARG', `padding [${pt}, ${pb}, ${pl}, ${pr}] must be smaller than pool [${ph}, ${pw}] on each side`);
  }
  if (ph > h + pt + pb || pw > w + pl + pr) {
    throw new OxnetError(
      'E_SHAPE',
      `pool [${ph}, ${pw}] is larger than the padded input [${h + pt + pb}, ${w + pl + pr}] ` + `(inShape [${h}, ${w}], padding [${pt}, ${pb}, ${pl}, ${pr}])`,
    );
  }
  const oh = Math.floor((h + pt + pb - ph) / sh) + 1;
  const ow = Math.floor((w + pl + pr - pw) / sw) + 1;
  return {
    batch: g.batch,
    h,
    w,
    c,
    ph,
    pw,
    sh,
    sw,
    padTop: pt,
    padLeft: pl,
    oh,
    ow,
    xCount: elementCount('x (batch*height*width*channels)', [g.batch, h, w, c]),
    yCount: elementCount('output (batch*outHeight*outWidth*channels)', [g.batch, oh, ow, c]),
  };
}

/**
 * Visits every output cell with its valid window: `visit(xn, yo, y0, y1, x0, x1)` where xn indexes
 * the sample in x, yo channel 0 of the output pixel, and [y0, y1) x [x0, x1) the valid window.
 */
function forEachWindow(p: PoolPlan, visit: (xn: number, yo: number, y0: number, y1: number, x0: number, x1: number) => void): void {
  let yo = 0;
  for (let n = 0; n < p.batch; n++) {
    const xn = n * p.h * p.w * p.c;
    for (let oy = 0; oy < p.oh; oy++) {
      const top = oy * p.sh - p.padTop;
      const y0 = Math.max(top, 0);
      const y1 = Math.min(top + p.ph, p.h);
      for (let ox = 0; ox < p.ow; ox++, yo += p.c) {
        const left = ox * p.sw - p.padLeft;
        visit(xn, yo, y0, y1, Math.max(left, 0), Math.min(left + p.pw, p.w));
      }
    }
  }
}

export function maxPool2dForward<T extends FloatArray>(x: T, g: Pool2dGeometry, ws?: Workspace): T {
  const p = planPool2d(g);
  requireLength('x', x, p.xCount, 'batch*height*width*channels');
  const y = take(ws, x, 'pool.y', p.yCount);
  const { w, c } = p;
  forEachWindow(p, (xn, yo, y0, y1, x0, x1) => {
    for (let ch = 0; ch < c; ch++) {
      let best = -Infinity;
      for (let iy = y0; iy < y1; iy++) {
        for (let ix = x0; ix < x1; ix++) {
          const v = x[xn + (iy * w + ix) * c + ch];
          if (v > best) best = v;
        }
      }
      y[yo + ch] = best;
    }
  });
  return y;
}

/** Routes each dy to the first maximum of its window in row-major window order. */
export function maxPool2dBackward<T extends FloatArray>(x: T, dy: T, g: Pool2dGeometry, ws?: Workspace): T {
  const p = planPool2d(g);
  requireLength('x', x, p.xCount, 'batch*height*width*channels');
  requireLength('dy', dy, p.yCount, 'batch*outHeight*outWidth*channels');
  const dx = zeros64(ws, 'pool.dx64', p.xCount);
  const { w, c } = p;
  forEachWindow(p, (xn, yo, y0, y1, x0, x1) => {
    for (let ch = 0; ch < c; ch++) {
      let best = -Infinity;
      let at = xn + (y0 * w + x0) * c + ch; // first valid cell, kept if every value is -inf or NaN
      for (let iy = y0; iy < y1; iy++) {
        for (let ix = x0; ix < x1; ix++) {
          const i = xn + (iy * w + ix) * c + ch;
          if (x[i] > best) {
            best = x[i];
            at = i;
          }
        }
      }
      dx[at] += dy[yo + ch];
    }
  });
  const out = take(ws, x, 'pool.dx', p.xCount);
  out.set(dx);
  return out;
}

export function avgPool2dForward<T extends FloatArray>(x: T, g: Pool2dGeometry, ws?: Workspace): T {
  const p = planPool2d(g);
  requireLength('x', x, p.xCount, 'batch*height*width*channels');
  const y = take(ws, x, 'pool.y', p.yCount);
  const { w, c } = p;
  forEachWindow(p, (xn, yo, y0, y1, x0, x1) => {
    const count = (y1 - y0) * (x1 - x0);
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let iy = y0; iy < y1; iy++) {
        for (let ix = x0; ix < x1; ix++) s += x[xn + (iy * w + ix) * c + ch];
      }
      y[yo + ch] = s / count;
    }
  });
  return y;
}

export function avgPool2dBackward<T extends FloatArray>(x: T, dy: T, g: Pool2dGeometry, ws?: Workspace): T {
  const p = planPool2d(g);
  requireLength('x', x, p.xCount, 'batch*height*width*channels');
  requireLength('dy', dy, p.yCount, 'batch*outHeight*outWidth*channels');
  const dx = zeros64(ws, 'pool.dx64', p.xCount);
  const { w, c } = p;
  forEachWindow(p, (xn, yo, y0, y1, x0, x1) => {
    const count = (y1 - y0) * (x1 - x0);
    for (let ch = 0; ch < c; ch++) {
      const share = dy[yo + ch] / count;
      for (let iy = y0; iy < y1; iy++) {
        for (let ix = x0; ix < x1; ix++) dx[xn + (iy * w + ix) * c + ch] += share;
      }
    }
  });
  const out = take(ws, x, 'pool.dx', p.xCount);
  out.set(dx);
  return out;
}

/** Checks a global pooling shape; count = batch*h*w*c. */
export function planGlobalPool(batch: number, inShape: [number, number, number]): { pixels: number; c: number; count: number } {
  requirePositiveInt('batch', batch);
  if (!Array.isArray(inShape) || inShape.length !== 3) {
    throw new OxnetError('E_ARG', `inShape must be [height, width, channels], got ${JSON.stringify(inShape)}`);
  }
  const [h, w, c] = inShape;
  requirePositiveInt('inShape[0] (height)', h);
  requirePositiveInt('inShape[1] (width)', w);
  requirePositiveInt('inShape[2] (channels)', c);
  return { pixels: h * w, c, count: elementCount('x (batch*height*width*channels)', [batch, h, w, c]) };
}

/** Mean over height and width per channel: [batch, h, w, c] -> [batch, c]. */
export function globalAvgPool2dForward<T extends FloatArray>(x: T, batch: number, inShape: [number, number, number], ws?: Workspace): T {
  const { pixels, c, count } = planGlobalPool(batch, inShape);
  requireLength('x', x, count, 'batch*height*width*channels');
  const y = take(ws, x, 'gpool.y', batch * c);
  const acc = zeros64(ws, 'gpool.acc', c);
  for (let n = 0; n < batch; n++) {
    acc.fill(0);
    let xo = n * pixels * c;
    for (let px = 0; px < pixels; px++, xo += c) for (let ch = 0; ch < c; ch++) acc[ch] += x[xo + ch];
    for (let ch = 0; ch < c; ch++) y[n * c + ch] = acc[ch] / pixels;
  }
  return y;
}

export function globalAvgPool2dBackward<T extends FloatArray>(dy: T, batch: number, inShape: [number, number, number], ws?: Workspace): T {
  const { pixels, c, count } = planGlobalPool(batch, inShape);
  requireLength('dy', dy, batch * c, 'batch*channels');
  const dx = take(ws, dy, 'gpool.dx', count);
  for (let n = 0; n < batch; n++) {
    let xo = n * pixels * c;
    for (let px = 0; px < pixels; px++, xo += c) for (let ch = 0; ch < c; ch++) dx[xo + ch] = dy[n * c + ch] / pixels;
  }
  return dx;
}

/**
 * Maximum over height and width per channel: [batch, h, w, c] -> [batch, c]. `argmax` (when given,
 * batch*c long) receives the pixel index of each first maximum (row-major order; NaN never wins,
 * and pixel 0 is kept when nothing beats -inf), for globalMaxPool2dBackward.
 */
export function globalMaxPool2dForward<T extends FloatArray>(x: T, batch: number, inShape: [number, number, number], ws?: Workspace, argmax?: Int32Array): T {
  const { pixels, c, count } = planGlobalPool(batch, inShape);
  requireLength('x', x, count, 'batch*height*width*channels');
  if (argmax) requireArgmax(argmax, batch * c);
  const y = take(ws, x, 'gpool.y', batch * c);
  for (let n = 0; n < batch; n++) {
    const yo = n * c;
    y.fill(-Infinity, yo, yo + c);
    argmax?.fill(0, yo, yo + c);
    let xo = n * pixels * c;
    for (let px = 0; px < pixels; px++, xo += c) {
      for (let ch = 0; ch < c; ch++) {
        if (x[xo + ch] > y[yo + ch]) {
          y[yo + ch] = x[xo + ch];
          if (argmax) argmax[yo + ch] = px;
        }
      }
    }
  }
  return y;
}

/** dx = dy[n, c] at pixel argmax[n, c] of channel c, zero elsewhere. */
export function globalMaxPool2dBackward<T extends FloatArray>(argmax: Int32Array, dy: T, batch: number, inShape: [number, number, number], ws?: Workspace): T {
  const { pixels, c, count } = planGlobalPool(batch, inShape);
  requireLength('dy', dy, batch * c, 'batch*channels');
  requireArgmax(argmax, batch * c);
  const dx = take(ws, dy, 'gpool.dx', count); // zero-filled
  for (let n = 0; n < batch; n++) {
    for (let ch = 0; ch < c; ch++) dx[(n * pixels + argmax[n * c + ch]) * c + ch] = dy[n * c + ch];
  }
  return dx;
}

function requireArgmax(argmax: Int32Array, expected: number): void {
  if (argmax.length !== expected) throw new OxnetError('E_SHAPE', `argmax has length ${argmax.length}, expected ${expected} (batch*channels)`);
}
