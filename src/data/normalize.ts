// Feature rescaling from the course's training recipe: z-score (zero mean, unit variance) or
// min-max (into [0, 1]). Fit on the training split only, then apply the same numbers everywhere.
import * as arg from '../args';
import { OxnetError } from '../errors';

export type NormalizerKind = 'zscore' | 'minmax';

export interface Normalizer {
  readonly kind: NormalizerKind;
  /** Number of columns the normalizer was fitted on. */
  readonly dim: number;
  /** n samples of `dim` columns, row-major; returns a new array. */
  transform(x: Float32Array, n: number): Float32Array;
  inverseTransform(x: Float32Array, n: number): Float32Array;
  toJSON(): object;
  /**
   * JSON data kept with the normalizer through toJSON / normalizerFromJSON (and so through a saved
   * model): the CLI records column names, task and class names here.
   */
  readonly meta?: Record<string, unknown>;
}

export interface NormalizerFitter {
  readonly kind: NormalizerKind;
  /** Fits per-column statistics on n samples of d columns (the training split only). */
  fit(x: ArrayLike<number>, n: number, d: number): Normalizer;
}

/** x' = (x - offset) / scale per column; scale is never 0 (a constant column maps to 0). */
class AffineNormalizer implements Normalizer {
  readonly dim: number;
  constructor(
    readonly kind: NormalizerKind,
    private readonly offset: Float64Array,
    private readonly scale: Float64Array,
    // The statistics as fitted (std or max - min may be 0), kept for toJSON.
    private readonly stats: { a: Float64Array; b: Float64Array },
    readonly meta?: Record<string, unknown>,
  ) {
    this.dim = offset.length;
  }

  transform(x: Float32Array, n: number): Float32Array {
    this.checkShape(x, n, 'transform');
    const d = this.dim;
    const out = new Float32Array(x.length);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) out[i * d + j] = (x[i * d + j] - this.offset[j]) / this.scale[j];
    }
    return out;
  }

  inverseTransform(x: Float32Array, n: number): Float32Array {
    this.checkShape(x, n, 'inverseTransform');
    const d = this.dim;
    const out = new Float32Array(x.length);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) out[i * d + j] = x[i * d + j] * this.scale[j] + this.offset[j];
    }
    return out;
  }

  toJSON(): object {
    const [na, nb] = this.kind === 'zscore' ? ['mean', 'std'] : ['min', 'max'];
    const json: Record<string, unknown> = { kind: this.kind, dim: this.dim, [na]: Array.from(this.stats.a), [nb]: Array.from(this.stats.b) };
    if (this.meta !== undefined) json.meta = this.meta;
    return json;
  }

  private checkShape(x: Float32Array, n: number, method: string): void {
    arg.numbers(x, `${method}: x`);
    arg.count(n, `${method}: n`);
    if (x.length !== n * this.dim) {
      throw new OxnetError('E_SHAPE', `${method}: x.length must be n * dim = ${n} * ${this.dim}, got x.length=${x.length}`);
    }
  }
}

function checkFitArgs(x: ArrayLike<number>, n: number, d: number): void {
  arg.numbers(x, 'fit: x');
  arg.positiveCount(n, 'fit: n');
  arg.positiveCount(d, 'fit: d');
  if (x.length !== n * d) {
    throw new OxnetError('E_SHAPE', `fit: x.length must be n * d = ${n} * ${d}, got ${x.length}`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      throw new OxnetError('E_DATA', `fit: value at row ${Math.floor(i / d)}, column ${i % d} is ${x[i]}`);
    }
  }
}

export function zscoreFrom(mean: Float64Array, std: Float64Array, meta?: Record<string, unknown>): Normalizer {
  const scale = std.map((s) => (s === 0 ? 1 : s));
  return new AffineNormalizer('zscore', mean, scale, { a: mean, b: std }, meta);
}

export function minmaxFrom(min: Float64Array, max: Float64Array, meta?: Record<string, unknown>): Normalizer {
  const scale = max.map((hi, j) => (hi === min[j] ? 1 : hi - min[j]));
  return new AffineNormalizer('minmax', min, scale, { a: min, b: max }, meta);
}

/** The same normalizer carrying `meta` (must survive JSON.stringify). */
export function withMeta(normalizer: Normalizer, meta: Record<string, unknown>): Normalizer {
  if (!isPlainObjectLike(normalizer) || typeof normalizer.toJSON !== 'function')
    throw new OxnetError('E_ARG', `withMeta: normalizer must be a fitted normalizer (zscore().fit(...)), got ${arg.describe(normalizer)}`);
  arg.options(meta, 'withMeta', { param: 'meta', required: true });
  let json: string;
  try {
    json = JSON.stringify(meta);
  } catch (e) {
    throw new OxnetError('E_ARG', `withMeta: meta must survive JSON.stringify: ${(e as Error).message}`, { cause: e });
  }
  return normalizerFromJSON({ ...(normalizer.toJSON() as Record<string, unknown>), meta: JSON.parse(json) });
}

function isPlainObjectLike(v: unknown): v is Normalizer {
  return v !== null && typeof v === 'object';
}

/** Zero mean, unit (population) variance per column; a constant column gives 0, not NaN. */
export function zscore(): NormalizerFitter {
  return {
    kind: 'zscore',
    fit(x, n, d) {
      checkFitArgs(x, n, d);
      const mean = new Float64Array(d);
      const std = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
      for (let j = 0; j < d; j++) mean[j] /= n;
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) std[j] += (x[i * d + j] - mean[j]) ** 2;
      }
      for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j] / n);
      return zscoreFrom(mean, std);
    },
  };
}

/** Rescales each column into [0, 1] over the fitted data; a constant column gives 0. */
export function minmax(): NormalizerFitter {
  return {
    kind: 'minmax',
    fit(x, n, d) {
      checkFitArgs(x, n, d);
      const min = new Float64Array(d).fill(Infinity);
      const max = new Float64Array(d).fill(-Infinity);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < d; j++) {
          const v = x[i * d + j];
          if (v < min[j]) min[j] = v;
          if (v > max[j]) max[j] = v;
        }
      }
      return minmaxFrom(min, max);
    },
  };
}

/** The fitter for a kind name (the CLI and model files name kinds as strings). */
export function normalizerFitter(kind: NormalizerKind): NormalizerFitter {
  if (kind === 'zscore') return zscore();
  if (kind === 'minmax') return minmax();
  throw new OxnetError('E_ARG', `normalizer kind must be 'zscore' or 'minmax', got ${arg.describe(kind)}`);
}

function finiteArray(obj: Record<string, unknown>, key: string, dim: number): Float64Array {
  const value = obj[key];
  if (!Array.isArray(value) || value.length !== dim || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new OxnetError('E_FORMAT', `normalizer JSON: '${key}' must be an array of ${dim} finite numbers`);
  }
  return Float64Array.from(value as number[]);
}

/** Rebuilds a normalizer from its toJSON() form; OxnetError 'E_FORMAT' on anything malformed. */
export function normalizerFromJSON(json: unknown): Normalizer {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new OxnetError('E_FORMAT', `normalizer JSON must be an object, got ${json === null ? 'null' : typeof json}`);
  }
  const obj = json as Record<string, unknown>;
  const dim = obj.dim;
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < 1) {
    throw new OxnetError('E_FORMAT', `normalizer JSON: 'dim' must be a positive integer, got ${arg.describe(dim)}`);
  }
  const meta = obj.meta;
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) {
    throw new OxnetError('E_FORMAT', `normalizer JSON: 'meta' must be an object when present`);
  }
  const m = meta as Record<string, unknown> | undefined;
  if (obj.kind === 'zscore') {
    const std = finiteArray(obj, 'std', dim);
    if (std.some((s) => s < 0)) throw new OxnetError('E_FORMAT', `normalizer JSON: 'std' must be >= 0`);
    return zscoreFrom(finiteArray(obj, 'mean', dim), std, m);
  }
  if (obj.kind === 'minmax') {
    const min = finiteArray(obj, 'min', dim);
    const max = finiteArray(obj, 'max', dim);
    if (max.some((hi, j) => hi < min[j])) throw new OxnetError('E_FORMAT', `normalizer JSON: 'max' must be >= 'min'`);
    return minmaxFrom(min, max, m);
  }
  throw new OxnetError('E_FORMAT', `normalizer JSON: 'kind' must be 'zscore' or 'minmax', got ${arg.describe(obj.kind)}`);
}
