// Training callbacks, Keras-style. Every hook may be async; fit awaits it before going on.
// Set `model.stopTraining = true` in any hook to end training after the current epoch.

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
}

export interface BatchLogs {
  loss: number;
  /** Samples of this batch whose predicted class matched. */
  correct: number;
  size: number;
}

export interface Callback {
  onTrainBegin?(): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  onBatchEnd?(batch: number, logs: BatchLogs): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs): void | Promise<void>;
  onTrainEnd?(logs?: { epochs: number }): void | Promise<void>;
}
