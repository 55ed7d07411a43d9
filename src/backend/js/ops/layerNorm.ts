// Layer normalization over rows of `width` (the last axis): per row, mean and biased variance,
// x̂ = (x - mean) / sqrt(var + epsilon), y = gamma x̂ + beta. Params [gamma (scale), beta
// (center)]. The same in training and inference. Backward, with g = gamma dy (dy without scale):
// dx = inv_std (g - mean(g) - x̂ mean(g x̂)) per row; dgamma = Σ dy x̂, dbeta = Σ dy over rows.
// x̂ and the per-row statistics are kept from the forward (float64), reused between batches.
import type { LayerNormOp } from '../../../layers/layerNormalization';
import { OxnetError } from '../../../errors';
import { checkInt } from '../check';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const layerNorm: OpFactory<LayerNormOp> = (spec, shape): JsOp => {
  checkInt('layerNorm.size', spec.size);
  checkInt('layerNorm.width', spec.width);
  if (spec.size % spec.width !== 0) {
    throw new OxnetError('E_CONFIG', `layerNorm.size ${spec.size} is not a multiple of layerNorm.width ${spec.width}`);
  }
  if (!Number.isFinite(spec.epsilon) || spec.epsilon <= 0) {
    throw new OxnetError('E_ARG', `layerNorm.epsilon must be a positive finite number, got ${spec.epsilon}`);
  }
  if (typeof spec.center !== 'boolean' || typeof spec.scale !== 'boolean') {
    throw new OxnetError(
      'E_CONFIG',
      `layerNorm.center and layerNorm.scale must be true or false, got ${JSON.stringify(spec.center)} and ${JSON.stringify(spec.scale)}`,
    );
  }
  const wd = spec.width;
  const { epsilon, center, scale } = spec;
  expectShape('layerNorm', shape, [spec.size], spec.size, [...(scale ? [wd] : []), ...(center ? [wd] : [])], []);
  const betaAt = scale ? 1 : 0;
  // Kept from the last forward; grown when a larger batch comes, never shrunk.
  let xhat = new Float64Array(0);
  let mean = new Float64Array(0);
  let invStd = new Float64Array(0);
  let rows = -1; // rows of the last forward (-1: none yet)
  const sumG = new Float64Array(wd);
  const sumB = new Float64Array(wd);
  return {
    reads: READS_NOTHING, // x̂ is kept
    forward({ inputs: [x], n, params, out }) {
      const r = (n * spec.size) / wd;
      if (xhat.length < r * wd) xhat = new Float64Array(r * wd);
      if (mean.length < r) {
        mean = new Float64Array(r);
        invStd = new Float64Array(r);
      }
      const gamma = scale ? params[0] : null;
      const beta = center ? params[betaAt] : null;
      for (let row = 0, base = 0; row < r; row++, base += wd) {
        let s = 0;
        for (let k = 0; k < wd; k++) s += x[base + k];
        const m = s / wd;
        let v = 0;
        for (let k = 0; k < wd; k++) {
          const d = x[base + k] - m;
          v += d * d;
        }
        const inv = 1 / Math.sqrt(v / wd + epsilon);
        mean[row] = m;
        invStd[row] = inv;
        for (let k = 0; k < wd; k++) {
          const hk = (x[base + k] - m) * inv;
          xhat[base + k] = hk;
          out[base + k] = (gamma ? gamma[k] * hk : hk) + (beta ? beta[k] : 0);
        }
      }
      rows = r;
    },
    backward({ dout, n, params, grads, dinputs: [dx] }) {
      const r = (n * spec.size) / wd;
      if (rows !== r) throw new OxnetError('E_STATE', 'layerNorm backward needs a forward of the same batch first');
      const gamma = scale ? params[0] : null;
      sumG.fill(0);
      sumB.fill(0);
      for (let row = 0, base = 0; row < r; row++, base += wd) {
        for (let k = 0; k < wd; k++) {
          sumG[k] += dout[base + k] * xhat[base + k];
          sumB[k] += dout[base + k];
        }
      }
      if (scale) grads[0].set(sumG);
      if (center) grads[betaAt].set(sumB);
      if (!dx) return;
      for (let row = 0, base = 0; row < r; row++, base += wd) {
        let mg = 0;
        let mgx = 0;
        for (let k = 0; k < wd; k++) {
          const g = gamma ? gamma[k] * dout[base + k] : dout[base + k];
          mg += g;
          mgx += g * xhat[base + k];
        }
        mg /= wd;
        mgx /= wd;
        const inv = invStd[row];
        for (let k = 0; k < wd; k++) {
          const g = gamma ? gamma[k] * dout[base + k] : dout[base + k];
          dx[base + k] = inv * (g - mg - xhat[base + k] * mgx);
        }
      }
    },
  };
};
