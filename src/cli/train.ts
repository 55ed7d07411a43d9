// `oxnet train`: the course's recipe on a CSV file. Normalize (fit on the training split only),
// split into train / validation / test, try the hidden sizes on the validation set, test once,
// save the model with its normalizer; column names, task and class names go in the normalizer's meta.
import { basename } from 'node:path';
import { loadCsv, type CsvDataset } from '../data/csv';
import { normalizerFitter, withMeta, zscore, type Normalizer } from '../data/normalize';
import { trainValTestSplit, type SplitPart } from '../data/split';
import { OxnetError } from '../errors';
import { saveModel } from '../model/files';
import { dense } from '../layers/dense';
import { meanAbsoluteError, rSquared } from '../metrics';
import type { Callback } from '../model/callbacks';
import { Sequential } from '../model/sequential';
import { earlyStopping, progressLogger } from '../training/callbacks';
import { selectModel, selectionTable } from '../training/selection';
import { trainingLog } from '../training/trainingLog';
import { writeReport } from '../report';
import type { TrainArgs } from './args';

export interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** What predict needs to read a CSV the way training did (stored as the normalizer's meta). */
export interface ModelCard {
  task: CsvDataset['task'];
  features: string[];
  targets: string[];
  classes?: string[];
  /** Regression: the targets were z-scored for training; predictions are mapped back. */
  targetNormalizer?: object;
}

function buildModel(args: TrainArgs, inputSize: number, outputSize: number, normalizer: Normalizer) {
  return (hidden: number[], seed: number): Sequential => {
    const model = new Sequential({ seed });
    let inputShape: number[] | undefined = [inputSize];
    for (const units of hidden) {
      model.add(dense({ units, activation: args.activation, inputShape }));
      inputShape = undefined;
    }
    if (args.task === 'classification') {
      model.add(dense({ units: outputSize, activation: 'softmax', inputShape }));
      model.compile({ loss: 'categoricalCrossentropy', optimizer: { kind: 'adam', lr: args.lr }, metrics: ['accuracy'] });
    } else {
      // autoencoder on [0, 1] (minmax) data: a sigmoid output matches the range
      const out = args.task === 'autoencoder' && normalizer.kind === 'minmax' ? 'sigmoid' : 'linear';
      model.add(dense({ units: outputSize, activation: out, inputShape }));
      model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: args.lr } });
    }
    model.setNormalizer(normalizer);
    return model;
  };
}

export async function runTrain(args: TrainArgs, io: Output): Promise<void> {
  const data = loadCsv(args.data, { task: args.task, target: args.target });
  const minimum = 10;
  if (data.count < minimum) throw new OxnetError('E_DATA', `'${args.data}' has ${data.count} data rows; train needs at least ${minimum}`);
  const split = trainValTestSplit(data.x, data.y, { count: data.count, fractions: args.split, seed: args.seed, stratify: args.task === 'classification' });
  const inputNorm = normalizerFitter(args.normalize).fit(split.train.x, split.train.count, data.inputSize);

  // Targets as the network sees them: regression z-scored, autoencoder normalized like the input.
  let targetNorm: Normalizer | undefined;
  let targets = (part: SplitPart) => part.y;
  if (args.task === 'regression') {
    const tn = zscore().fit(split.train.y, split.train.count, data.targetSize);
    targetNorm = tn;
    targets = (part) => tn.transform(part.y, part.count);
  } else if (args.task === 'autoencoder') {
    targets = (part) => inputNorm.transform(part.x, part.count);
  }
  const card: ModelCard = {
    task: args.task,
    features: data.featureNames,
    targets: data.targetNames,
    ...(data.classNames ? { classes: data.classNames } : {}),
    ...(targetNorm ? { targetNormalizer: targetNorm.toJSON() } : {}),
  };
  const normalizer = withMeta(inputNorm, card as unknown as Record<string, unknown>);
  const build = buildModel(args, data.inputSize, data.task === 'autoencoder' ? data.inputSize : data.targetSize, normalizer);
  // One set of callbacks for every restart: each fit's onTrainBegin resets them, and the hooks
  // receive the model being trained.
  const callbacks: Callback[] = [earlyStopping({ patience: args.patience, restoreBestWeights: true })];
  const log = args.report ? trainingLog() : undefined;
  if (log) callbacks.push(log);
  if (!args.quiet) callbacks.push(progressLogger({ epochs: args.epochs, every: Math.max(1, Math.floor(args.epochs / 10)), write: io.err }));
  const configs = args.search ?? [args.hidden];
  let run = 0;
  io.out(`${data.count} rows: ${split.train.count} train, ${split.val.count} validation, ${split.test.count} test; ${data.inputSize} features`);
  const result = await selectModel({
    configs,
    build: (hidden, seed) => {
      const model = build(hidden, seed);
      const restart = (run++ % args.restarts) + 1;
      if (!args.quiet) io.err(`training hidden ${hidden.join(',') || 'none'}, restart ${restart}/${args.restarts}`);
      return model;
    },
    train: { x: split.train.x, y: targets(split.train) },
    val: { x: split.val.x, y: targets(split.val) },
    test: split.test.count > 0 ? { x: split.test.x, y: targets(split.test) } : undefined,
    restarts: args.restarts,
    seed: args.seed,
    fitArgs: { epochs: args.epochs, batchSize: args.batchSize, callbacks },
    label: (hidden) => (hidden.length ? hidden.join(',') : 'none'),
  });
  if (configs.length > 1) io.out(selectionTable(result, { accuracy: args.task === 'classification' }));
  const model = result.best.model;
  io.out(`selected hidden layers: ${result.best.label}`);
  if (result.test) reportTest(args, model, split.test, result.test, targetNorm, io);
  saveModel(model, args.out);
  io.out(`saved model to ${args.out}`);
  if (args.report) {
    const task = args.task === 'autoencoder' ? 'autoencoder' : `${args.task} of ${data.targetNames.join(', ')}`;
    writeReport(args.report, {
      model,
      history: result.best.history,
      ...(split.test.count > 0 ? { test: { x: split.test.x, y: targets(split.test) } } : {}),
      log,
      ...(data.classNames ? { classNames: data.classNames } : {}),
      kind: args.task === 'classification' ? 'classifier' : args.task === 'regression' ? 'regressor' : 'autoencoder',
      title: `oxnet train ${basename(args.data)}: ${task}, hidden ${result.best.label}`,
    });
    io.out(`wrote the report to ${args.report}`);
  }
}

function reportTest(
  args: TrainArgs,
  model: Sequential,
  test: SplitPart,
  scores: { loss: number; accuracy: number; misclassified: number; mse: number },
  targetNorm: Normalizer | undefined,
  io: Output,
): void {
  if (args.task === 'classification') {
    io.out(`test accuracy: ${scores.accuracy.toFixed(4)} (${scores.misclassified} of ${test.count} misclassified)`);
    return;
  }
  if (args.task === 'autoencoder') {
    io.out(`test reconstruction MSE (normalized units): ${scores.mse.toFixed(6)}`);
    return;
  }
  const width = test.y.length / test.count;
  const pred = targetNorm!.inverseTransform(model.predict(test.x), test.count);
  io.out(`test R^2: ${rSquared(pred, test.y, width).toFixed(4)}, MAE: ${meanAbsoluteError(pred, test.y, width).toPrecision(4)}`);
}
