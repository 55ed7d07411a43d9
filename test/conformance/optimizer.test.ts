// optimizerStep of each backend against the formulas of docs/kernels.md, evaluated here by hand
// in float64 for two consecutive steps (so momentum and Adam moments carry over).
import { expect, it } from 'vitest';
import type { Backend, OptimizerSpec } from '../../src/backend/types';
import { closeness, describeBackends } from '../helpers/backends';
import { randomF32, seeded } from '../helpers/random';

/** The docs' update rules, one scalar at a time, two steps starting at t. */
function byHand(opt: OptimizerSpec, p0: number, grads: [number, number], t: number): number {
  let p = p0;
  let v = 0;
  let m = 0;
  grads.forEach((grad, s) => {
    const step = t + s;
    const wd = opt.weightDecay ?? 0;
    if (opt.kind === 'sgd') {
      const mu = opt.momentum ?? 0;
      const g = grad + wd * p;
      if (mu > 0) {
        v = mu * v + g;
        p -= opt.lr * (opt.nesterov ? g + mu * v : v);
      } else {
        p -= opt.lr * g;
      }
      return;
    }
    const b1 = opt.beta1 ?? 0.9;
    const b2 = opt.beta2 ?? 0.999;
    const eps = opt.epsilon ?? 1e-7;
    let g = grad;
    if (opt.decoupled) p -= opt.lr * wd * p;
    else g += wd * p;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    p -= (opt.lr * (m / (1 - b1 ** step))) / (Math.sqrt(v / (1 - b2 ** step)) + eps);
  });
  return p;
}

const CASES: OptimizerSpec[] = [
  { kind: 'sgd', lr: 0.1 },
  { kind: 'sgd', lr: 0.1, weightDecay: 0.05 },
  { kind: 'sgd', lr: 0.1, momentum: 0.9 },
  { kind: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
  { kind: 'adam', lr: 0.01 },
  { kind: 'adam', lr: 0.01, beta1: 0.5, beta2: 0.9, epsilon: 1e-4, weightDecay: 0.1 },
  { kind: 'adam', lr: 0.01, weightDecay: 0.1, decoupled: true },
];

function slots(opt: OptimizerSpec, n: number): Float32Array[] {
  const count = opt.kind === 'adam' ? 2 : (opt.momentum ?? 0) > 0 ? 1 : 0;
  return Array.from({ length: count }, () => new Float32Array(n));
}

describeBackends((backend: Backend) => {
  for (const opt of CASES) {
    it(`${JSON.stringify(opt)}: two steps from t = 3 match the documented formulas`, () => {
      const rng = seeded(505);
      const n = 7;
      const param = randomF32(rng, n, -1, 1);
      const g1 = randomF32(rng, n, -1, 1);
      const g2 = randomF32(rng, n, -1, 1);
      const expected = Array.from(param, (p, i) => byHand(opt, p, [g1[i], g2[i]], 3));
      const state = slots(opt, n);
      backend.optimizerStep(opt, param, g1, state, 3);
      backend.optimizerStep(opt, param, g2, state, 4);
      expect(closeness(param, expected)).toBeNull();
    });
  }

  it('the first Adam step moves every weight by about lr (bias correction, closed form)', () => {
    const param = Float32Array.from([1, -2, 0.5]);
    backend.optimizerStep({ kind: 'adam', lr: 0.01 }, param, Float32Array.from([3, -0.2, 1e-3]), slots({ kind: 'adam', lr: 0 }, 3), 1);
    // m/(1-b1) = g and v/(1-b2) = g^2, so the step is lr g / (|g| + eps) ~ lr sign(g).
    expect(closeness(param, [0.99, -1.99, 0.49], 1e-6, 1e-5)).toBeNull();
  });

  it('refuses a grad of the wrong length and missing state slots', () => {
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => backend.optimizerStep({ kind: 'sgd', lr: 0.1 }, new Float32Array(3), new Float32Array(2), [], 1)).toThrow(code('E_SHAPE'));
    expect(() => backend.optimizerStep({ kind: 'adam', lr: 0.1 }, new Float32Array(3), new Float32Array(3), [new Float32Array(3)], 1)).toThrow(code('E_SHAPE'));
  });
});
