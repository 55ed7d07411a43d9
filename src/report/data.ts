// Everything the report shows, gathered from the model, its History, the training log and the
// test set into one plain object (embedded in the page as JSON; the page only draws it).
import { cpus } from 'node:os';
import { getThreads } from '../backend/threads';
import type { Model } from '../model/model';
import type { History } from '../model/history';
import { summaryRows, type SummaryRow } from '../model/summary';
import type { TensorLike } from '../model/tensors';
import type { TrainingLog } from '../training/trainingLog';
import { type AutoencoderSection, autoencoderSection, type ClassifierSection, classifierSection, type RegressorSection, regressorSection } from './analysis';
import { batchCurve, type BatchCurve, type Curves, historyCurves } from './curves';
import { type Filters, firstConvFilters, imageShape } from './images';
import { modelKind, type ReportKind } from './kind';

export interface ReportInput {
  model: Model;
  history: History;
  /** Test data: the confusion matrix, scatter or reconstructions are computed on it. */
  test?: { x: TensorLike; y: TensorLike };
  /** A trainingLog() that was among fit's callbacks: per-batch loss, time, samples/s. */
  log?: TrainingLog;
  /** Class names, in output order (default 0, 1, ...). */
  classNames?: string[];
  /** Overrides the kind read from the model's loss, metrics and shapes. */
  kind?: ReportKind;
  /** [h, w, c] of a flat input that is an image (e.g. [28, 28, 1] for an MLP on MNIST). */
  imageShape?: [number, number, number];
  /** The page's heading (default: the model's name, or 'oxnet training report'). */
  title?: string;
}

export interface ReportData {
  title: string;
  /** null: a model with several inputs or outputs (no test section). */
  kind: ReportKind | null;
  /** [label, value] pairs shown under the heading and in the run table. */
  headline: [string, string][];
  facts: [string, string][];
  curves: Curves;
  batches: BatchCurve | null;
  layers: SummaryRow[];
  inputs: { name: string; shape: number[] }[];
  outputs: number;
  totalParams: number;
  classifier: ClassifierSection | null;
  regressor: RegressorSection | null;
  autoencoder: AutoencoderSection | null;
  filters: Filters | null;
}

const VERSION = (require('../../package.json') as { version: string }).version;

function seconds(s: number): string {
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - 60 * m)} s`;
}

function optimizerText(o: NonNullable<Model['compileConfig']>['optimizer']): string {
  const name = o.kind === 'adam' ? (o.decoupled ? 'AdamW' : 'Adam') : 'SGD';
  const extra = o.kind === 'sgd' && o.momentum ? `, momentum ${o.momentum}` : '';
  return `${name} (lr ${o.lr}${extra})`;
}

export function gatherReport(input: ReportInput): ReportData {
  const { model, history } = input;
  const g = model.graph;
  const compiled = model.compiled!;
  const config = model.compileConfig!;
  const single = g.inputs.length === 1 && g.outputs.length === 1;
  const prepared = input.test && single ? model.prepare(input.test.x, input.test.y, ['test.x', 'test.y']) : null;
  const testXY = prepared ? { x: prepared.inputs[0], y: prepared.targets[0] } : undefined;
  const kind = input.kind ?? (single ? modelKind({ compiled, inputShape: [...g.inputs[0].shape], outputShape: [...g.outputs[0].shape], test: testXY }) : null);
  const image = single ? imageShape(g, input.imageShape) : null;

  let classifier: ClassifierSection | null = null;
  let regressor: RegressorSection | null = null;
  let autoencoder: AutoencoderSection | null = null;
  const headline: [string, string][] = [];
  if (prepared && testXY) {
    const pred = model.predict(input.test!.x) as Float32Array;
    const width = g.outputs[0].size;
    if (kind === 'classifier') {
      classifier = classifierSection(pred, testXY.y, width, { classNames: input.classNames, images: image ? { x: testXY.x, shape: image } : null });
      headline.push(['test accuracy', classifier.accuracy.toFixed(4)], ['misclassified', `${classifier.misclassified} of ${classifier.count}`]);
    } else if (kind === 'regressor') {
      regressor = regressorSection(pred, testXY.y, width);
      headline.push(['test R²', regressor.columns[0].r2.toFixed(4)], ['test MAE', regressor.columns[0].mae.toPrecision(4)]);
    } else {
      autoencoder = autoencoderSection(pred, testXY.y, width, image);
      headline.push(['test reconstruction MSE', autoencoder.mse.toPrecision(4)]);
    }
    headline.push(['test loss', model.evaluate(input.test!.x, input.test!.y).loss.toPrecision(4)]);
  }

  const record = input.log?.of(model);
  const epochs = history.epoch.length;
  headline.unshift(['epochs', String(epochs)]);
  if (record && record.seconds > 0) headline.push(['training time', seconds(record.seconds)]);

  const native = model.backendNameInUse === 'native';
  const facts: [string, string][] = [
    ['oxnet', VERSION],
    ['backend', model.backendNameInUse],
    ['threads', native ? String(getThreads()) : '1 (the js backend runs on the calling thread)'],
    ['seed', String(model.seed)],
    ['loss', config.losses.join(', ')],
    ['optimizer', optimizerText(config.optimizer)],
    ['parameters', model.parameterCount.toLocaleString('en-US')],
    ['epochs', String(epochs)],
  ];
  if (record) {
    facts.push(
      ['batches', record.batchLoss.length.toLocaleString('en-US')],
      ['samples trained', record.samples.toLocaleString('en-US')],
      ['time in fit', seconds(record.seconds)],
      ['samples/s', record.seconds > 0 ? Math.round(record.samples / record.seconds).toLocaleString('en-US') : '-'],
    );
  } else facts.push(['time, samples/s', 'not recorded (add trainingLog() to the fit callbacks)']);
  if (prepared) facts.push(['test samples', prepared.n.toLocaleString('en-US')]);
  facts.push(['CPU', `${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores)`], ['Node.js', process.version], ['written', new Date().toISOString()]);

  return {
    title: input.title ?? model.name ?? 'oxnet training report',
    kind,
    headline,
    facts,
    curves: historyCurves(history.epoch, history.history),
    batches: record ? batchCurve(record) : null,
    layers: summaryRows(g),
    inputs: g.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })),
    outputs: g.outputs.length,
    totalParams: model.parameterCount,
    classifier,
    regressor,
    autoencoder,
    filters: firstConvFilters(g, model.getWeights()),
  };
}
