// Training callbacks, Keras-style. Every hook may be async; fit awaits it before going on.
// Set `model.stopTraining = true` in any hook to end training after the current epoch.
import type { CallbackState } from '../io/checkpoint';

export type { CallbackState } from '../io/checkpoint';

export interface EpochLogs {
  loss: number;
  acc?: number;
  misclassified?: number;
  mse?: number;
  valLoss?: number;
  valAcc?: number;
  valMisclassified?: number;
  valMse?: number;
  /** Learning rate used in this epoch. */
  lr: number;
  /** A model with several outputs also logs `${output}_loss`, `${output}_acc`, ... and `val_${output}_loss`, ... */
  [key: string]: number | undefined;
}

export interface BatchLogs {
  loss: number;
  /** Samples of this batch whose predicted class matched. */
  correct: number;
  size: number;
}

/** The model being trained, as hooks see it (their last argument). */
export interface TrainingModel {
  stopTraining: boolean;
  /** Optimizer steps taken over the model's life (every fit and resume goes on counting). */
  readonly step: number;
  learningRate: number;
  getWeights(): Float32Array[];
  setWeights(weights: Float32Array[]): void;
  /** Writes the model to one .oxnet file. */
  save(path: string): void;
  /** Writes a checkpoint: the model file plus the training state a resumed fit needs (modelCheckpoint's default). */
  saveCheckpoint(path: string): void;
}

export interface Callback {
  onTrainBegin?(model: TrainingModel): void | Promise<void>;
  onEpochBegin?(epoch: number, model: TrainingModel): void | Promise<void>;
  onBatchEnd?(batch: number, logs: BatchLogs, model: TrainingModel): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs, model: TrainingModel): void | Promise<void>;
  /** After every callback's onEpochEnd of the epoch and fit's own stop checks: the state a checkpoint records. */
  afterEpochEnd?(epoch: number, logs: EpochLogs, model: TrainingModel): void | Promise<void>;
  /** What this callback must carry over a stop and resume (fit's checkpoints store it; see CallbackState). */
  getState?(): CallbackState;
  /** Puts back getState's result: a resumed fit calls it after onTrainBegin. */
  setState?(state: CallbackState): void;
  onTrainEnd?(logs: { epochs: number }, model: TrainingModel): void | Promise<void>;
}
