// Learning-rate schedules as functions of the (0-based) epoch, for LearningRateScheduler.
import * as arg from './args';
import { OxnetError } from './errors';

export type Schedule = (epoch: number) => number;

function positive(value: unknown, name: string): number {
  return arg.finite(value, name, (v) => v > 0, 'a finite number > 0');
}

function fraction(value: unknown, name: string): number {
  return arg.finite(value, name, (v) => v > 0 && v <= 1, 'in (0, 1]');
}

/** The schedule itself: lr for a 0-based epoch (a finite number). */
function schedule(f: (epoch: number) => number): Schedule {
  return (epoch) => f(arg.finite(epoch, 'schedule: epoch'));
}

/** lr = initial * factor^floor(epoch / every): drops by `factor` every `every` epochs. */
export function stepDecay(opts: { initial: number; factor: number; every: number }): Schedule {
  const o = arg.options(opts, 'stepDecay', { required: true, keys: ['initial', 'factor', 'every'] });
  const initial = positive(o.initial, 'stepDecay: initial');
  const factor = fraction(o.factor, 'stepDecay: factor');
  const every = arg.positiveCount(o.every, 'stepDecay: every');
  return schedule((epoch) => initial * factor ** Math.floor(epoch / every));
}

/** lr = initial * rate^(epoch / decayEpochs) (decayEpochs default 1): smooth exponential decay. */
export function exponentialDecay(opts: { initial: number; rate: number; decayEpochs?: number }): Schedule {
  const o = arg.options(opts, 'exponentialDecay', { required: true, keys: ['initial', 'rate', 'decayEpochs'] });
  const initial = positive(o.initial, 'exponentialDecay: initial');
  const rate = fraction(o.rate, 'exponentialDecay: rate');
  const span = positive(o.decayEpochs ?? 1, 'exponentialDecay: decayEpochs');
  return schedule((epoch) => initial * rate ** (epoch / span));
}

/**
 * Cosine decay from `initial` at epoch 0 to `minimum` (default 0) at epoch `epochs`, then flat:
 * lr = min + (initial - min) (1 + cos(pi e / epochs)) / 2 (Loshchilov and Hutter, without restarts).
 */
export function cosineDecay(opts: { initial: number; epochs: number; minimum?: number }): Schedule {
  const o = arg.options(opts, 'cosineDecay', { required: true, keys: ['initial', 'epochs', 'minimum'] });
  const initial = positive(o.initial, 'cosineDecay: initial');
  const epochs = positive(o.epochs, 'cosineDecay: epochs');
  const min = o.minimum ?? 0;
  if (typeof min !== 'number' || !Number.isFinite(min) || min < 0 || min > initial) {
    throw new OxnetError('E_ARG', `cosineDecay: minimum must be in [0, initial=${initial}], got ${arg.describe(min)}`);
  }
  return schedule((epoch) => {
    const e = Math.min(Math.max(epoch, 0), epochs);
    return min + ((initial - min) * (1 + Math.cos((Math.PI * e) / epochs))) / 2;
  });
}
