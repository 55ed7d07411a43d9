// The recipe's callbacks (Keras-style, on the Callback hooks of src/model/callbacks.ts): learning
// rate schedules, reduce-on-plateau, early stopping that can restore the best weights, model
// checkpoints and a progress logger. Each takes the model it steers when it is made.
import type { Callback, EpochLogs } from '../model/callbacks';
import type { Schedule } from '../schedules';
import { OxnetError } from '../errors';
import { saveModel } from '../io';
import type { Sequential } from '../model/sequential';

/** What a callback may touch on the model: fit reads both before each epoch. */
export interface SteerableModel {
  stopTraining: boolean;
  learningRate: number;
}

export interface WeightedModel extends SteerableModel {
  getWeights(): Float32Array[];
  setWeights(weights: Float32Array[]): void;
}

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
    if (!known.includes(monitor)) throw new OxnetError('E_ARG', `monitor must be one of ${known.join(', ')}, got '${String(monitor)}'`);
    if (!Number.isFinite(minDelta) || minDelta < 0) throw new OxnetError('E_ARG', `minDelta must be a finite number >= 0, got ${minDelta}`);
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

function checkPatience(patience: number): void {
  if (!Number.isInteger(patience) || patience < 0) throw new OxnetError('E_ARG', `patience must be an integer >= 0, got ${patience}`);
}

/** Sets model.learningRate = schedule(epoch, current) before each epoch (epochs count from 0). */
export function learningRateScheduler(model: SteerableModel, schedule: Schedule | ((epoch: number, lr: number) => number)): Callback {
  return {
    onEpochBegin(epoch) {
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
export function reduceLROnPlateau(model: SteerableModel, opts: PlateauOptions = {}): Callback {
  const factor = opts.factor ?? 0.1;
  const patience = opts.patience ?? 10;
  const cooldown = opts.cooldown ?? 0;
  const minLr = opts.minLr ?? 0;
  if (!(factor > 0 && factor < 1)) throw new OxnetError('E_ARG', `factor must be in (0, 1), got ${factor}`);
  checkPatience(patience);
  const tracker = new BestTracker(opts.monitor ?? 'valLoss', opts.minDelta ?? 1e-4);
  let wait = 0;
  let cooling = 0;
  return {
    onTrainBegin() {
      tracker.reset();
      wait = 0;
      cooling = 0;
    },
    onEpochEnd(_epoch, logs) {
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
export function earlyStopping(model: WeightedModel, opts: EarlyStoppingOptions = {}): EarlyStoppingCallback {
  const patience = opts.patience ?? 0;
  checkPatience(patience);
  const tracker = new BestTracker(opts.monitor ?? 'valLoss', opts.minDelta ?? 0);
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
    onEpochEnd(epoch, logs) {
      lastEpoch = epoch;
      if (tracker.improves(logs)) {
        wait = 0;
        state.bestEpoch = epoch;
        if (opts.restoreBestWeights) bestWeights = model.getWeights().map((w) => w.slice());
        return;
      }
      if (++wait >= Math.max(patience, 1)) {
        state.stoppedEpoch = epoch;
        model.stopTraining = true;
      }
    },
    onTrainEnd() {
      if (opts.restoreBestWeights && bestWeights && state.bestEpoch !== lastEpoch) model.setWeights(bestWeights);
    },
  };
}

export interface CheckpointOptions {
  monitor?: Monitor;
  /** true (default): save only when `monitor` improves; false: after every epoch. */
  saveBestOnly?: boolean;
  /** The model to save with saveModel (atomic .oxnet file), unless `save` is given. */
  model?: Sequential;
  /** Writes the model to `path` instead of saveModel. */
  save?: (path: string, epoch: number) => Promise<void> | void;
}

/**
 * Saves the model at each improvement of `monitor` (or every epoch); `path` may hold {epoch},
 * replaced by the epoch number. `saved` lists the paths written.
 */
export function modelCheckpoint(path: string, opts: CheckpointOptions): Callback & { readonly saved: string[] } {
  const model = opts.model;
  const save = opts.save ?? (model ? (p: string) => saveModel(model, p) : undefined);
  if (!save) throw new OxnetError('E_ARG', 'modelCheckpoint needs opts.model (saved with saveModel) or opts.save');
  const tracker = new BestTracker(opts.monitor ?? 'valLoss', 0);
  const saveBestOnly = opts.saveBestOnly ?? true;
  const saved: string[] = [];
  return {
    saved,
    onTrainBegin() {
      tracker.reset();
    },
    async onEpochEnd(epoch, logs) {
      if (saveBestOnly && !tracker.improves(logs)) return;
      const target = path.replace('{epoch}', String(epoch));
      await save(target, epoch);
      saved.push(target);
    },
  };
}

/**
 * One line per epoch (or every `every` epochs, plus the first and last): "epoch 3/20 loss 0.1234
 * acc 0.9500 ...". It has no per-batch hook, so fit keeps its fast path.
 */
export function progressLogger(opts: { epochs?: number; every?: number; write?: (line: string) => void } = {}): Callback {
  const every = opts.every ?? 1;
  const write = opts.write ?? ((line: string) => process.stderr.write(`${line}\n`));
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
