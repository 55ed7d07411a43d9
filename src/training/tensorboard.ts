// The TensorBoard callback: scalars per epoch (and per batch), weight histograms, in TensorBoard
// event files under logdir/train and logdir/val, with the tags of tfjs-node and Keras.
import { join } from 'node:path';
import { OxnetError, showValue } from '../errors';
import type { BatchLogs, Callback, EpochLogs, TrainingModel } from '../model/callbacks';
import { describe } from '../args';
import { noExtra, options } from './callbacks';
import { EventFileWriter } from './tfevents';

export interface TensorBoardOptions {
  /**
   * 'epoch' (default): scalars once per epoch; 'batch': also `batch_loss` after every batch; a
   * positive integer n: `batch_loss` every n batches. Per-batch logging makes fit train in
   * chunks of 32 batches (the native backend's whole-epoch call is given up), so it costs a little.
   */
  updateFreq?: 'epoch' | 'batch' | number;
  /** Write a histogram of every weight tensor after each epoch (default false). */
  histograms?: boolean;
}

export interface TensorBoardCallback extends Callback {
  /** The event files written so far (training, then validation, for each fit). */
  readonly files: string[];
}

/** The TensorBoard name of a log key: which run it goes to and the tag without its epoch_/batch_ prefix. */
export function tensorBoardTag(key: string): { val: boolean; name: string } {
  let val = false;
  let name = key;
  if (/^val[A-Z]/.test(key)) {
    val = true;
    name = key[3].toLowerCase() + key.slice(4);
  } else if (key.startsWith('val_')) {
    val = true;
    name = key.slice(4);
  }
  if (name === 'lr') name = 'learning_rate';
  else if (name === 'acc') name = 'accuracy';
  else if (name.endsWith('_acc')) name = `${name.slice(0, -4)}_accuracy`;
  return { val, name };
}

/**
 * Writes TensorBoard event files (`tensorboard --logdir <logdir>`): each fit opens one file in
 * logdir/train and, with validation, one in logdir/val. Per epoch (step = the epoch number fit reports: from 0, or from initialEpoch when resuming):
 * `epoch_loss`, `epoch_accuracy`, the other metrics (`epoch_misclassified`, `epoch_mse`, per
 * output `epoch_<output>_loss`, ...) and `epoch_learning_rate` in train; the validation figures
 * under the same tags in val. With updateFreq 'batch' or n: `batch_loss`, the loss of that one
 * batch (before its update), at step = the model's optimizer steps after it (a second fit or a resumed run goes on counting). Records are written
 * without blocking training, flushed at every epoch end, and the files closed when training ends.
 */
export function tensorBoard(logdir: string, opts?: TensorBoardOptions, ...extra: unknown[]): TensorBoardCallback {
  if (typeof logdir !== 'string' || logdir === '') throw new OxnetError('E_ARG', `tensorBoard: logdir must be a non-empty string, got ${describe(logdir)}`);
  const o = options<TensorBoardOptions>('tensorBoard', opts, ['updateFreq', 'histograms']);
  noExtra('tensorBoard', extra, 'a logdir and an options object');
  const freq = o.updateFreq ?? 'epoch';
  let every = 0;
  if (freq === 'batch') every = 1;
  else if (typeof freq === 'number' && Number.isInteger(freq) && freq > 0) every = freq;
  else if (freq !== 'epoch') {
    throw new OxnetError('E_ARG', `tensorBoard: updateFreq must be 'epoch', 'batch' or a positive integer (every n batches), got ${showValue(freq)}`);
  }
  if (o.histograms !== undefined && typeof o.histograms !== 'boolean') {
    throw new OxnetError('E_ARG', `tensorBoard: histograms must be a boolean, got ${showValue(o.histograms)}`);
  }
  const histograms = o.histograms === true;
  const files: string[] = [];
  let train: EventFileWriter | null = null;
  let val: EventFileWriter | null = null;
  let batches = 0;

  const open = (sub: 'train' | 'val'): EventFileWriter => {
    const w = EventFileWriter.create(join(logdir, sub));
    files.push(w.path);
    return w;
  };
  const trainWriter = (): EventFileWriter => {
    if (!train) train = open('train');
    return train;
  };
  const valWriter = (): EventFileWriter => {
    if (!val) val = open('val');
    return val;
  };
  const closeAll = async () => {
    const ws = [train, val];
    train = null;
    val = null;
    for (const w of ws) await w?.close();
  };

  const callback: TensorBoardCallback = {
    files,
    async onTrainBegin(model: TrainingModel) {
      // A fit that threw never reached onTrainEnd: close what it left open.
      await closeAll();
      // Batch steps go on from the model's step, so a second fit or a resumed run continues the axis.
      batches = model.step;
      train = open('train');
    },
    onEpochEnd(epoch: number, logs: EpochLogs, model: TrainingModel) {
      const t = trainWriter();
      const wallTime = Date.now() / 1000;
      for (const [key, v] of Object.entries(logs)) {
        if (typeof v !== 'number') continue;
        const { val: isVal, name } = tensorBoardTag(key);
        (isVal ? valWriter() : t).scalar(`epoch_${name}`, v, epoch, wallTime);
      }
      if (histograms) {
        const weights = model.getWeights();
        const info = weightNames(model, weights.length);
        for (let i = 0; i < weights.length; i++) t.histogram(info[i], weights[i], epoch, wallTime);
      }
      t.flush();
      val?.flush();
    },
    async onTrainEnd() {
      await closeAll();
    },
  };
  if (every > 0) {
    // Only defined when asked for: a callback with onBatchEnd makes fit train in chunks.
    callback.onBatchEnd = (_batch: number, logs: BatchLogs) => {
      batches++;
      if (batches % every === 0) trainWriter().scalar('batch_loss', logs.loss, batches);
    };
  }
  return callback;
}

/** The weights' names (a Model's weightsInfo: 'dense_1/kernel', ...), or weight_<i>. */
function weightNames(model: TrainingModel, count: number): string[] {
  const info = (model as { weightsInfo?: () => { name: string }[] }).weightsInfo?.();
  return Array.from({ length: count }, (_, i) => info?.[i]?.name ?? `weight_${i}`);
}
