// Native vs js on every dense-side kernel, forward and backward, float32, random shapes that
// include batch 1 and odd sizes. Tolerance |native - js| <= 1e-5 + 1e-4 |js| (js is the reference).
import { expect, it } from 'vitest';
import type { ActivationSpec, Backend, LossSpec, OptimizerSpec } from '../../src/backend/types';
import { closeness, describeNativeVsJs } from '../helpers/backends';
import { oneHotRows, randomF32, randomInt, seeded } from '../helpers/random';

const near = (a: ArrayLike<number>, b: ArrayLike<number>) => expect(closeness(a, b)).toBeNull();

/**
 * Shapes [rows, k, cols]: batch 1, odd, non-multiples of 4, and [70, 130, 91] above the 64^3
 * work size where the native gemm goes multi-threaded.
 */
function shapes(seed: number): [number, number, number][] {
  const rng = seeded(seed);
  const out: [number, number, number][] = [
    [1, 1, 1],
    [1, 7, 3],
    [5, 3, 1],
    [33, 65, 17],
    [70, 130, 91],
  ];
  for (let i = 0; i < 4; i++) out.push([randomInt(rng, 1, 20), randomInt(rng, 1, 40), randomInt(rng, 1, 20)]);
  return out;
}

const ACTIVATIONS: ActivationSpec[] = [
  { kind: 'linear' },
  { kind: 'step' },
  { kind: 'sigmoid' },
  { kind: 'sigmoid', beta: 0.5 },
  { kind: 'sigmoid', beta: 2 },
  { kind: 'tanh' },
  { kind: 'relu' },
  { kind: 'leakyRelu' },
  { kind: 'leakyRelu', alpha: 0.3 },
  { kind: 'softmax' },
];

const LOSSES: LossSpec['kind'][] = ['halfSse', 'mse', 'binaryCrossEntropy', 'softmaxCrossEntropy', 'perceptron'];

const OPTIMIZERS: OptimizerSpec[] = [
  { kind: 'sgd', lr: 0.05 },
  { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-3 },
  { kind: 'sgd', lr: 0.05, momentum: 0.5, nesterov: true },
  { kind: 'adam', lr: 1e-3 },
  { kind: 'adam', lr: 1e-3, weightDecay: 0.01 },
  { kind: 'adam', lr: 1e-3, weightDecay: 0.01, decoupled: true, beta1: 0.8, beta2: 0.95, epsilon: 1e-5 },
];

describeNativeVsJs('kernels', (native: Backend, js: Backend) => {
  for (const [m, k, n] of shapes(601)) {
    it(`matmul a=[${m},${k}] b=[${k},${n}]`, () => {
      const rng = seeded(m * 1000 + k * 10 + n);
      const a = randomF32(rng, m * k);
      const b = randomF32(rng, k * n);
      near(native.matmul(a, b, m, k, n), js.matmul(a, b, m, k, n));
    });

    it(`dense forward and backward x=[${m},${k}] W=[${k},${n}], with and without bias`, () => {
      const rng = seeded(m * 7 + k * 3 + n);
      const x = randomF32(rng, m * k);
      const w = randomF32(rng, k * n);
      const b = randomF32(rng, n);
      const dy = randomF32(rng, m * n);
      near(native.denseForward(x, w, b, m, k, n), js.denseForward(x, w, b, m, k, n));
      near(native.denseForward(x, w, null, m, k, n), js.denseForward(x, w, null, m, k, n));
      const gn = native.denseBackward(x, w, dy, m, k, n);
      const gj = js.denseBackward(x, w, dy, m, k, n);
      near(gn.dx, gj.dx);
      near(gn.dw, gj.dw);
      near(gn.db, gj.db);
    });
  }

  for (const act of ACTIVATIONS) {
    it(`activation ${JSON.stringify(act)} forward and backward, rows of width 1, 3 and 10`, () => {
      const rng = seeded(602);
      for (const [rows, width] of [
        [1, 1],
        [4, 3],
        [7, 10],
      ]) {
        const x = randomF32(rng, rows * width, -4, 4);
        x[0] = 0; // the step / relu boundary itself
        const dy = randomF32(rng, rows * width);
        const yj = js.activationForward(act, x, width);
        near(native.activationForward(act, x, width), yj);
        near(native.activationBackward(act, x, yj, dy, width), js.activationBackward(act, x, yj, dy, width));
      }
    });
  }

  it('sigmoid and softmax stay finite and agree at |x| = 1e4', () => {
    const x = Float32Array.from([1e4, -1e4, 0, 1e4]);
    for (const act of [{ kind: 'sigmoid', beta: 2 }, { kind: 'softmax' }] as ActivationSpec[]) {
      near(native.activationForward(act, x, 2), js.activationForward(act, x, 2));
    }
  });

  for (const kind of LOSSES) {
    it(`loss ${kind}: value and gradient, batch 1 and batch 6 x width 1 / 4`, () => {
      const rng = seeded(603);
      for (const [n, width] of [
        [1, 1],
        [1, 4],
        [6, 1],
        [6, 4],
      ]) {
        const pred = randomF32(rng, n * width, -3, 3);
        const target =
          kind === 'softmaxCrossEntropy'
            ? Float32Array.from(oneHotRows(rng, n, width))
            : kind === 'perceptron'
              ? randomF32(rng, n * width, 0, 1).map((u) => (u < 0.5 ? 0 : 1))
              : randomF32(rng, n * width, 0, 1);
        const ln = native.loss({ kind }, pred, target, n, width);
        const lj = js.loss({ kind }, pred, target, n, width);
        near([ln.loss], [lj.loss]);
        near(ln.grad, lj.grad);
      }
    });
  }

  it('from-logits losses at |z| = 1e4 agree and are finite', () => {
    const z = Float32Array.from([1e4, -1e4, 0]);
    const t = Float32Array.from([0, 1, 0]);
    for (const kind of ['softmaxCrossEntropy', 'binaryCrossEntropy'] as const) {
      const ln = native.loss({ kind }, z, t, 1, 3);
      const lj = js.loss({ kind }, z, t, 1, 3);
      expect(Number.isFinite(ln.loss)).toBe(true);
      near([ln.loss], [lj.loss]);
      near(ln.grad, lj.grad);
    }
  });

  for (const opt of OPTIMIZERS) {
    it(`optimizer ${JSON.stringify(opt)}: three steps from t = 1 on 37 weights`, () => {
      const rng = seeded(604);
      const len = 37;
      const start = randomF32(rng, len);
      const slots = opt.kind === 'adam' ? 2 : (opt.momentum ?? 0) > 0 ? 1 : 0;
      const pn = start.slice();
      const pj = start.slice();
      const sn = Array.from({ length: slots }, () => new Float32Array(len));
      const sj = Array.from({ length: slots }, () => new Float32Array(len));
      for (let t = 1; t <= 3; t++) {
        const g = randomF32(rng, len);
        native.optimizerStep(opt, pn, g, sn, t);
        js.optimizerStep(opt, pj, g, sj, t);
      }
      near(pn, pj);
      sn.forEach((s, i) => {
        near(s, sj[i]);
      });
    });
  }

  it('both refuse mismatched lengths with E_SHAPE', () => {
    for (const b of [native, js]) {
      expect(() => b.matmul(new Float32Array(5), new Float32Array(6), 2, 3, 2)).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
      expect(() => b.denseBackward(new Float32Array(6), new Float32Array(6), new Float32Array(3), 2, 3, 2)).toThrow(
        expect.objectContaining({ code: 'E_SHAPE' }),
      );
    }
  });
});
