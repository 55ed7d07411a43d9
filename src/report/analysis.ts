// The test-set part of the report, from predictions and targets (flat rows of `width`):
// classifiers get the confusion matrix, per-class scores and their worst mistakes; regressors
// predicted against true per output; autoencoders reconstructions beside their inputs.
import { confusionMatrix, meanAbsoluteError, perClassScores, predictedClasses, reconstructionErrors, rSquared, type ClassScores } from '../metrics';
import { type EncodedImage, range, sampleImage } from './images';

export interface ImageSet {
  /** The prepared test inputs, NHWC. */
  x: Float32Array;
  shape: [number, number, number];
}

export interface Mistake {
  index: number;
  truth: number;
  predicted: number;
  /** The output for the predicted class (its probability after a softmax or sigmoid). */
  confidence: number;
  image?: EncodedImage;
}

export interface ClassifierSection {
  classes: string[];
  /** matrix[true][predicted]. */
  matrix: number[][];
  scores: ClassScores;
  accuracy: number;
  count: number;
  /** Wrong predictions, the most confident first (at most maxMistakes). */
  mistakes: Mistake[];
  misclassified: number;
  imageShape: [number, number, number] | null;
}

export function classifierSection(
  pred: Float32Array,
  target: Float32Array,
  width: number,
  opts: { classNames?: string[]; images?: ImageSet | null; maxMistakes?: number } = {},
): ClassifierSection {
  const matrix = confusionMatrix(pred, target, width);
  const k = matrix.length;
  const classes = opts.classNames ?? Array.from({ length: k }, (_, c) => String(c));
  const p = predictedClasses(pred, width);
  const t = predictedClasses(target, width);
  const count = p.length;
  const wrong: Mistake[] = [];
  for (let i = 0; i < count; i++) {
    if (p[i] === t[i]) continue;
    const confidence = width === 1 ? (p[i] === 1 ? pred[i] : 1 - pred[i]) : pred[i * width + p[i]];
    wrong.push({ index: i, truth: t[i], predicted: p[i], confidence });
  }
  wrong.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  const mistakes = wrong.slice(0, opts.maxMistakes ?? 48);
  const images = opts.images;
  if (images) {
    const [lo, hi] = range(images.x);
    for (const m of mistakes) m.image = sampleImage(images.x, m.index, images.shape, lo, hi);
  }
  const correct = matrix.reduce((s, row, c) => s + row[c], 0);
  return {
    classes,
    matrix,
    scores: perClassScores(matrix),
    accuracy: count ? correct / count : 0,
    count,
    mistakes,
    misclassified: wrong.length,
    imageShape: images?.shape ?? null,
  };
}

export interface ScatterColumn {
  name: string;
  /** Pairs sorted by the true value (at most MAX_POINTS, evenly picked). */
  truth: number[];
  predicted: number[];
  r2: number;
  mae: number;
}

export interface RegressorSection {
  count: number;
  columns: ScatterColumn[];
}

const MAX_POINTS = 2000;
const MAX_COLUMNS = 6;

/** Rows 0..n-1, or about MAX_POINTS of them evenly spaced. */
function pickRows(n: number, max = MAX_POINTS): number[] {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: max }, (_, i) => Math.floor((i * n) / max));
}

function column(pred: Float32Array, target: Float32Array, width: number, k: number, name: string): ScatterColumn {
  const n = pred.length / width;
  const p = Float32Array.from({ length: n }, (_, i) => pred[i * width + k]);
  const t = Float32Array.from({ length: n }, (_, i) => target[i * width + k]);
  const rows = pickRows(n).sort((a, b) => t[a] - t[b] || a - b);
  return { name, truth: rows.map((i) => t[i]), predicted: rows.map((i) => p[i]), r2: rSquared(p, t), mae: meanAbsoluteError(p, t) };
}

export function regressorSection(pred: Float32Array, target: Float32Array, width: number, names?: string[]): RegressorSection {
  const columns: ScatterColumn[] = [];
  for (let k = 0; k < Math.min(width, MAX_COLUMNS); k++)
    columns.push(column(pred, target, width, k, names?.[k] ?? (width === 1 ? 'output' : `output ${k + 1}`)));
  return { count: pred.length / width, columns };
}

export interface Reconstruction {
  index: number;
  error: number;
  /** Image inputs: pictures; other inputs: the values. */
  input: EncodedImage | number[];
  output: EncodedImage | number[];
}

export interface AutoencoderSection {
  count: number;
  mse: number;
  /** Every element's reconstruction against its input (sampled). */
  scatter: ScatterColumn;
  /** A few test rows: the first ones, the value range they are drawn with. */
  samples: Reconstruction[];
  range: [number, number];
  imageShape: [number, number, number] | null;
}

export function autoencoderSection(
  pred: Float32Array,
  target: Float32Array,
  width: number,
  shape: [number, number, number] | null,
  samples = 12,
): AutoencoderSection {
  const errors = reconstructionErrors(target, pred, width);
  const n = errors.length;
  const [lo, hi] = range(target);
  const picked: Reconstruction[] = [];
  for (let i = 0; i < Math.min(samples, n); i++) {
    const row = (a: Float32Array) => a.subarray(i * width, (i + 1) * width);
    picked.push({
      index: i,
      error: errors[i],
      input: shape ? sampleImage(target, i, shape, lo, hi) : Array.from(row(target)),
      output: shape ? sampleImage(pred, i, shape, lo, hi) : Array.from(row(pred)),
    });
  }
  const flat = column(pred, target, 1, 0, 'every value');
  const mse = n ? errors.reduce((a, b) => a + b, 0) / n : 0;
  return { count: n, mse, scatter: flat, samples: picked, range: [lo, hi], imageShape: shape };
}
