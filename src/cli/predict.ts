// `oxnet predict`: a saved model (with its normalizer and model card) applied to a CSV.
import { writeFileSync } from 'node:fs';
import { loadCsv } from '../data/csv';
import { normalizerFromJSON } from '../data/normalize';
import { OxnetError } from '../errors';
import { loadModel } from '../model/files';
import { predictedClasses } from '../metrics';
import type { PredictArgs } from './args';
import { toCsv } from './output';
import type { ModelCard, Output } from './train';

function readCard(meta: Record<string, unknown> | undefined, path: string): ModelCard {
  const card = meta as Partial<ModelCard> | undefined;
  const ok =
    card !== undefined &&
    (card.task === 'classification' || card.task === 'regression' || card.task === 'autoencoder') &&
    Array.isArray(card.features) &&
    Array.isArray(card.targets) &&
    (card.task !== 'classification' || Array.isArray(card.classes));
  if (!ok) throw new OxnetError('E_FORMAT', `'${path}' was not saved by 'oxnet train' (no column description in it)`);
  return card as ModelCard;
}

export async function runPredict(args: PredictArgs, io: Output): Promise<void> {
  const model = loadModel(args.model);
  if (model.outputNames.length !== 1)
    throw new OxnetError('E_ARG', `predict: ${args.model} has ${model.outputNames.length} outputs; the command line predicts one`);
  const card = readCard(model.getNormalizer()?.meta, args.model);
  // only the feature columns are read: a target column, if present, is ignored
  const data = loadCsv(args.data, { task: 'autoencoder', features: card.features });
  const outputs = (await model.predictAsync(data.x)) as Float32Array;
  const width = outputs.length / Math.max(data.count, 1);
  let header: string[];
  let rows: (string | number)[][];
  if (card.task === 'classification') {
    const classes = card.classes!;
    const labels = predictedClasses(outputs, width);
    header = [card.targets[0], ...classes.map((c) => `p(${c})`)];
    rows = Array.from(labels, (k, i) => [classes[k], ...Array.from(outputs.subarray(i * width, (i + 1) * width))]);
  } else {
    // back to the data's units: the target normalizer (regression) or the input one (autoencoder)
    const back = card.task === 'regression' ? normalizerFromJSON(card.targetNormalizer) : model.getNormalizer()!;
    const values = back.inverseTransform(outputs, data.count);
    header = card.task === 'regression' ? card.targets : card.features;
    rows = Array.from({ length: data.count }, (_, i) => Array.from(values.subarray(i * width, (i + 1) * width)));
  }
  const text = toCsv(header, rows);
  if (args.out) {
    writeFileSync(args.out, text);
    io.err(`wrote ${data.count} predictions to ${args.out}`);
  } else {
    io.out(text.trimEnd());
  }
}
