// What fit returns: per-epoch values, Keras-style (history.loss[i] is epoch i).
import type { EpochLogs } from './callbacks';

export class History {
  readonly epoch: number[] = [];
  /** Every logged quantity by name, one entry per epoch. */
  readonly history: Record<string, number[]> = {};

  record(epoch: number, logs: EpochLogs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      if (typeof v === 'number') (this.history[k] ??= []).push(v);
    }
  }

  get loss(): number[] {
    return this.history.loss ?? [];
  }
  get acc(): number[] {
    return this.history.acc ?? [];
  }
  get valLoss(): number[] {
    return this.history.valLoss ?? [];
  }
  get valAcc(): number[] {
    return this.history.valAcc ?? [];
  }
}
