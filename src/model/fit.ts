// The training loop: data copied into the backend once, a seeded shuffle per epoch, and
// runner.train in chunks so callbacks, AbortSignal and Node's event loop get a turn; or, when
// nothing needs JavaScript between epochs, every epoch in one backend call.
import { count, positiveCount } from '../args';
import type { Dataset, EpochStats, NetworkRunner } from '../backend/types';
import type { World } from '../distributed/world';
import { OxnetError, showValue } from '../errors';
import { shuffledIndices } from '../random';
import type { BatchLogs, Callback, EpochLogs, TrainingModel } from './callbacks';
import {
  beginFit,
  type Checkpoint,
  type Checkpointable,
  checkResumedRun,
  endFit,
  type FitRun,
  restoreCheckpoint,
  restoreRunState,
  resumedCheckpoint,
} from './checkpoint';
import type { Compiled, Metric } from './compile';
import type { EvalResult } from './evaluate';
import { FitProgress, type ProgressStream, progressTiming } from '../training/progress';
import { History } from './history';
import { deriveSeed, SeedPurpose } from './seeds';
import { gatherRows, type Prepared, type TensorLike } from './tensors';

/** What fit uses of a model (src/model/model.ts's Model). */
export interface Trainable extends TrainingModel, Checkpointable {
  readonly seed: number;
  step: number;
  epochsTrained: number;
  readonly compiled: Compiled | null;
  readonly outputNames: string[];
  readonly parameterCount: number;
  prepare(x: unknown, y: unknown, param?: string[]): Prepared;
  trainingRunner(seed: number, clipNorm?: number): NetworkRunner;
  createDataset(inputs: Float32Array[], targets: Float32Array[], n: number): Dataset;
  evaluatePrepared(p: Prepared): EvalResult;
}

type Data = TensorLike | TensorLike[] | Record<string, TensorLike>;

export interface FitOptions {
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Shuffle the training samples every epoch (seeded). Default true. */
  shuffle?: boolean;
  validationData?: [Data, Data];
  /** Fraction of the samples held out for validation, after a seeded shuffle. */
  validationSplit?: number;
  callbacks?: Callback | Callback[];
  /** Overrides the model's seed for shuffling, validationSplit and dropout. */
  seed?: number;
  /**
   * 0: silent (default); 1: a progress bar per epoch (batch n/N, ETA, running loss and accuracy,
   * samples/s) that leaves one line per epoch, on a TTY; one line per epoch otherwise; 2: one line
   * per epoch always (as Keras).
   */
  verbose?: 0 | 1 | 2;
  /** Where verbose output goes (default process.stdout); the bar is drawn only when its isTTY is true. */
  progressStream?: ProgressStream;
  signal?: AbortSignal;
  /**
   * Continue the run a checkpoint (modelCheckpoint, saveCheckpoint: a path or readCheckpoint's
   * result) stopped: restores the model from it (model.restore) and trains its epochs up to
   * `epochs` in total, with its seed, callbacks' states and optimizer moments, exactly as if it
   * had not stopped (same data, batchSize and callbacks; anything else is refused with E_CONFIG).
   */
  resumeFrom?: string | Checkpoint;
  /**
   * The epoch to start at (Keras's initial_epoch; default 0, or the checkpoint's with resumeFrom):
   * fit runs epochs initialEpoch..epochs-1, and callbacks and schedules see those numbers.
   */
  initialEpoch?: number;
  /** Sample order of epoch e (counted from initialEpoch), overriding shuffle; e.g. mnistEpochOrder. */
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
  /**
   * Data-parallel training over an MPI world (`await distributed()`, under mpirun): see
   * src/distributed/fit.ts. Every rank passes the same model and the whole data set.
   */
  distributed?: World;
}

const FIT_KEYS = [
  'epochs',
  'batchSize',
  'shuffle',
  'validationData',
  'validationSplit',
  'callbacks',
  'seed',
  'verbose',
  'progressStream',
  'signal',
  'epochOrder',
  'nanGuard',
  'clipNorm',
  'stopBelowLoss',
  'resumeFrom',
  'initialEpoch',
  'distributed',
];

/** Batches per train call for onBatchEnd callbacks (a few dozen; fixed, so that what a callback
 * changes takes effect at the same batch every run). */
export const FEEDBACK_CHUNK = 32;
/** Target length of a train call for the bar and the AbortSignal: chunks of an epoch are sized
 * from the last chunk's time per batch, so the per-call overhead (tens of microseconds) stays
 * well under 1% of it while the bar still moves about ten times a second. */
const CHUNK_MS = 100;

/** Below this many sample-parameter products per call (tens of microseconds), train on the calling
 * thread: the hop to a worker thread and back (~50 us) would cost more than the training itself. */
export const SYNC_MAX_WORK = 1 << 16;
/** Same rule for a whole fit in one trainEpochs call: a few milliseconds at most on the JS thread. */
const SYNC_MAX_FIT_WORK = 1 << 20;

/** The seeded train/validation split: a shuffle of 0..n-1, the last `split` fraction held out. */
export function validationSplitIndices(n: number, split: number, seed: number): { train: Uint32Array; val: Uint32Array } {
  if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new OxnetError('E_ARG', `validationSplit must be in (0, 1), got ${showValue(split)}`);
  count(n, 'validationSplitIndices: n');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new OxnetError('E_ARG', `validationSplitIndices: seed must be an integer in [0, 2^32), got ${showValue(seed)}`);
  const order = shuffledIndices(n, deriveSeed(seed, SeedPurpose.validationSplit));
  const nTrain = Math.floor(n * (1 - split));
  if (nTrain < 1 || nTrain >= n) throw new OxnetError('E_ARG', `validationSplit ${split} of ${n} samples leaves an empty train or validation set`);
  return { train: order.slice(0, nTrain), val: order.slice(nTrain) };
}

function positiveInt(v: unknown, param: string): number {
  return positiveCount(v, `fit ${param}`);
}

/** Rows `idx` (all of them when omitted: a copy) of every array; a target that is an input stays that input. */
export function subset(p: Prepared, idx?: Uint32Array): Prepared {
  const rows = (a: Float32Array) => (idx ? gatherRows(a, a.length / p.n, idx) : a.slice());
  const inputs = p.inputs.map(rows);
  const targets = p.targets.map((t) => {
    const i = p.inputs.indexOf(t);
    return i >= 0 ? inputs[i] : rows(t);
  });
  return { inputs, targets, n: idx ? idx.length : p.n };
}

/** The keys of one output's figures in the logs: plain for a one-output model, prefixed otherwise. */
export function logKey(names: string[], o: number, key: string, val: boolean): string {
  if (names.length === 1) return val ? `val${key[0].toUpperCase()}${key.slice(1)}` : key;
  return `${val ? 'val_' : ''}${names[o]}_${key}`;
}

/** The epoch logs of the outputs' metrics from the training counts, and from evaluate on validation. */
export function metricLogs(
  logs: EpochLogs,
  names: string[],
  metrics: Set<Metric>[],
  outLoss: ArrayLike<number>,
  correct: ArrayLike<number>,
  counted: number,
): void {
  names.forEach((_, o) => {
    if (names.length > 1) logs[logKey(names, o, 'loss', false)] = outLoss[o];
    if (metrics[o].has('acc')) logs[logKey(names, o, 'acc', false)] = counted ? correct[o] / counted : NaN;
    if (metrics[o].has('misclassified')) logs[logKey(names, o, 'misclassified', false)] = counted - correct[o];
  });
}

export function evalLogs(logs: EpochLogs, names: string[], metrics: Set<Metric>[], r: EvalResult, val: boolean): void {
  if (val) logs.valLoss = r.loss;
  names.forEach((name, o) => {
    const e = r.outputs[name];
    if (val && names.length > 1) logs[logKey(names, o, 'loss', true)] = e.loss;
    if (val && metrics[o].has('acc')) logs[logKey(names, o, 'acc', true)] = e.accuracy;
    if (val && metrics[o].has('misclassified')) logs[logKey(names, o, 'misclassified', true)] = e.misclassified;
    if (metrics[o].has('mse')) logs[logKey(names, o, 'mse', val)] = e.mse;
  });
}

export async function runFit(model: Trainable, xIn: Data, yIn: Data, opts: FitOptions): Promise<History> {
  const shown: { progress: FitProgress | null } = { progress: null };
  try {
    return await fitLoop(model, xIn, yIn, opts, shown);
  } finally {
    shown.progress?.stop(); // the bar's redraw timer must not outlive a fit that threw
    endFit(model);
  }
}

/** fit's options are an object of known keys (shared with the distributed fit). */
export function checkFitOptions(opts: unknown): asserts opts is FitOptions {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new OxnetError('E_ARG', `fit options must be an object, got ${showValue(opts)}`);
  const unknown = Object.keys(opts).filter((k) => !FIT_KEYS.includes(k));
  if (unknown.length) throw new OxnetError('E_ARG', `fit: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; known: ${FIT_KEYS.join(', ')}`);
}

/** Whether options ask for the data-parallel path (Model.fit and fitDataset send those to src/distributed/). */
export function wantsDistributed(opts: unknown): boolean {
  return opts !== null && typeof opts === 'object' && (opts as { distributed?: unknown }).distributed !== undefined;
}

async function fitLoop(model: Trainable, xIn: Data, yIn: Data, opts: FitOptions, shown: { progress: FitProgress | null }): Promise<History> {
  checkFitOptions(opts);
  const compiled = model.compiled;
  if (!compiled) throw new OxnetError('E_STATE', 'fit: compile the model first');
  const epochs = positiveInt(opts.epochs ?? 1, 'epochs');
  const batchSize = positiveInt(opts.batchSize ?? 32, 'batchSize');
  if (opts.initialEpoch !== undefined) count(opts.initialEpoch, 'fit initialEpoch');
  if (opts.seed !== undefined && (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff))
    throw new OxnetError('E_ARG', `fit seed must be an integer in [0, 2^32), got ${showValue(opts.seed)}`);
  const resuming = resumedCheckpoint(model, opts.resumeFrom, opts.initialEpoch);
  const resume = resuming?.checkpoint ?? null;
  const resumed = resume?.state.fit;
  const seed = opts.seed ?? resumed?.seed ?? model.seed;
  if (resumed && seed !== resumed.seed) throw new OxnetError('E_CONFIG', `fit seed ${seed}: the checkpoint's run had seed ${resumed.seed} (${resume.source})`);
  const initialEpoch = opts.initialEpoch ?? resume?.epoch ?? 0;
  if (resume && initialEpoch !== resume.epoch)
    throw new OxnetError('E_CONFIG', `fit initialEpoch ${initialEpoch}: the checkpoint ${resume.source} goes on at epoch ${resume.epoch}`);
  if (epochs < initialEpoch) throw new OxnetError('E_ARG', `fit epochs ${epochs} is below initialEpoch ${initialEpoch}: epochs is the epoch to stop at`);
  const callbacks = opts.callbacks === undefined ? [] : Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks];
  callbacks.forEach((c, i) => {
    if (c === null || typeof c !== 'object') throw new OxnetError('E_ARG', `fit callbacks[${i}] must be a callback object, got ${showValue(c)}`);
  });
  for (const key of ['shuffle', 'nanGuard'] as const) {
    if (opts[key] !== undefined && typeof opts[key] !== 'boolean')
      throw new OxnetError('E_ARG', `fit ${key} must be true or false, got ${showValue(opts[key])}`);
  }
  if (opts.verbose !== undefined && opts.verbose !== 0 && opts.verbose !== 1 && opts.verbose !== 2)
    throw new OxnetError('E_ARG', `fit verbose must be 0, 1 or 2, got ${showValue(opts.verbose)}`);
  const ps = opts.progressStream;
  if (ps !== undefined && (ps === null || typeof ps !== 'object' || typeof (ps as { write?: unknown }).write !== 'function'))
    throw new OxnetError('E_ARG', `fit progressStream must be a stream (an object with write), got ${showValue(ps)}`);
  if (opts.epochOrder !== undefined && typeof opts.epochOrder !== 'function')
    throw new OxnetError('E_ARG', `fit epochOrder must be a function, got ${showValue(opts.epochOrder)}`);
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new OxnetError('E_ARG', 'fit signal must be an AbortSignal');
  const settings = {
    batchSize,
    shuffle: opts.shuffle !== false,
    ...(opts.validationSplit !== undefined && opts.validationData === undefined ? { validationSplit: opts.validationSplit } : {}),
    ...(opts.clipNorm !== undefined ? { clipNorm: opts.clipNorm } : {}),
  };
  if (resume) {
    checkResumedRun(resume, settings, ['batchSize', 'shuffle', 'validationSplit', 'clipNorm'], callbacks);
    // Restored before the data is prepared: the checkpoint's normalizer applies to it.
    if (!resuming?.restored) restoreCheckpoint(model, resume, false);
  }
  const all = model.prepare(xIn, yIn);
  if (all.n === 0) throw new OxnetError('E_ARG', 'fit: x has no samples');

  let train = all;
  let val: Prepared | null = null;
  if (opts.validationData !== undefined) {
    if (!Array.isArray(opts.validationData) || opts.validationData.length !== 2) throw new OxnetError('E_ARG', 'fit validationData must be [x, y]');
    const [vx, vy] = opts.validationData;
    const p = model.prepare(vx, vy, ['validationData[0]', 'validationData[1]']);
    // Read after every epoch, long after fit() returned: keep copies, not the caller's arrays.
    val = subset(p);
  } else if (opts.validationSplit !== undefined) {
    const split = validationSplitIndices(all.n, opts.validationSplit, seed);
    train = subset(all, split.train);
    val = subset(all, split.val);
  }
  const anyMse = compiled.metrics.some((m) => m.has('mse'));
  // The 'mse' metric re-reads the training set after each epoch: same reason to copy.
  if (anyMse && train === all) train = subset(all);
  if (opts.clipNorm !== undefined && !(typeof opts.clipNorm === 'number' && Number.isFinite(opts.clipNorm) && opts.clipNorm > 0)) {
    throw new OxnetError('E_ARG', `fit clipNorm must be a finite number > 0, got ${showValue(opts.clipNorm)}`);
  }
  const stopBelow = opts.stopBelowLoss;
  if (stopBelow !== undefined && typeof stopBelow !== 'number')
    throw new OxnetError('E_ARG', `fit stopBelowLoss must be a number, got ${showValue(stopBelow)}`);
  const runner = model.trainingRunner(deriveSeed(seed, SeedPurpose.dropout), opts.clipNorm);
  const run: FitRun = { seed, epoch: initialEpoch, ...settings, samples: train.n, callbacks };
  if (resume) checkResumedRun(resume, run, ['samples']);
  beginFit(model, run);
  // A target that is one of the inputs (an autoencoder's fit(x, x)) arrives as the same array: held once.
  const n = train.n;
  const data = model.createDataset(train.inputs, train.targets, n);
  const batches = Math.ceil(n / batchSize);
  const names = model.outputNames;
  const k = names.length;
  const verbose = opts.verbose ?? 0;
  const progress =
    verbose === 0 ? null : new FitProgress(ps ?? process.stdout, { epochs, batches, samples: n, verbose, accuracy: k === 1 && compiled.metrics[0].has('acc') });
  shown.progress = progress;
  const batchCallbacks = callbacks.some((c) => c.onBatchEnd);
  const livePossible = progress?.perBatch === true;
  // Per-batch news when a callback wants it (chunks of a fixed FEEDBACK_CHUNK batches, so what a
  // callback changes takes effect at the same batch every run), or for the bar and the AbortSignal
  // (chunks sized by time: nothing they do changes the training).
  const needsFeedback = batchCallbacks || opts.signal !== undefined || livePossible;
  const paramCount = model.parameterCount;
  const nanGuard = opts.nanGuard ?? true;
  // Something needs JavaScript after every epoch: a per-epoch or per-batch callback, validation,
  // the 'mse' metric or skipping of non-finite batches.
  const epochJs = batchCallbacks || !!val || anyMse || !nanGuard || callbacks.some((c) => c.onEpochBegin || c.onEpochEnd || c.afterEpochEnd);
  // Nothing at all: every epoch in one backend call.
  const oneCall = !epochJs && !progress && opts.signal === undefined;
  // Only verbose lines, a bar that is drawn for long epochs only, or a signal: short epochs run a
  // group at a time (a call of about progressTiming.groupMs, 100 ms), their lines written after
  // it; a long epoch runs in chunks with the bar.
  const grouped = !epochJs && !oneCall;
  const history = new History();
  model.stopTraining = false;

  /** Epochs first..first+count-1 in one trainEpochs call, recorded in the history. */
  const runEpochs = async (first: number, count: number): Promise<EpochStats> => {
    const lr = model.learningRate;
    const orders = opts.epochOrder ? concatOrders(opts.epochOrder, first, count, n) : undefined;
    const shuffleSeeds =
      orders || opts.shuffle === false
        ? undefined
        : Uint32Array.from({ length: count }, (_, e) => deriveSeed(seed, SeedPurpose.epochShuffle, model.epochsTrained + e));
    const plan = { epochs: count, batchSize, lr, step: model.step, shuffleSeeds, orders, stopBelow };
    const stats = count * n * paramCount < SYNC_MAX_FIT_WORK ? runner.trainEpochsSync(data, plan) : await runner.trainEpochs(data, plan);
    const columns: Record<string, ArrayLike<number> | number> = { loss: stats.losses };
    const column = (o: number, f: (e: number) => number) => Float64Array.from({ length: stats.epochs }, (_, e) => f(e * k + o));
    names.forEach((_, o) => {
      if (k > 1) columns[logKey(names, o, 'loss', false)] = column(o, (i) => stats.outputLosses[i]);
      if (compiled.metrics[o].has('acc')) columns[logKey(names, o, 'acc', false)] = column(o, (i) => stats.correct[i] / n);
      if (compiled.metrics[o].has('misclassified')) columns[logKey(names, o, 'misclassified', false)] = column(o, (i) => n - stats.correct[i]);
    });
    columns.lr = lr;
    history.recordColumns(first, stats.epochs, columns);
    model.epochsTrained += stats.epochs;
    run.epoch = first + stats.epochs;
    model.step += stats.epochs * batches + Math.max(stats.nonFiniteBatch, 0);
    return stats;
  };

  checkAbort(opts.signal, 0, 0);
  for (const c of callbacks) await c.onTrainBegin?.(model);
  if (resume) restoreRunState(resume, model, callbacks);
  let epoch = initialEpoch;
  if (oneCall && epoch < epochs && !model.stopTraining) {
    const stats = await runEpochs(epoch, epochs - epoch);
    epoch += stats.epochs;
    if (stats.nonFiniteBatch >= 0) throw nonFiniteError(epoch, stats.nonFiniteBatch, model.learningRate);
  }
  /** Milliseconds per batch of the last chunk (NaN before the first): sizes the timed chunks. */
  let batchMs = Number.NaN;
  /** Milliseconds of the last epoch (NaN before the first): decides grouped or chunked. */
  let epochMs = Number.NaN;
  while (!oneCall && epoch < epochs && !model.stopTraining) {
    const groupMs = progressTiming.groupMs;
    // Before any epoch has been timed: all of a fit small enough for the JS thread (a few ms, as
    // verbose 0 runs it) in one call; otherwise the first epoch alone, in chunks, to time it.
    const tiny = Number.isNaN(epochMs) && groupMs > 0 && (epochs - epoch) * n * paramCount < SYNC_MAX_FIT_WORK;
    if (grouped && (epochMs < groupMs || tiny)) {
      checkAbort(opts.signal, epoch, 0);
      const count = tiny ? epochs - epoch : Math.max(1, Math.min(epochs - epoch, Math.floor(groupMs / epochMs)));
      const t0 = performance.now();
      const lr = model.learningRate;
      const stats = await runEpochs(epoch, count);
      epochMs = (performance.now() - t0) / Math.max(stats.epochs, 1);
      progress?.epochsEnd(epoch, history, stats.epochs, epochMs / 1000);
      epoch += stats.epochs;
      if (stats.nonFiniteBatch >= 0) throw nonFiniteError(epoch, stats.nonFiniteBatch, lr);
      if (stopBelow !== undefined && stats.epochs > 0 && stats.losses[stats.epochs - 1] < stopBelow) model.stopTraining = true;
      // A turn for the event loop between calls (none after the last: fit returns).
      if (needsFeedback && epoch < epochs && !model.stopTraining) await new Promise<void>((r) => setImmediate(r));
      continue;
    }
    const epochStart = performance.now();
    for (const c of callbacks) await c.onEpochBegin?.(epoch, model);
    progress?.epochBegin();
    const lr = model.learningRate;
    const order = opts.epochOrder
      ? checkOrder(opts.epochOrder(epoch), n, epoch)
      : opts.shuffle === false
        ? identity(n)
        : shuffledIndices(n, deriveSeed(seed, SeedPurpose.epochShuffle, model.epochsTrained));
    let lossSum = 0;
    const outSums = new Float64Array(k);
    const correct = new Float64Array(k);
    let counted = 0;
    for (let b0 = 0; b0 < batches; ) {
      checkAbort(opts.signal, epoch, b0);
      const size = batchCallbacks
        ? FEEDBACK_CHUNK
        : !needsFeedback
          ? batches
          : Number.isNaN(batchMs)
            ? 1 // a probe: the first chunk times a batch
            : Math.max(1, Math.floor(CHUNK_MS / batchMs));
      const b1 = Math.min(b0 + size, batches);
      const sync = Math.min((b1 - b0) * batchSize, n) * paramCount < SYNC_MAX_WORK;
      const t0 = performance.now();
      const stats = await trainChunk(runner, data, order, batchSize, b0, b1, model, sync);
      batchMs = (performance.now() - t0) / (b1 - b0);
      const done = stats.nonFiniteBatch >= 0 ? stats.nonFiniteBatch : b1 - b0;
      for (let i = 0; i < done; i++) {
        const size = Math.min(batchSize, n - (b0 + i) * batchSize);
        lossSum += stats.losses[i] * size;
        let batchCorrect = 0;
        for (let o = 0; o < k; o++) {
          outSums[o] += stats.outputLosses[i * k + o] * size;
          correct[o] += stats.correct[i * k + o];
          if (o === 0) batchCorrect = stats.correct[i * k];
        }
        counted += size;
        if (!livePossible && !batchCallbacks) continue;
        const logs: BatchLogs = { loss: stats.losses[i], correct: batchCorrect, size };
        if (livePossible) progress?.batchEnd(epoch, b0 + i + 1, logs);
        for (const c of callbacks) await c.onBatchEnd?.(b0 + i, logs, model);
      }
      model.step += done;
      if (stats.nonFiniteBatch >= 0) {
        const bad = b0 + stats.nonFiniteBatch;
        if (nanGuard) throw nonFiniteError(epoch, bad, lr);
        b0 = bad + 1; // skip the batch that went non-finite and go on
      } else {
        b0 = b1;
      }
      if (needsFeedback) await new Promise<void>((r) => setImmediate(r));
    }
    model.epochsTrained++;
    run.epoch = epoch + 1;
    const logs: EpochLogs = { loss: counted ? lossSum / counted : NaN, lr };
    metricLogs(
      logs,
      names,
      compiled.metrics,
      outSums.map((s) => (counted ? s / counted : NaN)),
      correct,
      counted,
    );
    if (anyMse) evalLogs(logs, names, compiled.metrics, model.evaluatePrepared(train), false);
    if (val) evalLogs(logs, names, compiled.metrics, model.evaluatePrepared(val), true);
    // lr last, as the one-call path records it.
    delete (logs as Record<string, unknown>).lr;
    logs.lr = lr;
    history.record(epoch, logs);
    progress?.epochEnd(epoch, logs);
    for (const c of callbacks) await c.onEpochEnd?.(epoch, logs, model);
    if (stopBelow !== undefined && logs.loss < stopBelow) model.stopTraining = true;
    for (const c of callbacks) await c.afterEpochEnd?.(epoch, logs, model);
    epochMs = performance.now() - epochStart;
    epoch++;
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
  model: Trainable,
  sync: boolean,
) {
  const slice = order.subarray(b0 * batchSize, Math.min(b1 * batchSize, order.length));
  if (sync) return runner.trainSync(data, slice, batchSize, model.learningRate, model.step);
  return runner.train(data, slice, batchSize, model.learningRate, model.step);
}

/** The NaN/Inf guard's error: where it happened and the usual cures. */
export function nonFiniteError(epoch: number, batch: number, lr: number): OxnetError {
  return new OxnetError(
    'E_NONFINITE',
    `non-finite loss or gradient in epoch ${epoch}, batch ${batch} (learning rate ${lr}); normalize the inputs, lower the learning rate or clip gradients (fit option clipNorm); nanGuard: false skips such batches instead`,
  );
}

export function checkAbort(signal: AbortSignal | undefined, epoch: number, batch: number): void {
  if (signal?.aborted) throw new OxnetError('E_ABORTED', `fit aborted before epoch ${epoch}, batch ${batch}; the model keeps the weights trained so far`);
}

function checkOrder(order: Uint32Array, n: number, epoch: number): Uint32Array {
  if (!(order instanceof Uint32Array) || order.length !== n || order.some((i) => i >= n)) {
    throw new OxnetError('E_ARG', `epochOrder(${epoch}) must return a Uint32Array of ${n} indices below ${n}`);
  }
  return order;
}

/** epochOrder(first..first+count-1), checked and laid end to end (trainEpochs' `orders`). */
function concatOrders(epochOrder: (epoch: number) => Uint32Array, first: number, count: number, n: number): Uint32Array {
  const all = new Uint32Array(count * n);
  for (let e = 0; e < count; e++) all.set(checkOrder(epochOrder(first + e), n, first + e), e * n);
  return all;
}

function identity(n: number): Uint32Array {
  const o = new Uint32Array(n);
  for (let i = 0; i < n; i++) o[i] = i;
  return o;
}
