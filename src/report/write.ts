// writeReport(path, { model, history, test }): the training report as one self-contained HTML
// file, its arguments checked first and the file written atomically.
import { readFileSync } from 'node:fs';
import * as arg from '../args';
import { OxnetError } from '../errors';
import { History } from '../model/history';
import { Model } from '../model/model';
import { gatherReport, type ReportInput } from './data';
import { renderReport } from './html';
import { writeFileAtomic } from '../io/save';

const KEYS = ['model', 'history', 'test', 'log', 'classNames', 'kind', 'imageShape', 'title'] as const;
const KINDS = ['classifier', 'regressor', 'autoencoder'];

/** uPlot's browser build, stylesheet and license, read from the installed package (inlined: no network). */
function uplotFiles(): { js: string; css: string; license: string } {
  try {
    return {
      js: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
      license: readFileSync(require.resolve('uplot/LICENSE'), 'utf8'),
    };
  } catch (e) {
    throw new OxnetError('E_IO', `writeReport: cannot read the uPlot package (a dependency of oxnet; reinstall it): ${(e as Error).message}`, { cause: e });
  }
}

function checkInput(opts: unknown): ReportInput {
  const o = arg.options(opts, 'writeReport', { required: true, keys: KEYS });
  if (!(o.model instanceof Model)) throw new OxnetError('E_ARG', `writeReport: model must be an oxnet Model or Sequential, got ${arg.describe(o.model)}`);
  if (!o.model.isCompiled) throw new OxnetError('E_STATE', 'writeReport: compile and train the model first');
  if (!(o.history instanceof History)) throw new OxnetError('E_ARG', `writeReport: history must be the History fit returned, got ${arg.describe(o.history)}`);
  const model = o.model;
  const g = model.graph;
  if (o.test !== undefined) {
    if (!arg.isPlainObject(o.test) || !('x' in o.test) || !('y' in o.test))
      throw new OxnetError('E_ARG', `writeReport: test must be { x, y }, got ${arg.describe(o.test)}`);
    if (g.inputs.length !== 1 || g.outputs.length !== 1) {
      throw new OxnetError(
        'E_ARG',
        `writeReport: test needs a model with one input and one output, this one has ${g.inputs.length} and ${g.outputs.length}; leave test out`,
      );
    }
  }
  if (o.log !== undefined && !(arg.isPlainObject(o.log) && typeof o.log.of === 'function')) {
    throw new OxnetError('E_ARG', `writeReport: log must be a trainingLog() callback, got ${arg.describe(o.log)}`);
  }
  if (o.kind !== undefined && !KINDS.includes(o.kind as string))
    throw new OxnetError('E_ARG', `writeReport: kind must be one of ${KINDS.join(', ')}, got ${arg.describe(o.kind)}`);
  if (o.title !== undefined) arg.string(o.title, 'writeReport: title');
  if (o.classNames !== undefined) {
    const classes = Math.max(g.outputs[0].size, 2);
    if (!Array.isArray(o.classNames) || o.classNames.length !== classes || !o.classNames.every((c) => typeof c === 'string')) {
      throw new OxnetError('E_ARG', `writeReport: classNames must be ${classes} strings (one per class of the output), got ${arg.describe(o.classNames)}`);
    }
  }
  if (o.imageShape !== undefined) {
    const s = o.imageShape;
    const size = g.inputs[0].size;
    if (!Array.isArray(s) || s.length !== 3 || !s.every((d) => Number.isInteger(d) && d > 0) || s[0] * s[1] * s[2] !== size || ![1, 3].includes(s[2])) {
      throw new OxnetError(
        'E_ARG',
        `writeReport: imageShape must be [height, width, 1 or 3] with ${size} values in all (the input's size), got ${arg.describe(s)}`,
      );
    }
  }
  return o as unknown as ReportInput;
}

/**
 * Writes a training report to `path`: one HTML file that opens offline in any browser, with the
 * loss and metric curves (training, validation), the per-batch loss and the time (with a
 * trainingLog() among fit's callbacks), the learning rate, the test set's confusion matrix and
 * per-class scores (classifiers), predicted against true (regressors) or reconstructions
 * (autoencoders), misclassified images and the first convolution's filters (image inputs), the
 * layer table and the run's facts. Returns the path written.
 */
export function writeReport(path: string, opts: ReportInput): string {
  arg.path(path, 'writeReport');
  const input = checkInput(opts);
  const html = renderReport(gatherReport(input), uplotFiles());
  writeFileAtomic(path, Buffer.from(html, 'utf8'), 'writeReport');
  return path;
}
