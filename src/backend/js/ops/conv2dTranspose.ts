// conv2dTranspose: y = f(convT(x, K) + b), x [h, w, c], y [oh, ow, f], K [kh, kw, f, c]: every
// input pixel (iy, ix) adds x[iy, ix, :] K[ky, kx, f, :] onto output pixel (iy*sh + ky - top,
// ix*sw + kx - left) when that pixel exists. Written straight from that definition, with float64
// sums, as the reference the native op (col2im of x Kᵀ, conv/direct.rs) is held to. Params [K, b?].
import type { Conv2dTransposeOp } from '../../../layers/conv2dTranspose';
import type { FloatArray } from '../../spec';
import { OxnetError } from '../../../errors';
import { checkInt } from '../check';
import { requirePadding } from '../conv';
import { zeros64, Workspace } from '../workspace';
import { Epilogue } from './epilogue';
import { expectShape, type JsOp, type OpFactory } from './types';

interface Plan {
  h: number;
  w: number;
  c: number;
  oh: number;
  ow: number;
  f: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/** Checks the spec's numbers and that it is the input gradient of the conv2d it names. */
export function planTranspose(spec: Conv2dTransposeOp): Plan {
  const ints = (name: string, v: unknown, n: number) => {
    if (!Array.isArray(v) || v.length !== n) throw new OxnetError('E_ARG', `conv2dTranspose.${name} must be ${n} integers, got ${JSON.stringify(v)}`);
    v.forEach((d, i) => {
      checkInt(`conv2dTranspose.${name}[${i}]`, d as number);
    });
    return v as number[];
  };
  const [h, w, c] = ints('inShape', spec.inShape, 3);
  const [oh, ow, f] = ints('outShape', spec.outShape, 3);
  const [kh, kw] = ints('kernel', spec.kernel, 2);
  const [sh, sw] = ints('strides', spec.strides, 2);
  const [top, bottom, left, right] = requirePadding(spec.padding);
  // The conv2d over [oh, ow] with this kernel, strides and padding must give back [h, w].
  const back = (o: number, a: number, b: number, k: number, s: number) => (o + a + b >= k ? Math.floor((o + a + b - k) / s) + 1 : 0);
  if (back(oh, top, bottom, kh, sh) !== h || back(ow, left, right, kw, sw) !== w) {
    throw new OxnetError(
      'E_CONFIG',
      `conv2dTranspose: outShape ${JSON.stringify(spec.outShape)} with kernel ${JSON.stringify(spec.kernel)}, strides ${JSON.stringify(spec.strides)} and padding ${JSON.stringify(spec.padding)} does not map back onto inShape ${JSON.stringify(spec.inShape)}`,
    );
  }
  return { h, w, c, oh, ow, f, kh, kw, sh, sw, top, left };
}

export const conv2dTranspose: OpFactory<Conv2dTransposeOp> = (spec, shape): JsOp => {
  const p = planTranspose(spec);
  const { h, w, c, oh, ow, f, kh, kw, sh, sw, top, left } = p;
  const inLen = h * w * c;
  const outLen = oh * ow * f;
  const wLen = kh * kw * f * c;
  expectShape('conv2dTranspose', shape, [inLen], outLen, spec.useBias ? [wLen, f] : [wLen], []);
  const epilogue = new Epilogue(spec.activation, f);
  const ws = new Workspace();

  /** Calls visit(xo, yo, wo) for every (input pixel, kernel tap) whose output pixel exists. */
  const pairs = (n: number, visit: (xo: number, yo: number, wo: number) => void) => {
    for (let s = 0; s < n; s++) {
      for (let iy = 0; iy < h; iy++) {
        for (let ky = 0; ky < kh; ky++) {
          const oy = iy * sh + ky - top;
          if (oy < 0 || oy >= oh) continue;
          for (let ix = 0; ix < w; ix++) {
            for (let kx = 0; kx < kw; kx++) {
              const ox = ix * sw + kx - left;
              if (ox < 0 || ox >= ow) continue;
              visit(s * inLen + (iy * w + ix) * c, s * outLen + (oy * ow + ox) * f, (ky * kw + kx) * f * c);
            }
          }
        }
      }
    }
  };

  return {
    reads: { inputs: true, output: true },
    forward({ inputs: [x], n, params: [k, b], out }) {
      const acc = zeros64(ws, 'acc', n * outLen);
      if (b) for (let i = 0; i < acc.length; i++) acc[i] = b[i % f];
      pairs(n, (xo, yo, wo) => {
        for (let j = 0; j < f; j++) {
          let s = 0;
          for (let i = 0; i < c; i++) s += x[xo + i] * k[wo + j * c + i];
          acc[yo + j] += s;
        }
      });
      const z = ws.take(out, 'z', out.length);
      z.set(acc);
      epilogue.forward(z, out);
    },
    preActivation: (_inputs, out) => epilogue.preActivation(out),
    backward({ inputs: [x], out, dout, fromPre, n, params: [k], grads, dinputs: [dx] }) {
      const d: FloatArray = epilogue.backward(out, dout, fromPre);
      const dw = zeros64(ws, 'dw', wLen);
      const dxs = dx ? zeros64(ws, 'dx', n * inLen) : null;
      pairs(n, (xo, yo, wo) => {
        for (let j = 0; j < f; j++) {
          const dv = d[yo + j];
          const wj = wo + j * c;
          for (let i = 0; i < c; i++) {
            dw[wj + i] += x[xo + i] * dv;
            if (dxs) dxs[xo + i] += dv * k[wj + i];
          }
        }
      });
      grads[0].set(dw);
      if (grads.length > 1) {
        const db = zeros64(ws, 'db', f);
        for (let i = 0; i < d.length; i++) db[i % f] += d[i];
        grads[1].set(db);
      }
      if (dx && dxs) dx.set(dxs);
    },
  };
};
