// Scores for the recipe's "Test" step: classification (accuracy, confusion matrix, precision,
// recall, misclassifications) and regression / reconstruction (MSE, MAE, R^2). Outputs and targets
// are flat row-major arrays of n rows of `width`.
import * as arg from './args';
import { OxnetError } from './errors';

type Values = ArrayLike<number>;

function checkPair(pred: Values, target: Values, width: number, name: string, names = ['pred', 'target']): number {
  arg.numbers(pred, `${name}: ${names[0]}`);
  arg.numbers(target, `${name}: ${names[1]}`);
  arg.positiveCount(width, `${name}: width`);
  if (pred.length !== target.length || pred.length % width !== 0) {
    throw new OxnetError('E_SHAPE', `${name}: pred.length (${pred.length}) and target.length (${target.length}) must be equal multiples of width ${width}`);
  }
  return pred.length / width;
}

/** Class per row: argmax (first maximum) for width > 1, value >= 0.5 for one output. */
export function predictedClasses(values: Values, width: number): Uint32Array {
  arg.numbers(values, 'predictedClasses: values');
  arg.positiveCount(width, 'predictedClasses: width');
  const n = Math.floor(values.length / width);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    if (width === 1) {
      out[i] = values[i] >= 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let k = 1; k < width; k++) if (values[i * width + k] > values[i * width + best]) best = k;
    out[i] = best;
  }
  return out;
}

/** Rows whose predicted class differs from the target's (the course's "number of errors"). */
export function misclassifiedCount(pred: Values, target: Values, width: number): number {
  const n = checkPair(pred, target, width, 'misclassifiedCount');
  const p = predictedClasses(pred, width);
  const t = predictedClasses(target, width);
  let wrong = 0;
  for (let i = 0; i < n; i++) if (p[i] !== t[i]) wrong++;
  return wrong;
}

/** Fraction of rows classified correctly (0 for no rows). */
export function accuracy(pred: Values, target: Values, width: number): number {
  const n = checkPair(pred, target, width, 'accuracy');
  return n === 0 ? 0 : 1 - misclassifiedCount(pred, target, width) / n;
}

/** matrix[true][predicted] counts; `classes` defaults to width (2 for one output). */
export function confusionMatrix(pred: Values, target: Values, width: number, classes?: number): number[][] {
  checkPair(pred, target, width, 'confusionMatrix');
  // Every class a row can have must fit: argmax < width, and 0 or 1 for a single output.
  if (classes === undefined) classes = Math.max(width, 2);
  else arg.integer(classes, 'confusionMatrix: classes', Math.max(width, 2), 1 << 16);
  const p = predictedClasses(pred, width);
  const t = predictedClasses(target, width);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < p.length; i++) m[t[i]][p[i]]++;
  return m;
}

export interface ClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  /** True rows per class. */
  support: number[];
}

/** Per-class precision, recall and F1 from a confusion matrix; an empty denominator gives 0. */
export function perClassScores(confusion: number[][]): ClassScores {
  const k = Array.isArray(confusion) ? confusion.length : -1;
  if (k < 0 || !confusion.every((row) => Array.isArray(row) && row.length === k && row.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
    throw new OxnetError(
      'E_ARG',
      `perClassScores: confusion must be a square array of arrays of finite numbers (confusionMatrix's), got ${arg.describe(confusion)}`,
    );
  }
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  const scores: ClassScores = { precision: [], recall: [], f1: [], support: [] };
  for (let c = 0; c < k; c++) {
    const tp = confusion[c][c];
    const predicted = confusion.reduce((s, row) => s + row[c], 0);
    const actual = confusion[c].reduce((s, v) => s + v, 0);
    const precision = ratio(tp, predicted);
    const recall = ratio(tp, actual);
    scores.precision.push(precision);
    scores.recall.push(recall);
    scores.f1.push(ratio(2 * precision * recall, precision + recall));
    scores.support.push(actual);
  }
  return scores;
}

/** Mean over every element of (pred - target)^2. */
export function meanSquaredError(pred: Values, target: Values, width = 1): number {
  checkPair(pred, target, width, 'meanSquaredError');
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i] - target[i]) ** 2;
  return pred.length === 0 ? 0 : s / pred.length;
}

/** Mean over every element of |pred - target|. */
export function meanAbsoluteError(pred: Values, target: Values, width = 1): number {
  checkPair(pred, target, width, 'meanAbsoluteError');
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i] - target[i]);
  return pred.length === 0 ? 0 : s / pred.length;
}

/**
 * Coefficient of determination 1 - SS_res / SS_tot per output column, averaged over columns
 * (scikit-learn's 'uniform_average'); a constant target column scores 1 if fitted exactly, else 0.
 */
export function rSquared(pred: Values, target: Values, width = 1): number {
  const n = checkPair(pred, target, width, 'rSquared');
  if (n === 0) throw new OxnetError('E_SHAPE', 'rSquared: needs at least one row');
  let total = 0;
  for (let k = 0; k < width; k++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += target[i * width + k];
    mean /= n;
    let ssRes = 0;
    let ssTot = 0;
    for (let i = 0; i < n; i++) {
      ssRes += (target[i * width + k] - pred[i * width + k]) ** 2;
      ssTot += (target[i * width + k] - mean) ** 2;
    }
    total += ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
  }
  return total / width;
}

/** Mean squared reconstruction error of each row (an autoencoder's anomaly score). */
export function reconstructionErrors(input: Values, reconstruction: Values, width: number): Float64Array {
  const n = checkPair(reconstruction, input, width, 'reconstructionErrors', ['reconstruction', 'input']);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < width; k++) s += (reconstruction[i * width + k] - input[i * width + k]) ** 2;
    out[i] = s / width;
  }
  return out;
}

/** Mean over rows of reconstructionErrors: the same as the element-wise MSE. */
export function reconstructionError(input: Values, reconstruction: Values, width: number): number {
  const errs = reconstructionErrors(input, reconstruction, width);
  return errs.length === 0 ? 0 : errs.reduce((a, b) => a + b, 0) / errs.length;
}
