// Train / validation / test splits, k folds and per-epoch orders, all as index permutations
// from the one seeded RNG (mulberry32, docs/kernels.md): the data are gathered once per split,
// never copied per epoch.
import * as arg from '../args';
import { OxnetError } from '../errors';
import { shuffledIndices as fisherYates } from '../random';

/** Fisher-Yates over 0..n-1 with mulberry32(seed): the order docs/kernels.md and workloads use. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  arg.count(n, 'shuffledIndices: n');
  arg.integer(seed, 'shuffledIndices: seed');
  return fisherYates(n, seed >>> 0);
}

/** The order epoch `epoch` visits n training samples in: the shuffle seeded with baseSeed + epoch. */
export function epochOrder(n: number, epoch: number, baseSeed = 1000): Uint32Array {
  arg.count(n, 'epochOrder: n');
  arg.count(epoch, 'epochOrder: epoch');
  arg.integer(baseSeed, 'epochOrder: baseSeed');
  return shuffledIndices(n, (baseSeed + epoch) >>> 0);
}

/** Consecutive chunks of `order` as views (no copies); the last one may be smaller. */
export function batches(order: Uint32Array, batchSize: number): Generator<Uint32Array> {
  // Checked when called, not at the first next() a generator function would wait for.
  if (!(order instanceof Uint32Array)) throw new OxnetError('E_ARG', `batches: order must be a Uint32Array, got ${arg.describe(order)}`);
  arg.numbers(order, 'batches: order');
  arg.positiveCount(batchSize, 'batches: batchSize');
  return chunks(order, batchSize);
}

function* chunks(order: Uint32Array, batchSize: number): Generator<Uint32Array> {
  for (let start = 0; start < order.length; start += batchSize) yield order.subarray(start, start + batchSize);
}

/** Rows `indices` of a row-major n x width array, in that order (one copy). */
export function gatherRows(data: Float32Array, width: number, indices: ArrayLike<number>): Float32Array {
  if (!(data instanceof Float32Array)) throw new OxnetError('E_ARG', `gatherRows: data must be a Float32Array, got ${arg.describe(data)}`);
  arg.numbers(data, 'gatherRows: data');
  arg.positiveCount(width, 'gatherRows: width');
  arg.numbers(indices, 'gatherRows: indices');
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    if (!Number.isInteger(i) || i < 0) throw new OxnetError('E_ARG', `gatherRows: indices[${r}] must be a row number >= 0, got ${arg.describe(i)}`);
  }
  if (indices.length * width > arg.MAX_COUNT) throw new OxnetError('E_ARG', `gatherRows: ${indices.length} rows of ${width} exceed ${arg.MAX_COUNT} values`);
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
  arg.numbers(y, 'classLabels: y');
  arg.positiveCount(count, 'classLabels: count');
  if (y.length % count !== 0) throw new OxnetError('E_SHAPE', `classLabels: y.length (${y.length}) must be a multiple of count (${count})`);
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

function checkFractions(fractions: unknown): asserts fractions is [number, number, number] {
  const ok =
    Array.isArray(fractions) &&
    fractions.length === 3 &&
    fractions.every((f) => Number.isFinite(f) && f >= 0 && f <= 1) &&
    Math.abs(fractions[0] + fractions[1] + fractions[2] - 1) < 1e-6 &&
    fractions[0] > 0;
  if (!ok) {
    throw new OxnetError(
      'E_ARG',
      `trainValTestSplit: fractions must be [train, val, test] >= 0 summing to 1 with train > 0, got ${arg.describe(fractions)}${Array.isArray(fractions) ? ` [${fractions.map(arg.describe).join(', ')}]` : ''}`,
    );
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
  for (const [v, name] of [
    [x, 'x'],
    [y, 'y'],
  ] as const) {
    if (!(v instanceof Float32Array)) throw new OxnetError('E_ARG', `trainValTestSplit: ${name} must be a Float32Array, got ${arg.describe(v)}`);
    arg.numbers(v, `trainValTestSplit: ${name}`);
  }
  const o = arg.options(options, 'trainValTestSplit', { required: true, keys: ['count', 'fractions', 'seed', 'stratify'] });
  const count = arg.count(o.count, 'trainValTestSplit: count');
  const seed = o.seed === undefined ? 0 : arg.seed(o.seed, 'trainValTestSplit: seed');
  const stratify = o.stratify === undefined ? false : arg.boolean(o.stratify, 'trainValTestSplit: stratify');
  const fractions = o.fractions ?? [0.7, 0.15, 0.15];
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
  arg.count(n, 'kFold: n');
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 2 || k > n) {
    throw new OxnetError('E_ARG', `kFold: k must be an integer in [2, n=${n}], got ${arg.describe(k)}`);
  }
  arg.integer(seed, 'kFold: seed');
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
