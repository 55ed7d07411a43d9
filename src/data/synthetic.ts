// Small generated data sets for examples and tests, all seeded (mulberry32): XOR, a noisy smooth
// function for regression, and Gaussian blobs for classification.
import { mulberry32 } from '../random';
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

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1) throw new OxnetError('E_ARG', `count must be a positive integer, got ${count}`);
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
  checkCount(opts.count);
  const noise = opts.noise ?? 0.1;
  const f = opts.f ?? smoothTarget;
  const next = mulberry32(opts.seed ?? 0);
  const normal = gaussian(next);
  const x = new Float32Array(opts.count * 2);
  const y = new Float32Array(opts.count);
  for (let i = 0; i < opts.count; i++) {
    const x1 = 2 * next() - 1;
    const x2 = 2 * next() - 1;
    x[2 * i] = x1;
    x[2 * i + 1] = x2;
    y[i] = f(x1, x2) + noise * normal();
  }
  return { x, y, count: opts.count };
}

/** `classes` Gaussian clusters (spread `spread`) with centres on a circle of radius 3, y one-hot. */
export function gaussianBlobs(opts: { count: number; classes: number; dims?: number; spread?: number; seed?: number }): Samples {
  checkCount(opts.count);
  const dims = opts.dims ?? 2;
  const spread = opts.spread ?? 1;
  if (!Number.isInteger(opts.classes) || opts.classes < 2) throw new OxnetError('E_ARG', `classes must be an integer >= 2, got ${opts.classes}`);
  const next = mulberry32(opts.seed ?? 0);
  const normal = gaussian(next);
  const x = new Float32Array(opts.count * dims);
  const y = new Float32Array(opts.count * opts.classes);
  for (let i = 0; i < opts.count; i++) {
    const c = i % opts.classes;
    const angle = (2 * Math.PI * c) / opts.classes;
    for (let j = 0; j < dims; j++) {
      const centre = j === 0 ? 3 * Math.cos(angle) : j === 1 ? 3 * Math.sin(angle) : 0;
      x[i * dims + j] = centre + spread * normal();
    }
    y[i * opts.classes + c] = 1;
  }
  return { x, y, count: opts.count };
}
