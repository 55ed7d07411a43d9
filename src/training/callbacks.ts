// The recipe's callbacks (Keras-style, on the Callback hooks of src/model/callbacks.ts): learning
// rate schedules, reduce-on-plateau, early stopping that can restore the best weights, model
// checkpoints and a progress logger. Each takes its options only; the model it steers reaches it
// through the hooks when fit runs it, so one callback object serves whichever model it is given to.
// The stateful ones (plateau, early stopping, checkpoints) have getState / setState, which fit's
// checkpoints store so that a resumed fit goes on with their counters and best values.
import { describe, finite, func, integer, positiveCount } from '../args';
import { OxnetError, showValue } from '../errors';
import type { Callback, CallbackState, EpochLogs, TrainingModel } from '../model/callbacks';
import type { Schedule } from '../schedules';

export type Monitor = 'loss' | 'valLoss' | 'acc' | 'valAcc';

/** Tracks the best value of a monitored quantity; accuracies improve upwards, losses downwards. */
class BestTracker {
  best: number;
  private readonly sign: number;
  constructor(
    readonly monitor: Monitor,
    private readonly minDelta: number,
  ) {
    const known: Monitor[] = ['loss', 'valLoss', 'acc', 'valAcc'];
    if (!known.includes(monitor)) throw new OxnetError('E_ARG', `monitor must be one of ${known.join(', ')}, got ${showValue(monitor)}`);
    if (typeof minDelta !== 'number' || !Number.isFinite(minDelta) || minDelta < 0) {
      throw new OxnetError('E_ARG', `minDelta must be a finite number >= 0, got ${showValue(minDelta)}`);
    }
    this.sign = monitor.endsWith('cc') ? -1 : 1;
    this.best = Infinity;
  }

  /** The monitored value of these logs (as a loss: accuracies negated); refuses a missing one. */
  value(logs: EpochLogs): number {
    const v = logs[this.monitor];
    if (v === undefined) {
      throw new OxnetError('E_CONFIG', `callback monitors '${this.monitor}', which fit does not log (give validation data for val*)`);
    }
    return this.sign * v;
  }

  /** Records v if it beats the best by more than minDelta; says whether it did. */
  improves(logs: EpochLogs): boolean {
    const v = this.value(logs);
    if (v < this.best - this.minDelta) {
      this.best = v;
      return true;
    }
    return false;
  }

  reset(): void {
    this.best = Infinity;
  }
}

/** A state getState wrote for callback `kind`, with these number fields (E_CONFIG when it is another callback's). */
function stateFor(kind: string, state: CallbackState, numbers: string[]): Record<string, number> {
  if (!state || state.kind !== kind) {
    throw new OxnetError(
      'E_CONFIG',
      `${kind}: the checkpoint's state at this callback's place is ${state ? `${String(state.kind)}'s` : 'missing'}; resume with the stopped run's callbacks, in its order`,
    );
  }
  for (const k of numbers) if (typeof state[k] !== 'number') throw new OxnetError('E_FORMAT', `${kind}: checkpoint state '${k}' is not a number`);
  return state as Record<string, number>;
}

/**
 * The options object of callback `name`: undefined gives {}; a model, an array or a primitive is
 * refused (E_ARG), and so is a key the callback does not know (a typo would otherwise do nothing).
 */
export function options<T extends object>(name: string, opts: unknown, keys: readonly (keyof T & string)[]): Partial<T> {
  if (opts === undefined) return {};
  const hint = `${name} takes an options object only ({ ${keys.join(', ')} }); the model reaches the callback when fit runs it`;
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new OxnetError('E_ARG', `${hint}, got ${describe(opts)}`);
  if ('getWeights' in opts || 'stopTraining' in opts) throw new OxnetError('E_ARG', `${hint}, got a model`);
  const unknown = Object.keys(opts).filter((k) => !(keys as readonly string[]).includes(k));
  if (unknown.length) throw new OxnetError('E_ARG', `${name}: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; known: ${keys.join(', ')}`);
  return opts as Partial<T>;
}

/** One more argument than the callback takes: the old (model, options) form, refused with the new one. */
export function noExtra(name: string, extra: unknown[], form: string): void {
  if (extra.length > 0) throw new OxnetError('E_ARG', `${name} takes ${form} only; the model reaches the callback when fit runs it`);
}

function nonNegativeInt(value: unknown, name: string): number {
  return integer(value, name, 0);
}

/** Sets the model's learning rate to schedule(epoch, current) before each epoch (epochs count from 0). */
export function learningRateScheduler(schedule: Schedule | ((epoch: number, lr: number) => number), ...extra: unknown[]): Callback {
  if (typeof schedule !== 'function') {
    throw new OxnetError(
      'E_ARG',
      `learningRateScheduler takes a schedule (epoch, lr) => lr, got ${describe(schedule)}; the model reaches the callback when fit runs it`,
    );
  }
  noExtra('learningRateScheduler', extra, 'a schedule');
  return {
    onEpochBegin(epoch, model) {
      const lr = schedule(epoch, model.learningRate);
      if (!Number.isFinite(lr) || lr <= 0) throw new OxnetError('E_ARG', `schedule gave learning rate ${lr} for epoch ${epoch}`);
      model.learningRate = lr;
    },
  };
}

export interface PlateauOptions {
  monitor?: Monitor;
  /** New rate = rate * factor (default 0.1). */
  factor?: number;
  /** Epochs without improvement before reducing (default 10). */
  patience?: number;
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again (default 0). */
  cooldown?: number;
  minLr?: number;
}

/** Multiplies the learning rate by `factor` when `monitor` stalls for `patience` epochs (as Keras). */
export function reduceLROnPlateau(opts?: PlateauOptions, ...extra: unknown[]): Callback {
  const o = options<PlateauOptions>('reduceLROnPlateau', opts, ['monitor', 'factor', 'patience', 'minDelta', 'cooldown', 'minLr']);
  noExtra('reduceLROnPlateau', extra, 'an options object');
  const factor = finite(o.factor ?? 0.1, 'factor', (v) => v > 0 && v < 1, 'in (0, 1)');
  const patience = nonNegativeInt(o.patience ?? 10, 'patience');
  const cooldown = nonNegativeInt(o.cooldown ?? 0, 'cooldown');
  const minLr = finite(o.minLr ?? 0, 'minLr', (v) => v >= 0, 'a finite number >= 0');
  const tracker = new BestTracker(o.monitor ?? 'valLoss', o.minDelta ?? 1e-4);
  let wait = 0;
  let cooling = 0;
  return {
    onTrainBegin() {
      tracker.reset();
      wait = 0;
      cooling = 0;
    },
    getState: () => ({ kind: 'reduceLROnPlateau', best: tracker.best, wait, cooling }),
    setState(state) {
      const s = stateFor('reduceLROnPlateau', state, ['best', 'wait', 'cooling']);
      ({ best: tracker.best, wait, cooling } = s);
    },
    onEpochEnd(_epoch, logs, model) {
      if (cooling > 0) {
        cooling--;
        wait = 0;
      }
      if (tracker.improves(logs)) {
        wait = 0;
      } else if (cooling === 0 && ++wait >= patience) {
        if (model.learningRate > minLr) model.learningRate = Math.max(model.learningRate * factor, minLr);
        cooling = cooldown;
        wait = 0;
      }
    },
  };
}

export interface EarlyStoppingOptions {
  monitor?: Monitor;
  /** Epochs without improvement after which training stops (default 0: the first one). */
  patience?: number;
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends (as Keras 3 does). */
  restoreBestWeights?: boolean;
}

export interface EarlyStoppingCallback extends Callback {
  /** Epoch of the best monitored value so far, or -1. */
  readonly bestEpoch: number;
  /** Epoch training was stopped at, or -1 if it ran to the end. */
  readonly stoppedEpoch: number;
}

/** Stops when `monitor` (default valLoss) stops improving; optionally restores the best weights. */
export function earlyStopping(opts?: EarlyStoppingOptions, ...extra: unknown[]): EarlyStoppingCallback {
  const o = options<EarlyStoppingOptions>('earlyStopping', opts, ['monitor', 'patience', 'minDelta', 'restoreBestWeights']);
  noExtra('earlyStopping', extra, 'an options object');
  const patience = nonNegativeInt(o.patience ?? 0, 'patience');
  if (o.restoreBestWeights !== undefined && typeof o.restoreBestWeights !== 'boolean') {
    throw new OxnetError('E_ARG', `restoreBestWeights must be a boolean, got ${showValue(o.restoreBestWeights)}`);
  }
  const restore = o.restoreBestWeights === true;
  const tracker = new BestTracker(o.monitor ?? 'valLoss', o.minDelta ?? 0);
  let wait = 0;
  let bestWeights: Float32Array[] | null = null;
  let lastEpoch = -1;
  const state = { bestEpoch: -1, stoppedEpoch: -1 };
  return {
    get bestEpoch() {
      return state.bestEpoch;
    },
    get stoppedEpoch() {
      return state.stoppedEpoch;
    },
    onTrainBegin() {
      tracker.reset();
      wait = 0;
      bestWeights = null;
      state.bestEpoch = -1;
      state.stoppedEpoch = -1;
    },
    getState: () => ({ kind: 'earlyStopping', best: tracker.best, wait, lastEpoch, ...state, bestWeights }),
    setState(saved) {
      const s = stateFor('earlyStopping', saved, ['best', 'wait', 'lastEpoch', 'bestEpoch', 'stoppedEpoch']);
      ({ best: tracker.best, wait, lastEpoch } = s);
      state.bestEpoch = s.bestEpoch;
      state.stoppedEpoch = s.stoppedEpoch;
      const w = saved.bestWeights;
      bestWeights = Array.isArray(w) ? w.map((t) => t.slice()) : null;
    },
    onEpochEnd(epoch, logs, model) {
      lastEpoch = epoch;
      if (tracker.improves(logs)) {
        wait = 0;
        state.bestEpoch = epoch;
        if (restore) bestWeights = model.getWeights().map((w) => w.slice());
        return;
      }
      if (++wait >= Math.max(patience, 1)) {
        state.stoppedEpoch = epoch;
        model.stopTraining = true;
      }
    },
    onTrainEnd(_logs, model) {
      if (restore && bestWeights && state.bestEpoch !== lastEpoch) model.setWeights(bestWeights);
    },
  };
}

export interface CheckpointOptions {
  /** Where to write; may hold {epoch}, replaced by the epoch number. */
  path: string;
  monitor?: Monitor;
  /** true (default): save only when `monitor` improves (Keras's save_best_only); false: at every save point. */
  saveBest?: boolean;
  /** A save point every `every` epochs (default 1): after epochs every-1, 2*every-1, ... (0-based). */
  every?: number;
  /** Writes to `path` instead of model.saveCheckpoint (an atomic .oxnet file fit's resumeFrom and loadModel read). */
  save?: (path: string, epoch: number, model: TrainingModel) => Promise<void> | void;
}

/**
 * Writes a checkpoint (the model plus the optimizer's moments, step, epoch, seeds and the callbacks'
 * states: fit's resumeFrom continues from it) every `every` epochs, or only when `monitor` improves.
 * It writes after every callback's onEpochEnd, so it records the state they left. `saved` lists
 * the paths written.
 */
export function modelCheckpoint(opts: CheckpointOptions, ...extra: unknown[]): Callback & { readonly saved: string[] } {
  const o = options<CheckpointOptions>('modelCheckpoint', opts, ['path', 'monitor', 'saveBest', 'every', 'save']);
  noExtra('modelCheckpoint', extra, 'an options object');
  if (typeof o.path !== 'string' || o.path === '') throw new OxnetError('E_ARG', `modelCheckpoint: path must be a non-empty string, got ${showValue(o.path)}`);
  if (o.save !== undefined && typeof o.save !== 'function') throw new OxnetError('E_ARG', `modelCheckpoint: save must be a function, got ${describe(o.save)}`);
  if (o.saveBest !== undefined && typeof o.saveBest !== 'boolean') {
    throw new OxnetError('E_ARG', `modelCheckpoint: saveBest must be a boolean, got ${showValue(o.saveBest)}`);
  }
  const every = positiveCount(o.every ?? 1, 'modelCheckpoint: every');
  const path = o.path;
  const save = o.save ?? ((p: string, _epoch: number, model: TrainingModel) => model.saveCheckpoint(p));
  const tracker = new BestTracker(o.monitor ?? 'valLoss', 0);
  const saveBest = o.saveBest ?? true;
  const saved: string[] = [];
  return {
    saved,
    onTrainBegin() {
      tracker.reset();
    },
    getState: () => ({ kind: 'modelCheckpoint', best: tracker.best }),
    setState(state) {
      tracker.best = stateFor('modelCheckpoint', state, ['best']).best;
    },
    async afterEpochEnd(epoch, logs, model) {
      if ((epoch + 1) % every !== 0) return;
      if (saveBest && !tracker.improves(logs)) return;
      const target = path.replace('{epoch}', String(epoch));
      await save(target, epoch, model);
      saved.push(target);
    },
  };
}

/**
 * One line per epoch (or every `every` epochs, plus the first and last): "epoch 3/20 loss 0.1234
 * acc 0.9500 ...". It has no per-batch hook, so fit keeps its fast path.
 */
export function progressLogger(opts: { epochs?: number; every?: number; write?: (line: string) => void } = {}, ...extra: unknown[]): Callback {
  const o = options<{ epochs?: number; every?: number; write?: (line: string) => void }>('progressLogger', opts, ['epochs', 'every', 'write']);
  noExtra('progressLogger', extra, 'an options object');
  if (o.epochs !== undefined) positiveCount(o.epochs, 'progressLogger: epochs');
  const every = o.every === undefined ? 1 : positiveCount(o.every, 'progressLogger: every');
  if (o.write !== undefined) func(o.write, 'progressLogger: write');
  const write = o.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  opts = o;
  return {
    onEpochEnd(epoch, logs) {
      const total = opts.epochs ? `/${opts.epochs}` : '';
      const last = opts.epochs !== undefined && epoch + 1 === opts.epochs;
      if ((epoch + 1) % every !== 0 && !last && epoch !== 0) return;
      const parts = Object.entries(logs)
        .filter(([, v]) => typeof v === 'number')
        .map(([k, v]) => `${k} ${formatNumber(k, v as number)}`);
      write(`epoch ${epoch + 1}${total} ${parts.join(' ')}`);
    },
  };
}

function formatNumber(key: string, v: number): string {
  if (key === 'lr') return v.toPrecision(3);
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(4);
}
