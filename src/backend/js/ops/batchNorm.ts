// Batch normalization over the last (channel) axis. Params [gamma, beta]; state [runningMean,
// runningVar], updated by each training forward with `momentum`.
import type { BatchNormOp } from '../../../layers/batchNormalization';
import { OxnetError } from '../../../errors';
import { checkInt } from '../check';
import { type BatchNormCache, batchNormBackward, batchNormInferenceForward, batchNormTrainForward, updateRunningStats } from '../norm';
import { Workspace } from '../workspace';
import { expectShape, READS_NOTHING, type JsOp, type OpFactory } from './types';

export const batchNorm: OpFactory<BatchNormOp> = (spec, shape): JsOp => {
  checkInt('batchNorm.size', spec.size);
  checkInt('batchNorm.channels', spec.channels);
  if (spec.size % spec.channels !== 0) {
    throw new OxnetError('E_CONFIG', `batchNorm.size ${spec.size} is not a multiple of batchNorm.channels ${spec.channels}`);
  }
  if (!Number.isFinite(spec.momentum) || spec.momentum < 0 || spec.momentum > 1) {
    throw new OxnetError('E_ARG', `batchNorm.momentum must be in [0, 1], got ${spec.momentum}`);
  }
  if (!Number.isFinite(spec.epsilon) || spec.epsilon <= 0) {
    throw new OxnetError('E_ARG', `batchNorm.epsilon must be a positive finite number, got ${spec.epsilon}`);
  }
  const c = spec.channels;
  expectShape('batchNorm', shape, [spec.size], spec.size, [c, c], [c, c]);
  const ws = new Workspace();
  let cache: BatchNormCache | null = null;
  return {
    reads: READS_NOTHING, // the normalized input is in the cache
    forward({ inputs: [x], n, params: [gamma, beta], state: [mean, variance], ctx, out }) {
      const rows = (n * spec.size) / c;
      if (!ctx.training) {
        cache = null;
        out.set(batchNormInferenceForward(x, gamma, beta, mean, variance, rows, c, spec.epsilon, ws));
        return;
      }
      const r = batchNormTrainForward(x, gamma, beta, rows, c, spec.epsilon, ws);
      updateRunningStats(mean, variance, r.mean, r.variance, rows, spec.momentum);
      cache = r.cache;
      out.set(r.y);
    },
    backward({ dout, n, params: [gamma], grads, dinputs: [dx] }) {
      if (cache === null) throw new OxnetError('E_STATE', 'batchNorm backward needs a training-mode forward first');
      const r = batchNormBackward(dout, gamma, cache, (n * spec.size) / c, c, ws);
      grads[0].set(r.dgamma);
      grads[1].set(r.dbeta);
      dx?.set(r.dx);
    },
  };
};
