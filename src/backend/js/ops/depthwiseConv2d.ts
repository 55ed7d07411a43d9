// depthwiseConv2d: y[oy, ox, i*m + j] = f(b[i*m + j] + sum_{ky, kx} x[oy*sh - top + ky*dh,
// ox*sw - left + kx*dw, i] K[ky, kx, i, j]), NHWC, K [kh, kw, c, m]. Straight loops with float64
// sums: the reference the native op (conv/depthwise.rs) is held to. Params [K, b?].
import type { DepthwiseConv2dOp } from '../../../layers/depthwiseConv2d';
import type { FloatArray } from '../../spec';
import { checkInt } from '../check';
import { planConv2d } from '../conv';
import { zeros64, Workspace } from '../workspace';
import { Epilogue } from './epilogue';
import { expectShape, type JsOp, type OpFactory } from './types';

export const depthwiseConv2d: OpFactory<DepthwiseConv2dOp> = (spec, shape): JsOp => {
  checkInt('depthwiseConv2d.depthMultiplier', spec.depthMultiplier);
  const m = spec.depthMultiplier;
  // The window geometry is a conv2d's (one filter per channel pair); planConv2d checks it.
  const g = planConv2d({
    batch: 1,
    inShape: spec.inShape,
    filters: 1,
    kernel: spec.kernel,
    strides: spec.strides,
    padding: spec.padding,
    dilation: spec.dilation,
  });
  const { h, w, cin: c, kh, kw, sh, sw, dh, dw: dwid, oh, ow, padTop: top, padLeft: left } = g;
  const cm = c * m;
  const inLen = h * w * c;
  const outLen = oh * ow * cm;
  const wLen = kh * kw * cm;
  expectShape('depthwiseConv2d', shape, [inLen], outLen, spec.useBias ? [wLen, cm] : [wLen], []);
  const epilogue = new Epilogue(spec.activation, cm);
  const ws = new Workspace();

  /** Calls visit(xo, yo, wo) for every (output pixel, kernel tap) whose input pixel exists. */
  const taps = (n: number, visit: (xo: number, yo: number, wo: number) => void) => {
    for (let s = 0; s < n; s++) {
      for (let oy = 0; oy < oh; oy++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - top + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let ox = 0; ox < ow; ox++) {
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw - left + kx * dwid;
              if (ix < 0 || ix >= w) continue;
              visit(s * inLen + (iy * w + ix) * c, s * outLen + (oy * ow + ox) * cm, (ky * kw + kx) * cm);
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
      if (b) for (let i = 0; i < acc.length; i++) acc[i] = b[i % cm];
      taps(n, (xo, yo, wo) => {
        for (let i = 0; i < c; i++) {
          const xv = x[xo + i];
          for (let j = 0; j < m; j++) acc[yo + i * m + j] += xv * k[wo + i * m + j];
        }
      });
      const z = ws.take(out, 'z', out.length);
      z.set(acc);
      epilogue.forward(z, out);
    },
    preActivation: (_inputs, out) => epilogue.preActivation(out),
    backward({ inputs: [x], out, dout, fromPre, n, params: [k], grads, dinputs: [dx] }) {
      const d: FloatArray = epilogue.backward(out, dout, fromPre);
      const dk = zeros64(ws, 'dk', wLen);
      const dxs = dx ? zeros64(ws, 'dx', n * inLen) : null;
      taps(n, (xo, yo, wo) => {
        for (let i = 0; i < c; i++) {
          const xv = x[xo + i];
          let s = 0;
          for (let j = 0; j < m; j++) {
            const dv = d[yo + i * m + j];
            dk[wo + i * m + j] += xv * dv;
            s += dv * k[wo + i * m + j];
          }
          if (dxs) dxs[xo + i] += s;
        }
      });
      grads[0].set(dk);
      if (grads.length > 1) {
        const db = zeros64(ws, 'db', cm);
        for (let i = 0; i < d.length; i++) db[i % cm] += d[i];
        grads[1].set(db);
      }
      if (dx && dxs) dx.set(dxs);
    },
  };
};
