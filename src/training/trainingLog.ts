// trainingLog(): a callback that keeps what a report shows beside the History: the loss of every
// batch, where each epoch ended, the time spent inside fit and the samples trained. Kept per model
// (a CLI size search trains several; the report wants the chosen one's), added up over fit calls.
import type { BatchLogs, Callback, TrainingModel } from '../model/callbacks';
import { describe } from '../args';
import { OxnetError } from '../errors';

export interface TrainingRecord {
  /** Each batch's loss, measured as it was trained (before its update), in training order. */
  batchLoss: number[];
  /** Batches recorded when each epoch ended: epoch e covers batchLoss[epochEnds[e-1] ?? 0, epochEnds[e]). */
  epochEnds: number[];
  /** Wall-clock seconds inside fit (onTrainBegin to onTrainEnd), all fit calls together. */
  seconds: number;
  /** Samples trained (the batch sizes added up). */
  samples: number;
}

export interface TrainingLog extends Callback {
  /** What was recorded while `model` trained (undefined: this log never saw it). */
  of(model: TrainingModel): TrainingRecord | undefined;
}

/**
 * Records each batch's loss, the epochs' boundaries, the time in fit and the samples seen, per
 * model. Its onBatchEnd makes fit train in chunks of 32 batches instead of one call per epoch:
 * a small cost (see the README's progress measurements), which is why it is a callback to add.
 */
export function trainingLog(...extra: unknown[]): TrainingLog {
  if (extra.length > 0) throw new OxnetError('E_ARG', `trainingLog takes no arguments, got ${describe(extra[0])}`);
  const records = new WeakMap<TrainingModel, TrainingRecord>();
  const started = new WeakMap<TrainingModel, number>();
  const record = (model: TrainingModel): TrainingRecord => {
    let r = records.get(model);
    if (!r) {
      r = { batchLoss: [], epochEnds: [], seconds: 0, samples: 0 };
      records.set(model, r);
    }
    return r;
  };
  return {
    onTrainBegin(model) {
      record(model);
      started.set(model, performance.now());
    },
    onBatchEnd(_batch, logs: BatchLogs, model) {
      const r = record(model);
      r.batchLoss.push(logs.loss);
      r.samples += logs.size;
    },
    onEpochEnd(_epoch, _logs, model) {
      const r = record(model);
      r.epochEnds.push(r.batchLoss.length);
    },
    onTrainEnd(_logs, model) {
      const t0 = started.get(model);
      if (t0 !== undefined) record(model).seconds += (performance.now() - t0) / 1000;
      started.delete(model);
    },
    of(model) {
      return records.get(model);
    },
  };
}
