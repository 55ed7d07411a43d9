// What fit returns: per-epoch values, Keras-style (history.loss[i] is epoch i).
import type { EpochLogs } from './callbacks';

export class History {
  readonly epoch: number[] = [];
  /** Every logged quantity by name, one entry per epoch. */
  readonly history: Record<string, number[]> = {};

  record(epoch: number, logs: EpochLogs): void {
    this.epoch.push(epoch);
    for (const [k, v] of Object.entries(logs)) {
      if (typeof v === 'number') this.column(k).push(v);
    }
  }

  /**
   * Epochs first..first+count-1 at once, one column per quantity (fit's one-call path, where a
   * logs object per epoch cost more than the epoch itself on small networks). Same result as
   * record() per epoch with the keys in `columns`' order; a number is a constant column.
   */
  recordColumns(first: number, count: number, columns: Record<string, ArrayLike<number> | number>): void {
    for (let e = 0; e < count; e++) this.epoch.push(first + e);
    for (const [k, col] of Object.entries(columns)) {
      const out = this.column(k);
      if (typeof col === 'number') for (let e = 0; e < count; e++) out.push(col);
      else for (let e = 0; e < count; e++) out.push(col[e]);
    }
  }

  private column(key: string): number[] {
    if (!this.history[key]) this.history[key] = [];
    return this.history[key];
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
