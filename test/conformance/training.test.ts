// Whole-network training on native vs js: the same small MLPs, data, order and steps on both
// backends; parameters and per-batch losses must agree within 1e-5 + 1e-4 |js|.
import { expect, it } from 'vitest';
import type { ActivationSpec, Backend, LossSpec, OptimizerSpec } from '../../src/backend/types';
import { closeness, describeNativeVsJs } from '../helpers/backends';
import { type ChainLayer, type ChainSpec, createChain } from '../helpers/chain';
import { oneHotRows, randomF32, seeded } from '../helpers/random';
import { shuffledIndices } from '../../src/random';

const near = (a: ArrayLike<number>, b: ArrayLike<number>) => expect(closeness(a, b)).toBeNull();

const OUTPUT_FOR: Record<LossSpec['kind'], ActivationSpec[]> = {
  halfSse: [{ kind: 'sigmoid' }, { kind: 'sigmoid', beta: 2 }],
  mse: [{ kind: 'linear' }, { kind: 'tanh' }],
  binaryCrossEntropy: [{ kind: 'sigmoid', beta: 0.5 }, { kind: 'linear' }],
  softmaxCrossEntropy: [{ kind: 'softmax' }, { kind: 'linear' }],
  perceptron: [{ kind: 'step' }],
};

const OPTIMIZERS: OptimizerSpec[] = [
  { kind: 'sgd', lr: 0.1 },
  { kind: 'sgd', lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 },
  { kind: 'adam', lr: 0.01 },
  { kind: 'adam', lr: 0.01, weightDecay: 0.01, decoupled: true },
];

function mlp(loss: LossSpec['kind'], out: ActivationSpec, optimizer: OptimizerSpec): ChainSpec {
  const width = loss === 'softmaxCrossEntropy' ? 4 : loss === 'perceptron' ? 1 : 3;
  const layers: ChainLayer[] =
    loss === 'perceptron'
      ? [{ type: 'dense', inputs: 5, units: width, useBias: true, activation: out }]
      : [
          { type: 'dense', inputs: 5, units: 7, useBias: true, activation: { kind: 'relu' } },
          { type: 'dense', inputs: 7, units: 6, useBias: false, activation: { kind: 'leakyRelu', alpha: 0.1 } },
          { type: 'activation', size: 6, activation: { kind: 'tanh' } },
          { type: 'dense', inputs: 6, units: width, useBias: true, activation: out },
        ];
  return { inputSize: 5, layers, loss: { kind: loss }, optimizer, seed: 9 };
}

describeNativeVsJs('training', (native: Backend, js: Backend) => {
  for (const loss of Object.keys(OUTPUT_FOR) as LossSpec['kind'][]) {
    for (const out of OUTPUT_FOR[loss]) {
      for (const opt of OPTIMIZERS) {
        it(`${loss} / ${JSON.stringify(out)} / ${JSON.stringify(opt)}: 2 epochs of 11 samples, batch 4`, async () => {
          const spec = mlp(loss, out, opt);
          const rng = seeded(701);
          const params: Float32Array[] = [];
          for (const l of spec.layers) {
            if (l.type !== 'dense') continue;
            params.push(randomF32(rng, l.inputs * l.units, -0.7, 0.7));
            if (l.useBias) params.push(randomF32(rng, l.units, -0.1, 0.1));
          }
          const last = spec.layers[spec.layers.length - 1] as { units: number };
          const x = randomF32(rng, 11 * 5);
          const y =
            loss === 'softmaxCrossEntropy'
              ? Float32Array.from(oneHotRows(rng, 11, last.units))
              : randomF32(rng, 11 * last.units, 0, 1).map((v) => (loss === 'perceptron' ? Math.round(v) : v));
          const rn = createChain(native, spec, params);
          const rj = createChain(js, spec, params);
          const dn = native.createDataset([x], [y], 11);
          const dj = js.createDataset([x], [y], 11);
          for (let epoch = 0; epoch < 2; epoch++) {
            const order = shuffledIndices(11, 1000 + epoch);
            const sn = epoch === 0 ? rn.trainSync(dn, order, 4, opt.lr, epoch * 3) : await rn.train(dn, order, 4, opt.lr, epoch * 3);
            const sj = rj.trainSync(dj, order, 4, opt.lr, epoch * 3);
            expect(sn.nonFiniteBatch).toBe(-1);
            near(sn.losses, sj.losses);
            near(sn.outputLosses, sj.outputLosses);
            expect(Array.from(sn.correct)).toEqual(Array.from(sj.correct));
          }
          rn.getParams().forEach((p, i) => {
            near(p, rj.getParams()[i]);
          });
          near(rn.predict([x], 11)[0], rj.predict([x], 11)[0]);
        });
      }
    }
  }
});
