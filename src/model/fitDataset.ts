// Training, evaluation and prediction on streamed batches (a DataSource, or any iterable of
// { x, y }): batches are pulled a group ahead of the one training, so reading and decoding
// overlap with the kernels (which run off the main thread); each group of equal-sized batches
// goes to the backend as one small data set and one train call. The callbacks, History,
// progress, AbortSignal, nanGuard and the step and epoch counters behave as in fit.
import * as arg from '../args';
import type { Dataset, NetworkRunner, TrainStats } from '../backend/types';
import { DataSource, fromIterable, loopTurn, loopTurnDue, recycleBatch } from '../data/sources/source';
import type { World } from '../distributed/world';
import { OxnetError, showValue } from '../errors';
import { FitProgress, type ProgressStream } from '../training/progress';
import type { BatchLogs, Callback, EpochLogs } from './callbacks';
import type { EvalResult } from './evaluate';
import { checkAbort, evalLogs, FEEDBACK_CHUNK, metricLogs, nonFiniteError, SYNC_MAX_WORK, subset, type Trainable } from './fit';
import { History } from './history';
import { deriveSeed, SeedPurpose } from './seeds';
import type { Prepared, TensorLike } from './tensors';

type Data = TensorLike | TensorLike[] | Record<string, TensorLike>;

/** Batches per train call when no callback watches batches. */
const STREAM_GROUP = 16;
/** Groups read ahead of the one training. */
const GROUPS_AHEAD = 2;

/** A source of batches: a DataSource, an (async) iterable, or a function returning a fresh one per epoch. */
export type BatchSource<T = unknown> = DataSource<T> | AsyncIterable<T> | Iterable<T> | (() => AsyncIterable<T> | Iterable<T>);

export interface FitDatasetOptions {
  /** Default 1. */
  epochs?: number;
  /**
   * Batches per epoch, read on from one pass of the source across epochs (tf.js's
   * batchesPerEpoch; for an endless source). Default: each epoch is one whole pass.
   */
  batchesPerEpoch?: number;
  /** A source of { x, y } batches (read in full after every epoch), or [x, y] arrays. */
  validationData?: BatchSource | [Data, Data];
  callbacks?: Callback | Callback[];
  /** Overrides the model's seed for dropout. */
  seed?: number;
  /** As fit's; the live bar needs a known number of batches (a source of known size, or after epoch 1). */
  verbose?: 0 | 1 | 2;
  progressStream?: ProgressStream;
  signal?: AbortSignal;
  /** Reject on a non-finite loss or gradient (default true); false skips such batches. */
  nanGuard?: boolean;
  clipNorm?: number;
  stopBelowLoss?: number;
  /** Data-parallel training over an MPI world (src/distributed/fitDataset.ts): every rank reads the same source. */
  distributed?: World;
}

const KEYS = [
  'epochs',
  'batchesPerEpoch',
  'validationData',
  'callbacks',
  'seed',
  'verbose',
  'progressStream',
  'signal',
  'nanGuard',
  'clipNorm',
  'stopBelowLoss',
  'distributed',
];

/** What the streaming paths use of a model, beyond fit's. */
export interface StreamModel extends Trainable {
  refillDataset(data: Dataset, inputs: Float32Array[], targets: Float32Array[], n: number): boolean;
  predictAsync(x: Data): Promise<Float32Array | Float32Array[]>;
  readonly inputNames: string[];
}

/** The source as something to open once per epoch. */
export function asSource(source: unknown, fn: string): DataSource<unknown> {
  if (source instanceof DataSource) return source;
  const iterable =
    source !== null && typeof source === 'object' && !ArrayBuffer.isView(source) && (Symbol.asyncIterator in source || Symbol.iterator in source);
  if (typeof source === 'function' || iterable) return fromIterable(source as BatchSource);
  throw new OxnetError('E_ARG', `${fn}: source must be a DataSource, an (async) iterable of batches or a function returning one, got ${arg.describe(source)}`);
}

/** A batch { x, y } as the backend takes it (possibly the caller's arrays: copy before the next pull). */
export function prepareBatch(model: Trainable, el: unknown, index: number, fn: string): Prepared {
  if (!arg.isPlainObject(el) || !('x' in el) || !('y' in el)) throw new OxnetError('E_DATA', `${fn}: batch ${index} must be { x, y }, got ${arg.describe(el)}`);
  const p = model.prepare(el.x, el.y, [`batch ${index}: x`, `batch ${index}: y`]);
  if (p.n === 0) throw new OxnetError('E_DATA', `${fn}: batch ${index} has no samples`);
  return p;
}

/** Batches of one train call, copied end to end as they arrive: all of one size, the last one possibly smaller. */
interface Run {
  /** Samples of its first batch: the batch size of the train call. */
  size: number;
  /** Samples of each batch. */
  sizes: number[];
  n: number;
  /** Rows the arrays have room for. */
  rows: number;
  inputs: Float32Array[];
  targets: Float32Array[];
}

interface Group {
  runs: Run[];
  batches: number;
  done: boolean;
  /** What the source (or a batch's check) threw after these batches: thrown once they are trained. */
  error?: unknown;
}

/** One element at a time from a source's chunks. */
class Reader {
  private chunk: unknown[] = [];
  private at = 0;
  constructor(readonly it: AsyncIterator<unknown[]>) {}

  async next(): Promise<IteratorResult<unknown>> {
    while (this.at >= this.chunk.length) {
      const r = await this.it.next();
      if (r.done) return r;
      this.chunk = r.value;
      this.at = 0;
    }
    return { done: false, value: this.chunk[this.at++] };
  }
}

/** Up to `max` batches from `reader` (fewer when it ends or throws), copied into runs; never rejects. */
async function pullGroup(reader: Reader, max: number, model: Trainable, first: number, fn: string, pool: BufferPool, recycle: boolean): Promise<Group> {
  const g: Group = { runs: [], batches: 0, done: false };
  try {
    while (g.batches < max) {
      const r = await reader.next();
      if (r.done) {
        g.done = true;
        return g;
      }
      if (loopTurnDue()) await loopTurn();
      const p = prepareBatch(model, r.value, first + g.batches, fn);
      let run = g.runs[g.runs.length - 1];
      // A run holds batches of its first one's size, the last one possibly smaller; room for the group's rest.
      if (!run || p.n > run.size || run.sizes[run.sizes.length - 1] < run.size) {
        const rows = (max - g.batches) * p.n;
        run = {
          size: p.n,
          sizes: [],
          n: 0,
          rows,
          inputs: p.inputs.map((a) => pool.take(rows * (a.length / p.n))),
          targets: p.targets.map((a) => pool.take(rows * (a.length / p.n))),
        };
        g.runs.push(run);
      }
      const at = run.n;
      p.inputs.forEach((a, i) => {
        run.inputs[i].set(a, at * (a.length / p.n));
      });
      p.targets.forEach((a, o) => {
        run.targets[o].set(a, at * (a.length / p.n));
      });
      run.sizes.push(p.n);
      run.n += p.n;
      if (recycle) recycleBatch(r.value); // copied: batch() may fill its arrays again
      g.batches++;
    }
  } catch (error) {
    g.done = true;
    g.error = error;
  }
  return g;
}

/** Float32Arrays to reuse by length: the runs of one group after another are the same sizes, and fresh memory costs page faults. */
class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();
  take(length: number): Float32Array {
    return this.free.get(length)?.pop() ?? new Float32Array(length);
  }
  give(arrays: Float32Array[]): void {
    for (const a of arrays) {
      const list = this.free.get(a.length) ?? [];
      if (list.length < 4) list.push(a);
      this.free.set(a.length, list);
    }
  }
}

/**
 * Two backend data sets used in turn and refilled in place where the backend can (native):
 * one per train call would allocate (and fault in) the group's size every call, and native
 * memory that only the garbage collector releases would pile up.
 */
class DatasetRing {
  private readonly ring: (Dataset | null)[] = [null, null];
  private next = 0;
  constructor(private readonly model: StreamModel) {}

  fill(inputs: Float32Array[], targets: Float32Array[], n: number): Dataset {
    const k = this.next;
    this.next = 1 - k;
    const old = this.ring[k];
    if (old) {
      try {
        if (this.model.refillDataset(old, inputs, targets, n)) return old;
      } catch (e) {
        if (!(e instanceof OxnetError && e.code === 'E_STATE')) throw e; // still read by a training call: make a new one
      }
    }
    const data = this.model.createDataset(inputs, targets, n);
    this.ring[k] = data;
    return data;
  }
}

function concat(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function identity(n: number): Uint32Array {
  const o = new Uint32Array(n);
  for (let i = 0; i < n; i++) o[i] = i;
  return o;
}

export async function runFitDataset(model: StreamModel, sourceIn: unknown, opts: FitDatasetOptions = {}): Promise<History> {
  const shown: { progress: FitProgress | null } = { progress: null };
  try {
    return await fitDatasetLoop(model, sourceIn, opts, shown);
  } finally {
    shown.progress?.stop();
  }
}

/** fitDataset's options are an object of known keys (shared with the distributed fitDataset). */
export function checkFitDatasetOptions(opts: unknown): FitDatasetOptions {
  return arg.options(opts, 'fitDataset', { keys: KEYS }) as FitDatasetOptions;
}

async function fitDatasetLoop(model: StreamModel, sourceIn: unknown, optsIn: FitDatasetOptions, shown: { progress: FitProgress | null }): Promise<History> {
  const fn = 'fitDataset';
  const opts = checkFitDatasetOptions(optsIn);
  const source = asSource(sourceIn, fn);
  const compiled = model.compiled;
  if (!compiled) throw new OxnetError('E_STATE', `${fn}: compile the model first`);
  const epochs = arg.positiveCount(opts.epochs ?? 1, `${fn} epochs`);
  const perEpoch = opts.batchesPerEpoch === undefined ? undefined : arg.positiveCount(opts.batchesPerEpoch, `${fn} batchesPerEpoch`);
  const seed = arg.seed(opts.seed ?? model.seed, `${fn} seed`);
  const callbacks = opts.callbacks === undefined ? [] : Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks];
  callbacks.forEach((c, i) => {
    if (c === null || typeof c !== 'object') throw new OxnetError('E_ARG', `${fn} callbacks[${i}] must be a callback object, got ${showValue(c)}`);
  });
  const nanGuard = opts.nanGuard === undefined ? true : arg.boolean(opts.nanGuard, `${fn} nanGuard`);
  const verbose = opts.verbose ?? 0;
  if (verbose !== 0 && verbose !== 1 && verbose !== 2) throw new OxnetError('E_ARG', `${fn} verbose must be 0, 1 or 2, got ${showValue(verbose)}`);
  const ps = opts.progressStream;
  if (ps !== undefined && (ps === null || typeof ps !== 'object' || typeof (ps as { write?: unknown }).write !== 'function'))
    throw new OxnetError('E_ARG', `${fn} progressStream must be a stream (an object with write), got ${showValue(ps)}`);
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new OxnetError('E_ARG', `${fn} signal must be an AbortSignal`);
  const clipNorm = opts.clipNorm === undefined ? undefined : arg.finite(opts.clipNorm, `${fn} clipNorm`, (v) => v > 0, 'a finite number > 0');
  const stopBelow = opts.stopBelowLoss === undefined ? undefined : arg.finite(opts.stopBelowLoss, `${fn} stopBelowLoss`);
  let valArrays: Prepared | null = null;
  let valSource: DataSource<unknown> | null = null;
  const vd = opts.validationData;
  // [x, y] arrays, unless it is an array of { x, y } batches (a source).
  if (Array.isArray(vd) && vd.length === 2 && !vd.every((b) => arg.isPlainObject(b) && 'x' in b && 'y' in b)) {
    const [vx, vy] = vd as [Data, Data];
    valArrays = subset(model.prepare(vx, vy, ['validationData[0]', 'validationData[1]']));
  } else if (opts.validationData !== undefined) valSource = asSource(opts.validationData, `${fn} validationData`);

  const runner = model.trainingRunner(deriveSeed(seed, SeedPurpose.dropout), clipNorm);
  const names = model.outputNames;
  const k = names.length;
  const paramCount = model.parameterCount;
  const history = new History();
  const accuracy = k === 1 && compiled.metrics[0].has('acc');
  /** Batches per epoch as far as known: batchesPerEpoch, the source's size, or the last epoch's count. */
  let knownBatches = perEpoch ?? (source.size !== undefined && Number.isFinite(source.size) ? source.size : undefined);
  const progressFor = (batches: number | undefined) =>
    verbose === 0
      ? null
      : new FitProgress(ps ?? process.stdout, { epochs, batches: batches ?? 0, samples: 0, verbose: batches === undefined ? 2 : verbose, accuracy });
  let progress = progressFor(knownBatches);
  shown.progress = progress;
  const batchCallbacks = callbacks.some((c) => c.onBatchEnd);
  // Batches per train call: fit's FEEDBACK_CHUNK when a callback sees every batch (what it changes
  // takes effect at the same batch every run), smaller otherwise so reading and training interleave finely.
  const groupSize = batchCallbacks ? FEEDBACK_CHUNK : STREAM_GROUP;
  const live = () => progress?.perBatch === true;
  model.stopTraining = false;

  const pool = new BufferPool();
  const datasets = new DatasetRing(model);
  let shared: Reader | null = null; // batchesPerEpoch: one pass across epochs
  let exhausted = false;
  checkAbort(opts.signal, 0, 0);
  for (const c of callbacks) await c.onTrainBegin?.(model);
  let epoch = 0;
  try {
    while (epoch < epochs && !model.stopTraining && !exhausted) {
      for (const c of callbacks) await c.onEpochBegin?.(epoch, model);
      progress?.epochBegin();
      const lr = model.learningRate;
      let lossSum = 0;
      const outSums = new Float64Array(k);
      const correct = new Float64Array(k);
      let counted = 0;
      let batch = 0; // batches of this epoch pulled so far
      let trained = 0; // ... trained or skipped
      if (perEpoch && !shared) shared = new Reader(source.chunks());
      const it = shared ?? new Reader(source.chunks());
      // Groups read ahead, one after another from the reader, while the one before them trains.
      const queue: Promise<Group>[] = [];
      let tail: Promise<unknown> = Promise.resolve();
      let requested = 0;
      let ended = false;
      const request = () => {
        const max = Math.min(groupSize, perEpoch ? perEpoch - requested : groupSize);
        if (max <= 0) return;
        const first = requested;
        requested += max;
        const p = tail.then(async (): Promise<Group> => {
          if (ended) return { runs: [], batches: 0, done: true };
          const g = await pullGroup(it, max, model, first, fn, pool, source.owned);
          if (g.done) ended = true;
          return g;
        });
        tail = p;
        queue.push(p);
      };
      for (let a = 0; a < GROUPS_AHEAD; a++) request();
      try {
        while (queue.length) {
          const group: Group = await (queue.shift() as Promise<Group>);
          batch += group.batches;
          if (group.done && perEpoch) exhausted = true;
          if (!group.done) request();
          if (group.batches === 0 && group.error !== undefined) throw group.error;
          if (group.batches === 0) break;
          checkAbort(opts.signal, epoch, trained);
          for (const r of group.runs) {
            const { size, n } = r;
            const data = datasets.fill(
              r.inputs.map((a) => a.subarray(0, n * (a.length / r.rows))),
              r.targets.map((a) => a.subarray(0, n * (a.length / r.rows))),
              n,
            );
            pool.give(r.inputs);
            pool.give(r.targets);
            const order = identity(n);
            for (let b0 = 0; b0 < r.sizes.length; ) {
              const stats = await trainRun(runner, data, order.subarray(b0 * size), size, model, (n - b0 * size) * paramCount < SYNC_MAX_WORK);
              const done = stats.nonFiniteBatch >= 0 ? stats.nonFiniteBatch : r.sizes.length - b0;
              for (let i = 0; i < done; i++) {
                const bs = r.sizes[b0 + i];
                lossSum += stats.losses[i] * bs;
                for (let o = 0; o < k; o++) {
                  outSums[o] += stats.outputLosses[i * k + o] * bs;
                  correct[o] += stats.correct[i * k + o];
                }
                counted += bs;
                if (!live() && !batchCallbacks) continue;
                const logs: BatchLogs = { loss: stats.losses[i], correct: stats.correct[i * k], size: bs };
                if (live()) progress?.batchEnd(epoch, trained + i + 1, logs);
                for (const c of callbacks) await c.onBatchEnd?.(trained + i, logs, model);
              }
              model.step += done;
              trained += done;
              if (stats.nonFiniteBatch < 0) break;
              if (nanGuard) throw nonFiniteError(epoch, trained, model.learningRate);
              trained++; // the skipped batch
              b0 += done + 1;
            }
          }
          // The source failed after these batches: the model keeps what they trained.
          if (group.error !== undefined) throw group.error;
        }
      } finally {
        await Promise.all(queue); // pulls never reject
        if (!perEpoch) await it.it.return?.();
      }
      if (batch === 0) {
        if (epoch === 0 || !perEpoch)
          throw new OxnetError(
            'E_DATA',
            `${fn}: the source gave no batches in epoch ${epoch}${epoch > 0 ? ' (a generator object can be read once: pass a function that returns a new one, or a DataSource)' : ''}`,
          );
        break;
      }
      model.epochsTrained++;
      const logs: EpochLogs = { loss: counted ? lossSum / counted : Number.NaN, lr };
      metricLogs(
        logs,
        names,
        compiled.metrics,
        outSums.map((s) => (counted ? s / counted : Number.NaN)),
        correct,
        counted,
      );
      if (valArrays) evalLogs(logs, names, compiled.metrics, model.evaluatePrepared(valArrays), true);
      if (valSource) evalLogs(logs, names, compiled.metrics, await runEvaluateDataset(model, valSource), true);
      delete (logs as Record<string, unknown>).lr;
      logs.lr = lr;
      history.record(epoch, logs);
      progress?.epochEnd(epoch, logs, counted);
      for (const c of callbacks) await c.onEpochEnd?.(epoch, logs, model);
      if (stopBelow !== undefined && logs.loss < stopBelow) model.stopTraining = true;
      if (knownBatches === undefined) {
        knownBatches = trained;
        progress = progressFor(knownBatches);
        shown.progress = progress;
      }
      epoch++;
    }
  } finally {
    await (shared as Reader | null)?.it.return?.(); // closes the files of a batchesPerEpoch pass
  }
  for (const c of callbacks) await c.onTrainEnd?.({ epochs: epoch }, model);
  return history;
}

async function trainRun(runner: NetworkRunner, data: Dataset, order: Uint32Array, size: number, model: Trainable, sync: boolean): Promise<TrainStats> {
  if (!sync) return runner.train(data, order, size, model.learningRate, model.step);
  const stats = runner.trainSync(data, order, size, model.learningRate, model.step);
  await new Promise<void>((r) => setImmediate(r)); // a turn for the event loop, as the async call gives
  return stats;
}

/** evaluate over every batch of one pass of `source`: the figures weighted by each batch's samples. */
export async function runEvaluateDataset(model: Trainable, sourceIn: unknown): Promise<EvalResult> {
  const fn = 'evaluateDataset';
  const source = asSource(sourceIn, fn);
  if (!model.compiled) throw new OxnetError('E_STATE', `${fn}: compile the model first (it needs the loss)`);
  const names = model.outputNames;
  const sums = names.map(() => ({ loss: 0, accuracy: 0, misclassified: 0, mse: 0 }));
  let total = 0;
  let n = 0;
  let i = 0;
  for await (const el of source) {
    const r = model.evaluatePrepared(prepareBatch(model, el, i++, fn));
    const c = r.count;
    total += r.loss * c;
    names.forEach((name, o) => {
      const e = r.outputs[name];
      sums[o].loss += e.loss * c;
      sums[o].accuracy += e.accuracy * c;
      sums[o].misclassified += e.misclassified;
      sums[o].mse += e.mse * c;
    });
    n += c;
  }
  if (n === 0) throw new OxnetError('E_DATA', `${fn}: the source gave no batches`);
  const outputs = Object.fromEntries(
    names.map((name, o) => [
      name,
      { loss: sums[o].loss / n, accuracy: sums[o].accuracy / n, misclassified: sums[o].misclassified, mse: sums[o].mse / n, count: n },
    ]),
  );
  return { ...outputs[names[0]], loss: total / n, outputs };
}

/**
 * predict over every batch of one pass of `source`, outputs joined in order. An element is the
 * model's input(s), or a batch { x } / { x, y } (y is ignored).
 */
export async function runPredictDataset(model: StreamModel, sourceIn: unknown): Promise<Float32Array | Float32Array[]> {
  const source = asSource(sourceIn, 'predictDataset');
  const parts: Float32Array[][] = [];
  for await (const el of source) {
    const batchLike = arg.isPlainObject(el) && 'x' in el && Object.keys(el).every((key) => key === 'x' || key === 'y') && !model.inputNames.includes('y');
    const out = await model.predictAsync((batchLike ? el.x : el) as Data);
    parts.push(Array.isArray(out) ? out : [out]);
  }
  if (parts.length === 0) throw new OxnetError('E_DATA', 'predictDataset: the source gave no batches');
  const outs = parts[0].map((_, o) => concat(parts.map((p) => p[o])));
  return outs.length === 1 ? outs[0] : outs;
}
