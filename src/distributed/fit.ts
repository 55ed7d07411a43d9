// fit over an MPI world (fit's `distributed` option), as Horovod does it: every rank holds the
// whole data set and takes its share of each global batch (the same seeded order on every rank,
// so the ranks together see exactly the batches one process with the same batchSize would),
// computes the mean gradient of its share, and one allreduce over one flat buffer of all the
// gradients sums them; divided by the world size, every rank applies the same update. Rank 0's
// initial weights, state and optimizer moments are broadcast first. Batch-norm running
// statistics stay local to each rank (as Horovod's and PyTorch DDP's default); dropout masks
// differ by rank. Callbacks and progress run on rank 0 only; the learning rate and stopTraining
// they set travel to the other ranks with each step's statistics.
import { OxnetError, showValue } from '../errors';
import { beginFit, endFit } from '../model/checkpoint';
import { checkFitOptions, evalLogs, type FitOptions, metricLogs, nonFiniteError, subset, type Trainable, validationSplitIndices } from '../model/fit';
import { History } from '../model/history';
import type { EpochLogs } from '../model/callbacks';
import { deriveSeed, SeedPurpose } from '../model/seeds';
import { gatherRows, type Prepared } from '../model/tensors';
import { shuffledIndices } from '../random';
import { FitProgress } from '../training/progress';
import { evaluatePreparedDistributed, shardRange } from './evaluate';
import { broadcastModel, checkSameData, DistributedStep, endEpochOnRanks } from './step';
import { isWorld } from './world';

/** fit options a distributed fit refuses: each would need every rank to agree on something only one rank knows. */
const REFUSED = ['resumeFrom', 'signal'] as const;

type Data = Parameters<Trainable['prepare']>[0];

export async function distributedFit(model: Trainable, xIn: Data, yIn: Data, opts: FitOptions & { distributed?: unknown }): Promise<History> {
  checkFitOptions(opts);
  const world = opts.distributed;
  if (!isWorld(world)) throw new OxnetError('E_ARG', `fit distributed must be the world from \`await distributed()\`, got ${showValue(world)}`);
  for (const key of REFUSED)
    if (opts[key] !== undefined) throw new OxnetError('E_CONFIG', `fit: ${key} is not supported with distributed (every rank must take the same decisions)`);
  const compiled = model.compiled;
  if (!compiled) throw new OxnetError('E_STATE', 'fit: compile the model first');
  const int = (v: unknown, name: string, min: number) => {
    if (!Number.isInteger(v) || (v as number) < min) throw new OxnetError('E_ARG', `fit ${name} must be an integer >= ${min}, got ${showValue(v)}`);
    return v as number;
  };
  const epochs = int(opts.epochs ?? 1, 'epochs', 1);
  const batchSize = int(opts.batchSize ?? 32, 'batchSize', 1);
  const initialEpoch = int(opts.initialEpoch ?? 0, 'initialEpoch', 0);
  const seed = opts.seed ?? model.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new OxnetError('E_ARG', `fit seed must be an integer in [0, 2^32), got ${showValue(seed)}`);
  if (opts.clipNorm !== undefined && !(typeof opts.clipNorm === 'number' && Number.isFinite(opts.clipNorm) && opts.clipNorm > 0))
    throw new OxnetError('E_ARG', `fit clipNorm must be a finite number > 0, got ${showValue(opts.clipNorm)}`);
  const lead = world.rank === 0;
  const callbacks = !lead || opts.callbacks === undefined ? [] : Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks];

  const all = model.prepare(xIn, yIn);
  if (all.n === 0) throw new OxnetError('E_ARG', 'fit: x has no samples');
  let train = all;
  let val: Prepared | null = null;
  if (opts.validationData !== undefined) {
    if (!Array.isArray(opts.validationData) || opts.validationData.length !== 2) throw new OxnetError('E_ARG', 'fit validationData must be [x, y]');
    val = subset(model.prepare(opts.validationData[0], opts.validationData[1], ['validationData[0]', 'validationData[1]']));
  } else if (opts.validationSplit !== undefined) {
    const split = validationSplitIndices(all.n, opts.validationSplit, seed);
    train = subset(all, split.train);
    val = subset(all, split.val);
  }
  const n = train.n;
  const names = model.outputNames;
  const k = names.length;
  const anyMse = compiled.metrics.some((m) => m.has('mse'));
  // Rank 0's dropout stream is a single process's; the others' are their own.
  const runner = model.trainingRunner(deriveSeed(seed, SeedPurpose.dropout, world.rank), opts.clipNorm);
  checkSameData(world, n, model.parameterCount);
  broadcastModel(world, runner);

  const history = new History();
  const batches = Math.ceil(n / batchSize);
  const verbose = opts.verbose ?? 0;
  const progress =
    lead && verbose !== 0
      ? new FitProgress(opts.progressStream ?? process.stdout, { epochs, batches, samples: n, verbose, accuracy: k === 1 && compiled.metrics[0].has('acc') })
      : null;
  const step = new DistributedStep(world, runner, model, k);
  const run = { seed, epoch: initialEpoch, batchSize, shuffle: opts.shuffle !== false, samples: n, callbacks };
  beginFit(model, run);
  try {
    model.stopTraining = false;
    for (const c of callbacks) await c.onTrainBegin?.(model);
    let epoch = initialEpoch;
    while (epoch < epochs && !model.stopTraining) {
      for (const c of callbacks) await c.onEpochBegin?.(epoch, model);
      progress?.epochBegin();
      const order = opts.epochOrder
        ? opts.epochOrder(epoch)
        : opts.shuffle === false
          ? Uint32Array.from({ length: n }, (_, i) => i)
          : shuffledIndices(n, deriveSeed(seed, SeedPurpose.epochShuffle, model.epochsTrained));
      if (!(order instanceof Uint32Array) || order.length !== n)
        throw new OxnetError('E_ARG', `epochOrder(${epoch}) must return a Uint32Array of ${n} indices`);
      let lr = model.learningRate;
      const sums = new Float64Array(2 * k + 2);
      for (let b = 0; b < batches; b++) {
        const batch = order.subarray(b * batchSize, Math.min((b + 1) * batchSize, n));
        const [lo, hi] = shardRange(batch.length, world.rank, world.size);
        const local = batch.subarray(lo, hi);
        const rows = (a: Float32Array) => gatherRows(a, a.length / n, local);
        const inputs = train.inputs.map(rows);
        const targets = train.targets.map((t) => {
          const i = train.inputs.indexOf(t);
          return i >= 0 ? inputs[i] : rows(t);
        });
        const stats = step.run({ inputs, targets, n: local.length }, batch.length, true, lr);
        lr = stats[2 * k + 3];
        if (stats[2 * k + 2] > 0) {
          if (opts.nanGuard ?? true) throw nonFiniteError(epoch, b, lr);
          continue; // every rank skips the batch
        }
        for (let i = 0; i < 2 * k + 2; i++) sums[i] += stats[i];
        const count = stats[2 * k + 1];
        if (progress?.perBatch) progress.batchEnd(epoch, b + 1, { loss: stats[0] / count, correct: stats[1 + k], size: count });
        for (const c of callbacks) await c.onBatchEnd?.(b, { loss: stats[0] / count, correct: stats[1 + k], size: count }, model);
        lr = model.learningRate;
      }
      model.epochsTrained++;
      run.epoch = epoch + 1;
      const counted = sums[2 * k + 1];
      const logs: EpochLogs = { loss: counted ? sums[0] / counted : NaN, lr };
      metricLogs(
        logs,
        names,
        compiled.metrics,
        Array.from({ length: k }, (_, o) => (counted ? sums[1 + o] / counted : NaN)),
        sums.subarray(1 + k, 1 + 2 * k),
        counted,
      );
      if (anyMse) evalLogs(logs, names, compiled.metrics, evaluatePreparedDistributed(model, train, world), false);
      if (val) evalLogs(logs, names, compiled.metrics, evaluatePreparedDistributed(model, val, world), true);
      await endEpochOnRanks({ epoch, logs, lr, history, progress, callbacks, model, world, stopBelowLoss: opts.stopBelowLoss });
      epoch++;
    }
    for (const c of callbacks) await c.onTrainEnd?.({ epochs: epoch }, model);
    return history;
  } finally {
    progress?.stop();
    endFit(model);
  }
}
