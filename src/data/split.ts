// Train / validation / test splits, k folds and per-epoch orders, all as index permutations
// from the one seeded RNG (mulberry32, docs/kernels.md): the data are gathered once per split,
// never copied per epoch.
import { OxnetError } from '../errors';
import { shuffledIndices as fisherYates } from '../random';

/** Fisher-Yates over 0..n-1 with mulberry32(seed): the order docs/kernels.md and workloads use. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  checkCount(n, 'n');
  return fisherYates(n, seed >>> 0);
}

/** The order epoch `epoch` visits n training samples in: the shuffle seeded with baseSeed + epoch. */
export function epochOrder(n: number, epoch: number, baseSeed = 1000): Uint32Array {
  return shuffledIndices(n, (baseSeed + epoch) >>> 0);
}

/** Consecutive chunks of `order` as views (no copies); the last one may be smaller. */
export function* batches(order: Uint32Array, batchSize: number): Generator<Uint32Array> {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new OxnetError('E_ARG', `batchSize must be a positive integer, got ${batchSize}`);
  }
  for (let start = 0; start < order.length; start += batchSize) yield order.subarray(start, start + batchSize);
}

/** Rows `indices` of a row-major n x width array, in that order (one copy). */
export function gatherRows(data: Float32Array, width: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * width);
  for (let r = 0; r < indices.length; r++) {
    const src = indices[r] * width;
    if (src + width > data.length) {
      throw new OxnetError('E_SHAPE', `gatherRows: row ${indices[r]} is past the end (${data.length / width} rows)`);
    }
    out.set(data.subarray(src, src + width), r * width);
  }
  return out;
}

/** A subset of samples: rows gathered once, plus which original rows they were. */
export interface SplitPart {
  x: Float32Array;
  y: Float32Array;
  count: number;
  indices: Uint32Array;
}

export interface SplitResult {
  train: SplitPart;
  val: SplitPart;
  test: SplitPart;
}

export interface SplitOptions {
  /** Number of samples; x.length / count and y.length / count are the row widths. */
  count: number;
  /** [train, val, test] fractions summing to 1 (default [0.7, 0.15, 0.15]). */
  fractions?: [number, number, number];
  seed?: number;
  /** Keep each class's proportion in every split (class = argmax of y, or y >= 0.5 for one output). */
  stratify?: boolean;
}

/** Class of each row of y: argmax for one-hot rows, threshold 0.5 for a single output. */
export function classLabels(y: Float32Array, count: number): Uint32Array {
  const width = y.length / count;
  const labels = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    if (width === 1) {
      labels[i] = y[i] >= 0.5 ? 1 : 0;
      continue;
    }
    let best = 0;
    for (let k = 1; k < width; k++) if (y[i * width + k] > y[i * width + best]) best = k;
    labels[i] = best;
  }
  return labels;
}

function checkCount(n: number, name: string): void {
  if (!Number.isInteger(n) || n < 0) throw new OxnetError('E_ARG', `${name} must be a non-negative integer, got ${n}`);
}

function checkFractions(fractions: number[]): void {
  const ok =
    fractions.length === 3 &&
    fractions.every((f) => Number.isFinite(f) && f >= 0 && f <= 1) &&
    Math.abs(fractions[0] + fractions[1] + fractions[2] - 1) < 1e-6 &&
    fractions[0] > 0;
  if (!ok) {
    throw new OxnetError('E_ARG', `fractions must be [train, val, test] >= 0 summing to 1 with train > 0, got [${fractions.join(', ')}]`);
  }
}

/** How many of `n` go to train and val (test gets the rest), rounding to nearest. */
function partSizes(n: number, fractions: [number, number, number]): [number, number] {
  const nTrain = Math.round(n * fractions[0]);
  const nVal = Math.min(n - nTrain, Math.round(n * fractions[1]));
  return [nTrain, nVal];
}

/**
 * Splits (x, y) into shuffled train / validation / test parts. Stratified splits assign each class
 * separately, walking the same global shuffle, so each part stays in shuffled (mixed-class) order.
 */
export function trainValTestSplit(x: Float32Array, y: Float32Array, options: SplitOptions): SplitResult {
  const { count, seed = 0, stratify = false } = options;
  const fractions = options.fractions ?? [0.7, 0.15, 0.15];
  checkCount(count, 'count');
  if (count === 0 || x.length % count !== 0 || y.length % count !== 0) {
    throw new OxnetError('E_SHAPE', `x.length (${x.length}) and y.length (${y.length}) must be multiples of count (${count}) > 0`);
  }
  checkFractions(fractions);
  const order = shuffledIndices(count, seed);
  const part = new Uint8Array(count); // 0 train, 1 val, 2 test, per original row
  if (stratify) {
    const labels = classLabels(y, count);
    const byClass = new Map<number, number[]>();
    for (const i of order) {
      const members = byClass.get(labels[i]) ?? [];
      members.push(i);
      byClass.set(labels[i], members);
    }
    for (const members of byClass.values()) assignParts(members, fractions, part);
  } else {
    assignParts(Array.from(order), fractions, part);
  }
  const inputSize = x.length / count;
  const targetSize = y.length / count;
  const pick = (which: number): SplitPart => {
    const indices = Uint32Array.from(Array.from(order).filter((i) => part[i] === which));
    return { x: gatherRows(x, inputSize, indices), y: gatherRows(y, targetSize, indices), count: indices.length, indices };
  };
  return { train: pick(0), val: pick(1), test: pick(2) };
}

function assignParts(members: number[], fractions: [number, number, number], part: Uint8Array): void {
  const [nTrain, nVal] = partSizes(members.length, fractions);
  members.forEach((row, k) => {
    part[row] = k < nTrain ? 0 : k < nTrain + nVal ? 1 : 2;
  });
}

export interface Fold {
  train: Uint32Array;
  val: Uint32Array;
}

/** k folds over a shuffle of 0..n-1: fold sizes differ by at most one, each row validates once. */
export function kFold(n: number, k: number, seed = 0): Fold[] {
  checkCount(n, 'n');
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new OxnetError('E_ARG', `k must be an integer in [2, n=${n}], got ${k}`);
  }
  const order = shuffledIndices(n, seed);
  const folds: Fold[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const val = order.slice(start, start + size);
    const train = new Uint32Array(n - size);
    train.set(order.subarray(0, start));
    train.set(order.subarray(start + size), start);
    folds.push({ train, val });
    start += size;
  }
  return folds;
}
