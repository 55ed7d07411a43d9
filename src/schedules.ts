// Learning-rate schedules as functions of the (0-based) epoch, for LearningRateScheduler.
import { OxnetError } from './errors';

export type Schedule = (epoch: number) => number;

function positive(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new OxnetError('E_ARG', `${name} must be a finite number > 0, got ${value}`);
}

function fraction(value: number, name: string): void {
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw new OxnetError('E_ARG', `${name} must be in (0, 1], got ${value}`);
}

/** lr = initial * factor^floor(epoch / every): drops by `factor` every `every` epochs. */
export function stepDecay(opts: { initial: number; factor: number; every: number }): Schedule {
  positive(opts.initial, 'initial');
  fraction(opts.factor, 'factor');
  if (!Number.isInteger(opts.every) || opts.every < 1) throw new OxnetError('E_ARG', `every must be a positive integer, got ${opts.every}`);
  return (epoch) => opts.initial * opts.factor ** Math.floor(epoch / opts.every);
}

/** lr = initial * rate^(epoch / decayEpochs) (decayEpochs default 1): smooth exponential decay. */
export function exponentialDecay(opts: { initial: number; rate: number; decayEpochs?: number }): Schedule {
  positive(opts.initial, 'initial');
  fraction(opts.rate, 'rate');
  const span = opts.decayEpochs ?? 1;
  positive(span, 'decayEpochs');
  return (epoch) => opts.initial * opts.rate ** (epoch / span);
}

/**
 * Cosine decay from `initial` at epoch 0 to `minimum` (default 0) at epoch `epochs`, then flat:
 * lr = min + (initial - min) (1 + cos(pi e / epochs)) / 2 (Loshchilov and Hutter, without restarts).
 */
export function cosineDecay(opts: { initial: number; epochs: number; minimum?: number }): Schedule {
  positive(opts.initial, 'initial');
  positive(opts.epochs, 'epochs');
  const min = opts.minimum ?? 0;
  if (!Number.isFinite(min) || min < 0 || min > opts.initial) {
    throw new OxnetError('E_ARG', `minimum must be in [0, initial=${opts.initial}], got ${min}`);
  }
  return (epoch) => {
    const e = Math.min(Math.max(epoch, 0), opts.epochs);
    return min + ((opts.initial - min) * (1 + Math.cos((Math.PI * e) / opts.epochs))) / 2;
  };
}
