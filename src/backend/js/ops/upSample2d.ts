// Upsampling [h, w, c] -> [h * sh, w * sw, c] (no parameters), as src/layers/upSampling2d.ts
// defines it: nearest repeats each pixel; bilinear interpolates between the two nearest source
// rows and columns at the half-pixel source coordinate (o + 0.5) / s - 0.5, clamped at the edges
// (TensorFlow's). Backward is the transpose: nearest sums each block, bilinear scatters dout back
// with the forward's weights into a zeroed dx.
import type { UpSample2dOp } from '../../../layers/upSampling2d';
import { OxnetError } from '../../../errors';
import { checkInt } from '../check';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

/** Per output index of one axis: the two source indices and the weight of the second. */
export interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  t: Float64Array;
}

/** The bilinear taps of an axis of `n` pixels upsampled by `s` (half-pixel centers, clamped). */
export function bilinearTaps(n: number, s: number): AxisTaps {
  const m = n * s;
  const taps = { lo: new Int32Array(m), hi: new Int32Array(m), t: new Float64Array(m) };
  for (let o = 0; o < m; o++) {
    const u = Math.max((o + 0.5) / s - 0.5, 0);
    const lo = Math.min(Math.floor(u), n - 1);
    taps.lo[o] = lo;
    taps.hi[o] = Math.min(lo + 1, n - 1);
    taps.t[o] = u - lo;
  }
  return taps;
}

export const upSample2d: OpFactory<UpSample2dOp> = (spec, shape): JsOp => {
  const [h, w, c] = spec.inShape ?? [];
  const [sh, sw] = spec.size ?? [];
  checkInt('upSample2d.inShape[0]', h);
  checkInt('upSample2d.inShape[1]', w);
  checkInt('upSample2d.inShape[2]', c);
  checkInt('upSample2d.size[0]', sh);
  checkInt('upSample2d.size[1]', sw);
  if (spec.interpolation !== 'nearest' && spec.interpolation !== 'bilinear') {
    throw new OxnetError('E_CONFIG', `upSample2d: interpolation must be 'nearest' or 'bilinear', got ${JSON.stringify(spec.interpolation)}`);
  }
  const oh = h * sh;
  const ow = w * sw;
  const inLen = h * w * c;
  const outLen = oh * ow * c;
  expectShape('upSample2d', shape, [inLen], outLen, [], []);
  const rowStride = w * c;
  const outRow = ow * c;

  if (spec.interpolation === 'nearest') {
    return {
      reads: READS_NOTHING,
      forward({ inputs: [x], n, out }) {
        for (let s = 0; s < n; s++) {
          const xs = s * inLen;
          for (let oy = 0, o = s * outLen; oy < oh; oy++) {
            const row = xs + Math.floor(oy / sh) * rowStride;
            for (let ox = 0; ox < ow; ox++) {
              const at = row + Math.floor(ox / sw) * c;
              for (let k = 0; k < c; k++, o++) out[o] = x[at + k];
            }
          }
        }
      },
      backward({ dout, n, dinputs: [dx] }) {
        if (!dx) return;
        // Each dx pixel is the sum of its sh x sw block: written once, no zeroing needed.
        for (let s = 0; s < n; s++) {
          const os = s * outLen;
          for (let iy = 0, i = s * inLen; iy < h; iy++) {
            for (let ix = 0; ix < w; ix++, i += c) {
              for (let k = 0; k < c; k++) {
                let sum = 0;
                for (let dy = 0; dy < sh; dy++) {
                  const base = os + (iy * sh + dy) * outRow + ix * sw * c + k;
                  for (let dxx = 0; dxx < sw; dxx++) sum += dout[base + dxx * c];
                }
                dx[i + k] = sum;
              }
            }
          }
        }
      },
    };
  }

  const ty = bilinearTaps(h, sh);
  const tx = bilinearTaps(w, sw);
  return {
    reads: READS_NOTHING,
    forward({ inputs: [x], n, out }) {
      for (let s = 0; s < n; s++) {
        const xs = s * inLen;
        for (let oy = 0, o = s * outLen; oy < oh; oy++) {
          const r0 = xs + ty.lo[oy] * rowStride;
          const r1 = xs + ty.hi[oy] * rowStride;
          const b = ty.t[oy];
          const a = 1 - b;
          for (let ox = 0; ox < ow; ox++) {
            const c0 = tx.lo[ox] * c;
            const c1 = tx.hi[ox] * c;
            const q = tx.t[ox];
            const p = 1 - q;
            for (let k = 0; k < c; k++, o++) {
              out[o] = a * (p * x[r0 + c0 + k] + q * x[r0 + c1 + k]) + b * (p * x[r1 + c0 + k] + q * x[r1 + c1 + k]);
            }
          }
        }
      }
    },
    backward({ dout, n, dinputs: [dx] }) {
      if (!dx) return;
      dx.fill(0);
      for (let s = 0; s < n; s++) {
        const xs = s * inLen;
        for (let oy = 0, o = s * outLen; oy < oh; oy++) {
          const r0 = xs + ty.lo[oy] * rowStride;
          const r1 = xs + ty.hi[oy] * rowStride;
          const b = ty.t[oy];
          const a = 1 - b;
          for (let ox = 0; ox < ow; ox++) {
            const c0 = tx.lo[ox] * c;
            const c1 = tx.hi[ox] * c;
            const q = tx.t[ox];
            const p = 1 - q;
            for (let k = 0; k < c; k++, o++) {
              const g = dout[o];
              dx[r0 + c0 + k] += a * p * g;
              dx[r0 + c1 + k] += a * q * g;
              dx[r1 + c0 + k] += b * p * g;
              dx[r1 + c1 + k] += b * q * g;
            }
          }
        }
      }
    },
  };
};
