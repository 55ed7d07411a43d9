// One data-parallel step over an MPI world, shared by fit and fitDataset's distributed modes:
// this rank's mean gradient over its share of the global batch, summed with the other ranks'
// in one allreduce over one flat buffer (Horovod's fusion buffer), divided by the world size,
// applied by every rank alike. The step's figures travel in a second, small allreduce with
// rank 0's learning rate and stopTraining, which its callbacks may have changed.
import type { NetworkRunner } from '../backend/types';
import { OxnetError } from '../errors';
import type { Callback, EpochLogs } from '../model/callbacks';
import type { Trainable } from '../model/fit';
import type { History } from '../model/history';
import type { Prepared } from '../model/tensors';
import type { FitProgress } from '../training/progress';
import type { World } from './world';

/**
 * Runs steps. The figures step.run returns, summed over ranks: [loss x count, output loss x count
 * (k), correct (k), count, ranks with a non-finite loss or gradient, rank 0's lr, rank 0's
 * stopTraining, ranks that had a batch].
 */
export class DistributedStep {
  private readonly grads: Fusion;
  private readonly stats: Float64Array;
  constructor(
    private readonly world: World,
    private readonly runner: NetworkRunner,
    private readonly model: Trainable,
    private readonly k: number,
  ) {
    this.grads = new Fusion(runner.getParams().map((p) => p.length));
    this.stats = new Float64Array(2 * k + 6);
  }

  /**
   * One step on `local` (this rank's rows of a global batch of `globalN`; present false when this
   * rank's source has ended). Applies the update unless some rank's gradient was non-finite, and
   * sets model.learningRate and stopTraining from rank 0's on the other ranks.
   */
  run(local: Prepared, globalN: number, present: boolean, lr: number): Float64Array {
    const { world, runner, model, k, stats, grads } = this;
    stats.fill(0);
    if (present && local.n > 0) {
      const g = runner.computeGradients(local.inputs, local.targets, local.n, model.step);
      // The local mean gradient weighted by this rank's share of the batch, times size: exactly the
      // plain sum of the ranks' gradients when the shares are equal; divided by size below.
      grads.pack(runner.getGradients(), (local.n * world.size) / globalN);
      stats[0] = g.loss * local.n;
      for (let o = 0; o < k; o++) {
        stats[1 + o] = g.outputLosses[o] * local.n;
        stats[1 + k + o] = g.correct[o];
      }
      stats[2 * k + 2] = g.finite ? 0 : 1;
    } else {
      grads.zero();
    }
    stats[2 * k + 1] = present ? local.n : 0;
    if (world.rank === 0) {
      stats[2 * k + 3] = lr;
      stats[2 * k + 4] = model.stopTraining ? 1 : 0;
    }
    stats[2 * k + 5] = present ? 1 : 0;
    world.allreduceSum(grads.buffer);
    world.allreduceSum(stats);
    const ranks = stats[2 * k + 5];
    if (ranks !== 0 && ranks !== world.size)
      throw new OxnetError(
        'E_MPI',
        `distributed step: ${world.size - ranks} of ${world.size} ranks' sources ended before the others'; every rank must read the same batches`,
      );
    if (world.rank !== 0 && ranks > 0) model.learningRate = stats[2 * k + 3];
    if (stats[2 * k + 4] > 0) model.stopTraining = true;
    if (ranks > 0 && stats[2 * k + 2] === 0) {
      runner.applyGradients(grads.unpack(1 / world.size), stats[2 * k + 3], model.step);
      model.step++;
    }
    return stats;
  }
}

/** Every rank must pass the same data set and the same model: checked by summing (n, parameters). */
export function checkSameData(world: World, n: number, params: number): void {
  const t = new Float64Array([n, params, n * n, params * params]);
  world.allreduceSum(t);
  const s = world.size;
  // Equal on every rank exactly when the sum of squares is size * (mean)^2.
  if (t[0] * t[0] !== s * t[2] || t[1] * t[1] !== s * t[3])
    throw new OxnetError(
      'E_MPI',
      `fit distributed: the ranks hold different training sets or models (this rank: ${n} samples, ${params} parameters); every rank must build the same model and pass the whole data set`,
    );
}

/** Rank 0's parameters, state (batch-norm statistics) and optimizer moments, on every rank. */
export function broadcastModel(world: World, runner: NetworkRunner): void {
  const send = (arrays: Float32Array[], set: (a: Float32Array[]) => void) => {
    if (arrays.length === 0) return;
    const f = new Fusion(arrays.map((a) => a.length));
    f.pack(arrays, 1);
    world.broadcast(f.buffer, 0);
    set(f.unpack(1));
  };
  // setParams resets the moments: parameters first, then the moments.
  send(runner.getParams(), (p) => runner.setParams(p));
  send(runner.getState(), (s) => runner.setState(s));
  send(runner.getOptimizerState(), (m) => runner.setOptimizerState(m));
}

/** One flat buffer for several tensors (Horovod's fusion buffer): one collective instead of one per tensor. */
class Fusion {
  readonly buffer: Float32Array;
  constructor(private readonly lengths: number[]) {
    this.buffer = new Float32Array(lengths.reduce((a, b) => a + b, 0));
  }
  pack(arrays: Float32Array[], scale: number): void {
    let at = 0;
    arrays.forEach((a, i) => {
      if (a.length !== this.lengths[i]) throw new OxnetError('E_SHAPE', `fusion buffer: tensor ${i} has ${a.length} values, expected ${this.lengths[i]}`);
      if (scale === 1) this.buffer.set(a, at);
      else for (let j = 0; j < a.length; j++) this.buffer[at + j] = a[j] * scale;
      at += a.length;
    });
  }
  zero(): void {
    this.buffer.fill(0);
  }
  unpack(scale: number): Float32Array[] {
    let at = 0;
    return this.lengths.map((len) => {
      const a = this.buffer.slice(at, at + len);
      if (scale !== 1) for (let j = 0; j < len; j++) a[j] *= scale;
      at += len;
      return a;
    });
  }
}

/** The end of an epoch on every rank, as fit ends one: lr last in the logs, History, progress,
 * the callbacks (rank 0's only), stopBelowLoss; then rank 0's stop decision reaches every rank. */
export async function endEpochOnRanks(e: {
  epoch: number;
  logs: EpochLogs;
  lr: number;
  samples?: number;
  history: History;
  progress: FitProgress | null;
  callbacks: Callback[];
  model: Trainable;
  world: World;
  stopBelowLoss?: number;
}): Promise<void> {
  const { epoch, logs, model, callbacks } = e;
  delete (logs as Record<string, unknown>).lr;
  logs.lr = e.lr;
  e.history.record(epoch, logs);
  e.progress?.epochEnd(epoch, logs, e.samples);
  for (const c of callbacks) await c.onEpochEnd?.(epoch, logs, model);
  if (e.stopBelowLoss !== undefined && logs.loss < e.stopBelowLoss) model.stopTraining = true;
  for (const c of callbacks) await c.afterEpochEnd?.(epoch, logs, model);
  const stopFlag = new Float64Array([e.world.rank === 0 && model.stopTraining ? 1 : 0]);
  e.world.allreduceSum(stopFlag);
  model.stopTraining = stopFlag[0] > 0;
}
