// The training loop: data copied into the backend once, a seeded shuffle per epoch, and
// runner.train in chunks so callbacks, AbortSignal and Node's event loop get a turn.
import { shuffledIndices } from '../backend/js/rng';
import type { Dataset, EpochPlan, NetworkRunner } from '../backend/types';
import { OxnetError, showValue } from '../errors';
import type { BatchLogs, Callback, EpochLogs } from './callbacks';
import { History } from './history';
import { deriveSeed, SeedPurpose } from './seeds';
import type { Sequential } from './sequential';
import { gatherRows, type TensorLike } from './tensors';

export interface FitOptions {
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Shuffle the training samples every epoch (seeded). Default true. */
  shuffle?: boolean;
  validationData?: [TensorLike, TensorLike];
  /** Fraction of the samples held out for validation, after a seeded shuffle. */
  validationSplit?: number;
  callbacks?: Callback | Callback[];
  /** Overrides the model's seed for shuffling, validationSplit and dropout. */
  seed?: number;
  /** 0: silent (default); 1: one line per epoch on stdout. */
  verbose?: 0 | 1;
  signal?: AbortSignal;
  /** Sample order of epoch e (0-based, this fit call), overriding shuffle; e.g. mnistEpochOrder. */
  epochOrder?: (epoch: number) => Uint32Array;
  /** Reject on a non-finite loss or gradient (default true); false skips such batches. */
  nanGuard?: boolean;
  /** Scale the gradients down when their global L2 norm exceeds this (a finite number > 0). */
  clipNorm?: number;
  /**
   * Stop after the first epoch whose mean training loss (measured during the epoch, each batch
   * before its update, like brain.js's errorThresh) is below this.
   */
  stopBelowLoss?: number;
}

/** Batches per train call when something needs per-batch feedback (a few dozen). */
const FEEDBACK_CHUNK = 32;
/** Below this many sample-parameter products per call (tens of microseconds), train on the calling
 * thread: the hop to a worker thread and back (~50 us) would cost more than the training itself. */
const SYNC_MAX_WORK = 1 << 16;
/** Same rule for a whole fit in one trainEpochs call: a few milliseconds at most on the JS thread. */
const SYNC_MAX_FIT_WORK = 1 << 20;

/** The seeded train/validation split: a shuffle of 0..n-1, the last `split` fraction held out. */
export function validationSplitIndices(n: number, split: number, seed: number): { train: Uint32Array; val: Uint32Array } {
  if (!(split > 0 && split < 1)) throw new OxnetError('E_ARG', `validationSplit must be in (0, 1), got ${split}`);
  const order = shuffledIndices(n, deriveSeed(seed, SeedPurpose.validationSplit));
  const nTrain = Math.floor(n * (1 - split));
  if (nTrain < 1 || nTrain >= n) throw new OxnetError('E_ARG', `validationSplit ${split} of ${n} samples leaves an empty train or validation set`);
  return { train: order.slice(0, nTrain), val: order.slice(nTrain) };
}

function positiveInt(v: unknown, param: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new OxnetError('E_ARG', `fit ${param} must be a positive integer, got ${showValue(v)}`);
  return v;
}

export async function runFit(model: Sequential, xIn: TensorLike, yIn: TensorLike, opts: FitOptions): Promise<History> {
  const compiled = model.compiledState;
  if (!compiled) throw new OxnetError('E_STATE', 'fit: compile the model first');
  const epochs = positiveInt(opts.epochs ?? 1, 'epochs');
  const batchSize = positiveInt(opts.batchSize ?? 32, 'batchSize');
  const seed = opts.seed ?? model.seed;
  const callbacks = opts.callbacks === undefined ? [] : Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks];
  const { data: xAll, n: nAll } = model.prepareInput(xIn);
  const yAll = model.prepareTarget(yIn, nAll);
  const inW = xAll.length / Math.max(nAll, 1);
  const outW = yAll.length / Math.max(nAll, 1);
  if (nAll === 0) throw new OxnetError('E_ARG', 'fit: x has no samples');

  let x = xAll;
  let y = yAll;
  let n = nAll;
  let val: { x: Float32Array; y: Float32Array; n: number } | null = null;
  if (opts.validationData) {
    const [vx, vy] = opts.validationData;
    const p = model.prepareInput(vx, 'validationData[0]');
    // Read after every epoch, long after fit() returned: keep copies, not the caller's arrays.
    val = { x: p.data.slice(), y: model.prepareTarget(vy, p.n, 'validationData[1]').slice(), n: p.n };
  } else if (opts.validationSplit !== undefined) {
    const split = validationSplitIndices(nAll, opts.validationSplit, seed);
    x = gatherRows(xAll, inW, split.train);
    y = gatherRows(yAll, outW, split.train);
    n = split.train.length;
    val = { x: gatherRows(xAll, inW, split.val), y: gatherRows(yAll, outW, split.val), n: split.val.length };
  }

  // The 'mse' metric re-reads the training set after each epoch: same reason to copy.
  if (compiled.metrics.has('mse') && x === xAll) {
    x = xAll.slice();
    y = yAll.slice();
  }
  if (opts.clipNorm !== undefined && !(typeof opts.clipNorm === 'number' && Number.isFinite(opts.clipNorm) && opts.clipNorm > 0)) {
    throw new OxnetError('E_ARG', `fit clipNorm must be a finite number > 0, got ${showValue(opts.clipNorm)}`);
  }
  const runner = model.trainingRunner(deriveSeed(seed, SeedPurpose.dropout), opts.clipNorm);
  const backendData = model.createDataset(x, y, n);
  const batches = Math.ceil(n / batchSize);
  const needsFeedback = callbacks.some((c) => c.onBatchEnd) || opts.signal !== undefined;
  const chunk = needsFeedback ? FEEDBACK_CHUNK : batches;
  const paramCount = model.weightsInfo().reduce((sum, w) => sum + w.shape.reduce((a, d) => a * d, 1), 0);
  const sync = Math.min(chunk * batchSize, n) * paramCount < SYNC_MAX_WORK;
  const nanGuard = opts.nanGuard ?? true;
  const stopBelow = opts.stopBelowLoss;
  if (stopBelow !== undefined && typeof stopBelow !== 'number')
    throw new OxnetError('E_ARG', `fit stopBelowLoss must be a number, got ${showValue(stopBelow)}`);
  // Nothing needs JavaScript between epochs (no per-epoch callback, validation, 'mse' metric,
  // verbose line or skipping of non-finite batches): all epochs run in one backend call.
  const oneCall =
    !needsFeedback && !val && !compiled.metrics.has('mse') && nanGuard && opts.verbose !== 1 && !callbacks.some((c) => c.onEpochBegin || c.onEpochEnd);
  const history = new History();
  model.stopTraining = false;

  checkAbort(opts.signal, 0, 0);
  for (const c of callbacks) await c.onTrainBegin?.(model);
  let epoch = 0;
  if (oneCall && !model.stopTraining) {
    const lr = model.learningRate;
    const orders = opts.epochOrder ? concatOrders(opts.epochOrder, epochs, n) : undefined;
    const shuffleSeeds =
      orders || opts.shuffle === false
        ? undefined
        : Uint32Array.from({ length: epochs }, (_, e) => deriveSeed(seed, SeedPurpose.epochShuffle, model.epochsTrained + e));
    const plan: EpochPlan = { epochs, batchSize, lr, step: model.step, shuffleSeeds, orders, stopBelow };
    const stats = epochs * n * paramCount < SYNC_MAX_FIT_WORK ? runner.trainEpochsSync(backendData, plan) : await runner.trainEpochs(backendData, plan);
    const columns: Record<string, ArrayLike<number> | number> = { loss: stats.losses, lr };
    if (compiled.metrics.has('acc')) columns.acc = stats.correct.map((c) => c / n);
    if (compiled.metrics.has('misclassified')) columns.misclassified = stats.correct.map((c) => n - c);
    history.recordColumns(0, stats.epochs, columns);
    epoch = stats.epochs;
    model.epochsTrained += stats.epochs;
    model.step += stats.epochs * batches + Math.max(stats.nonFiniteBatch, 0);
    if (stats.nonFiniteBatch >= 0) {
      throw nonFiniteError(stats.epochs, stats.nonFiniteBatch, lr);
    }
  }
  for (; !oneCall && epoch < epochs && !model.stopTraining; epoch++) {
    for (const c of callbacks) await c.onEpochBegin?.(epoch, model);
    const lr = model.learningRate;
    const order = opts.epochOrder
      ? checkOrder(opts.epochOrder(epoch), n, epoch)
      : opts.shuffle === false
        ? identity(n)
        : shuffledIndices(n, deriveSeed(seed, SeedPurpose.epochShuffle, model.epochsTrained));
    let lossSum = 0;
    let correct = 0;
    let counted = 0;
    for (let b0 = 0; b0 < batches; ) {
      checkAbort(opts.signal, epoch, b0);
      const b1 = Math.min(b0 + chunk, batches);
      const stats = await trainChunk(runner, backendData, order, batchSize, b0, b1, model, sync);
      const done = stats.nonFiniteBatch >= 0 ? stats.nonFiniteBatch : b1 - b0;
      for (let i = 0; i < done; i++) {
        const size = Math.min(batchSize, n - (b0 + i) * batchSize);
        lossSum += stats.losses[i] * size;
        correct += stats.correct[i];
        counted += size;
        const logs: BatchLogs = { loss: stats.losses[i], correct: stats.correct[i], size };
        for (const c of callbacks) await c.onBatchEnd?.(b0 + i, logs, model);
      }
      model.step += done;
      if (stats.nonFiniteBatch >= 0) {
        const bad = b0 + stats.nonFiniteBatch;
        if (nanGuard) {
          throw nonFiniteError(epoch, bad, lr);
        }
        b0 = bad + 1; // skip the batch that went non-finite and go on
      } else {
        b0 = b1;
      }
      if (needsFeedback) await new Promise<void>((r) => setImmediate(r));
    }
    model.epochsTrained++;
    const logs: EpochLogs = { loss: counted ? lossSum / counted : NaN, lr };
    if (compiled.metrics.has('acc')) logs.acc = counted ? correct / counted : NaN;
    if (compiled.metrics.has('misclassified')) logs.misclassified = counted - correct;
    if (compiled.metrics.has('mse')) logs.mse = model.evaluatePrepared(x, y, n).mse;
    if (val) {
      const r = model.evaluatePrepared(val.x, val.y, val.n);
      logs.valLoss = r.loss;
      if (compiled.metrics.has('acc')) logs.valAcc = r.accuracy;
      if (compiled.metrics.has('misclassified')) logs.valMisclassified = r.misclassified;
      if (compiled.metrics.has('mse')) logs.valMse = r.mse;
    }
    history.record(epoch, logs);
    if (opts.verbose === 1) console.log(formatEpoch(epoch, epochs, logs));
    for (const c of callbacks) await c.onEpochEnd?.(epoch, logs, model);
    if (stopBelow !== undefined && logs.loss < stopBelow) model.stopTraining = true;
  }
  for (const c of callbacks) await c.onTrainEnd?.({ epochs: epoch }, model);
  return history;
}

async function trainChunk(
  runner: NetworkRunner,
  data: Dataset,
  order: Uint32Array,
  batchSize: number,
  b0: number,
  b1: number,
  model: Sequential,
  sync: boolean,
) {
  const slice = order.subarray(b0 * batchSize, Math.min(b1 * batchSize, order.length));
  if (sync) return runner.trainSync(data, slice, batchSize, model.learningRate, model.step);
  return runner.train(data, slice, batchSize, model.learningRate, model.step);
}

/** The NaN/Inf guard's error: where it happened and the usual cures. */
function nonFiniteError(epoch: number, batch: number, lr: number): OxnetError {
  return new OxnetError(
    'E_NONFINITE',
    `non-finite loss or gradient in epoch ${epoch}, batch ${batch} (learning rate ${lr}); normalize the inputs, lower the learning rate or clip gradients (fit option clipNorm); nanGuard: false skips such batches instead`,
  );
}

function checkAbort(signal: AbortSignal | undefined, epoch: number, batch: number): void {
  if (signal?.aborted) throw new OxnetError('E_ABORTED', `fit aborted before epoch ${epoch}, batch ${batch}; the model keeps the weights trained so far`);
}

function checkOrder(order: Uint32Array, n: number, epoch: number): Uint32Array {
  if (!(order instanceof Uint32Array) || order.length !== n || order.some((i) => i >= n)) {
    throw new OxnetError('E_ARG', `epochOrder(${epoch}) must return a Uint32Array of ${n} indices below ${n}`);
  }
  return order;
}

/** epochOrder(0..epochs-1), checked and laid end to end (trainEpochs' `orders`). */
function concatOrders(epochOrder: (epoch: number) => Uint32Array, epochs: number, n: number): Uint32Array {
  const all = new Uint32Array(epochs * n);
  for (let e = 0; e < epochs; e++) all.set(checkOrder(epochOrder(e), n, e), e * n);
  return all;
}

function identity(n: number): Uint32Array {
  const o = new Uint32Array(n);
  for (let i = 0; i < n; i++) o[i] = i;
  return o;
}

export function formatEpoch(epoch: number, epochs: number, logs: EpochLogs): string {
  const parts = [`epoch ${epoch + 1}/${epochs}`, `loss ${logs.loss.toFixed(4)}`];
  if (logs.acc !== undefined) parts.push(`acc ${logs.acc.toFixed(4)}`);
  if (logs.valLoss !== undefined) parts.push(`valLoss ${logs.valLoss.toFixed(4)}`);
  if (logs.valAcc !== undefined) parts.push(`valAcc ${logs.valAcc.toFixed(4)}`);
  return parts.join('  ');
}
