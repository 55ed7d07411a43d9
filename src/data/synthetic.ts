// Small generated data sets for examples and tests, all seeded (mulberry32): XOR, a noisy smooth
// function for regression, and Gaussian blobs for classification.
import { mulberry32 } from '../random';
import * as arg from '../args';
import { OxnetError } from '../errors';

export interface Samples {
  x: Float32Array;
  y: Float32Array;
  count: number;
}

/** The course's XOR truth table: inputs (0,0), (0,1), (1,0), (1,1) -> 0, 1, 1, 0. */
export function xorData(): Samples {
  return { x: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), y: new Float32Array([0, 1, 1, 0]), count: 4 };
}

/** Standard normal draws from a uniform stream (Box-Muller). */
export function gaussian(next: () => number): () => number {
  return () => {
    const u = 1 - next(); // in (0, 1]: log stays finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
}

/** Samples generated at most: a few million rows is already far more than an example needs. */
const MAX_SAMPLES = 1 << 24;

function checkCount(count: unknown, fn: string): number {
  return arg.integer(count, `${fn}: count`, 1, MAX_SAMPLES);
}

/** The default target of noisyFunction: smooth, non-linear in both inputs. */
export function smoothTarget(x1: number, x2: number): number {
  return Math.sin(3 * x1) + 0.5 * x2 * x2;
}

/**
 * x uniform in [-1, 1]^2, y = f(x1, x2) + N(0, noise^2) (default f = sin(3 x1) + x2^2 / 2,
 * noise 0.1). The signal variance is about 0.54, so the best possible R^2 is about 0.98.
 */
export function noisyFunction(opts: { count: number; seed?: number; noise?: number; f?: (x1: number, x2: number) => number }): Samples {
  const o = arg.options(opts, 'noisyFunction', { required: true, keys: ['count', 'seed', 'noise', 'f'] });
  const count = checkCount(o.count, 'noisyFunction');
  const noise = o.noise === undefined ? 0.1 : arg.finite(o.noise, 'noisyFunction: noise', (v) => v >= 0, 'a finite number >= 0');
  const f = o.f === undefined ? smoothTarget : arg.func<(x1: number, x2: number) => number>(o.f, 'noisyFunction: f');
  const next = mulberry32(o.seed === undefined ? 0 : arg.seed(o.seed, 'noisyFunction: seed'));
  const normal = gaussian(next);
  const x = new Float32Array(count * 2);
  const y = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const x1 = 2 * next() - 1;
    const x2 = 2 * next() - 1;
    x[2 * i] = x1;
    x[2 * i + 1] = x2;
    y[i] = f(x1, x2) + noise * normal();
  }
  return { x, y, count: count };
}

/** `classes` Gaussian clusters (spread `spread`) with centres on a circle of radius 3, y one-hot. */
export function gaussianBlobs(opts: { count: number; classes: number; dims?: number; spread?: number; seed?: number }): Samples {
  const o = arg.options(opts, 'gaussianBlobs', { required: true, keys: ['count', 'classes', 'dims', 'spread', 'seed'] });
  const count = checkCount(o.count, 'gaussianBlobs');
  const classes = arg.integer(o.classes, 'gaussianBlobs: classes', 2, 1 << 16);
  const dims = o.dims === undefined ? 2 : arg.integer(o.dims, 'gaussianBlobs: dims', 1, 1 << 16);
  const spread = o.spread === undefined ? 1 : arg.finite(o.spread, 'gaussianBlobs: spread', (v) => v >= 0, 'a finite number >= 0');
  if (count * Math.max(dims, classes) > arg.MAX_COUNT)
    throw new OxnetError('E_ARG', `gaussianBlobs: ${count} samples of ${dims} dims and ${classes} classes exceed ${arg.MAX_COUNT} values`);
  const next = mulberry32(o.seed === undefined ? 0 : arg.seed(o.seed, 'gaussianBlobs: seed'));
  const normal = gaussian(next);
  const x = new Float32Array(count * dims);
  const y = new Float32Array(count * classes);
  for (let i = 0; i < count; i++) {
    const c = i % classes;
    const angle = (2 * Math.PI * c) / classes;
    for (let j = 0; j < dims; j++) {
      const centre = j === 0 ? 3 * Math.cos(angle) : j === 1 ? 3 * Math.sin(angle) : 0;
      x[i * dims + j] = centre + spread * normal();
    }
    y[i * classes + c] = 1;
  }
  return { x, y, count: count };
}
