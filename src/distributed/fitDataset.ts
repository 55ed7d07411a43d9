// fitDataset over an MPI world (its `distributed` option): every rank reads the same source, the
// same batches in the same order (a seeded shuffle gives every rank the same order), and takes its
// share of each batch, which is then one global step as in distributed fit (./step.ts). A rank
// whose source ends while the others' go on makes every rank fail with E_MPI, never wait.
// Callbacks and progress run on rank 0 only, as in distributed fit.
import { OxnetError, showValue } from '../errors';
import type { EpochLogs } from '../model/callbacks';
import { evalLogs, metricLogs, nonFiniteError, subset, type Trainable } from '../model/fit';
import { asSource, checkFitDatasetOptions, type FitDatasetOptions, prepareBatch } from '../model/fitDataset';
import { History } from '../model/history';
import { deriveSeed, SeedPurpose } from '../model/seeds';
import type { Prepared } from '../model/tensors';
import { FitProgress } from '../training/progress';
import { evaluatePreparedDistributed, rowsOf, shardRange } from './evaluate';
import { broadcastModel, checkSameData, DistributedStep, endEpochOnRanks } from './step';
import { isWorld, type World } from './world';

/** fitDataset options refused with distributed. */
const REFUSED = ['signal', 'batchesPerEpoch'] as const;

export async function distributedFitDataset(model: Trainable, sourceIn: unknown, optsIn: FitDatasetOptions & { distributed?: World }): Promise<History> {
  const fn = 'fitDataset';
  const opts = checkFitDatasetOptions(optsIn);
  const world = opts.distributed;
  if (!isWorld(world)) throw new OxnetError('E_ARG', `${fn} distributed must be the world from \`await distributed()\`, got ${showValue(world)}`);
  for (const key of REFUSED)
    if (opts[key] !== undefined) throw new OxnetError('E_CONFIG', `${fn}: ${key} is not supported with distributed (every rank must take the same decisions)`);
  const source = asSource(sourceIn, fn);
  const compiled = model.compiled;
  if (!compiled) throw new OxnetError('E_STATE', `${fn}: compile the model first`);
  const epochs = opts.epochs ?? 1;
  if (!Number.isInteger(epochs) || epochs < 1) throw new OxnetError('E_ARG', `${fn} epochs must be an integer >= 1, got ${showValue(epochs)}`);
  const seed = opts.seed ?? model.seed;
  let val: Prepared | null = null;
  if (opts.validationData !== undefined) {
    if (!Array.isArray(opts.validationData) || opts.validationData.length !== 2)
      throw new OxnetError('E_CONFIG', `${fn} validationData must be [x, y] arrays with distributed`);
    val = subset(model.prepare(opts.validationData[0], opts.validationData[1], ['validationData[0]', 'validationData[1]']));
  }
  const lead = world.rank === 0;
  const callbacks = !lead || opts.callbacks === undefined ? [] : Array.isArray(opts.callbacks) ? opts.callbacks : [opts.callbacks];
  const names = model.outputNames;
  const k = names.length;
  const runner = model.trainingRunner(deriveSeed(seed, SeedPurpose.dropout, world.rank), opts.clipNorm);
  checkSameData(world, 1, model.parameterCount);
  broadcastModel(world, runner);
  const step = new DistributedStep(world, runner, model, k);
  const verbose = opts.verbose ?? 0;
  const progress =
    lead && verbose !== 0
      ? new FitProgress(opts.progressStream ?? process.stdout, { epochs, batches: 0, samples: 0, verbose, accuracy: k === 1 && compiled.metrics[0].has('acc') })
      : null;
  const history = new History();
  const empty: Prepared = { inputs: [], targets: [], n: 0 };
  try {
    model.stopTraining = false;
    for (const c of callbacks) await c.onTrainBegin?.(model);
    let epoch = 0;
    while (epoch < epochs && !model.stopTraining) {
      for (const c of callbacks) await c.onEpochBegin?.(epoch, model);
      progress?.epochBegin();
      let lr = model.learningRate;
      const sums = new Float64Array(2 * k + 2);
      let b = 0;
      const it = source[Symbol.asyncIterator]();
      for (;;) {
        const r = await it.next();
        const p = r.done ? empty : prepareBatch(model, r.value, b, fn);
        const [lo, hi] = shardRange(p.n, world.rank, world.size);
        const stats = step.run(rowsOf(p, lo, hi), p.n, !r.done, lr);
        if (stats[2 * k + 5] === 0) break; // every rank's source has ended
        lr = stats[2 * k + 3];
        if (stats[2 * k + 2] > 0) {
          if (opts.nanGuard ?? true) throw nonFiniteError(epoch, b, lr);
          b++;
          continue;
        }
        for (let i = 0; i < 2 * k + 2; i++) sums[i] += stats[i];
        const count = stats[2 * k + 1];
        for (const c of callbacks) await c.onBatchEnd?.(b, { loss: stats[0] / count, correct: stats[1 + k], size: count }, model);
        lr = model.learningRate;
        b++;
      }
      if (b === 0) throw new OxnetError('E_DATA', `${fn}: the source gave no batches in epoch ${epoch}`);
      model.epochsTrained++;
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
      if (val) evalLogs(logs, names, compiled.metrics, evaluatePreparedDistributed(model, val, world), true);
      await endEpochOnRanks({ epoch, logs, lr, samples: counted, history, progress, callbacks, model, world, stopBelowLoss: opts.stopBelowLoss });
      epoch++;
    }
    for (const c of callbacks) await c.onTrainEnd?.({ epochs: epoch }, model);
    return history;
  } finally {
    progress?.stop();
  }
}
