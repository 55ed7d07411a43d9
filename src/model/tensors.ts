// Input and target data as users pass them -> one flat Float32Array of n samples.
import { OxnetError, showValue } from '../errors';

/** number[][] (one row per sample, nested deeper for images), a flat array (n inferred), or {data, shape: [n, ...]}. */
export type TensorLike =
  | number[][]
  | number[][][][]
  | number[]
  | Float32Array
  | Float64Array
  | { data: Float32Array | Float64Array | number[]; shape: number[] };

export interface Samples {
  data: Float32Array;
  n: number;
}

/** Converts `x` to n samples of `size` floats each; `param` names it in errors ('x', 'y'). */
export function toSamples(x: TensorLike, size: number, param: string, expectedN?: number): Samples {
  let data: Float32Array;
  if (x instanceof Float32Array) data = x;
  else if (x instanceof Float64Array) data = Float32Array.from(x);
  else if (Array.isArray(x)) data = flattenNested(x, param);
  else if (x && typeof x === 'object' && 'data' in x && 'shape' in x) {
    const { shape } = x;
    if (!Array.isArray(shape) || shape.length < 1 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new OxnetError('E_SHAPE', `${param}.shape must be [n, ...] of non-negative integers, got ${JSON.stringify(shape)}`);
    }
    const per = shape.slice(1).reduce((a, b) => a * b, 1);
    if (per !== size) throw new OxnetError('E_SHAPE', `${param}.shape ${JSON.stringify(shape)} has ${per} values per sample, the model needs ${size}`);
    data = x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
    if (data.length !== shape[0] * size) {
      throw new OxnetError('E_SHAPE', `${param}.data has ${data.length} values, shape ${JSON.stringify(shape)} needs ${shape[0] * size}`);
    }
  } else {
    throw new OxnetError('E_ARG', `${param} must be number[][], a Float32Array or {data, shape}, got ${typeof x}`);
  }
  if (data.length % size !== 0) {
    throw new OxnetError('E_SHAPE', `${param} has ${data.length} values, not a multiple of the ${size} values per sample`);
  }
  const n = data.length / size;
  if (expectedN !== undefined && n !== expectedN) {
    throw new OxnetError('E_SHAPE', `${param} has ${n} samples, expected ${expectedN} (one per input sample)`);
  }
  return { data, n };
}

function flattenNested(x: unknown[], param: string): Float32Array {
  const flat = (x as unknown[]).flat(Infinity) as unknown[];
  const out = new Float32Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (typeof v !== 'number') throw new OxnetError('E_ARG', `${param} must hold numbers only, found ${showValue(v)} at flat index ${i}`);
    out[i] = v;
  }
  return out;
}

/** Rows `indices` of n samples of `size` floats. */
export function gatherRows(data: Float32Array, size: number, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) out.set(data.subarray(indices[i] * size, (indices[i] + 1) * size), i * size);
  return out;
}

/** NCHW -> NHWC for n samples of [c, h, w] (channelsFirst first conv2d). */
export function chwToHwc(x: Float32Array, n: number, c: number, h: number, w: number): Float32Array {
  const out = new Float32Array(x.length);
  const plane = h * w;
  for (let s = 0; s < n; s++) {
    const base = s * c * plane;
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < plane; p++) out[base + p * c + ch] = x[base + ch * plane + p];
    }
  }
  return out;
}

/**
 * Data for several tensors (a model's inputs, or its outputs' targets): for one, the tensor
 * itself (or { [name]: tensor }); for several, an array by position or an object by name.
 */
export function perTensor(x: unknown, names: string[], param: string): unknown[] {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && !('data' in v && 'shape' in v);
  if (isRecord(x)) {
    const extra = Object.keys(x).filter((k) => !names.includes(k));
    const missing = names.filter((n) => !Object.hasOwn(x, n));
    if (extra.length || missing.length) {
      throw new OxnetError(
        'E_ARG',
        `${param} must give ${names.map((n) => `'${n}'`).join(', ')}${extra.length ? `; unknown ${extra.map((k) => `'${k}'`).join(', ')}` : ''}${missing.length ? `; missing ${missing.map((k) => `'${k}'`).join(', ')}` : ''}`,
      );
    }
    return names.map((n) => x[n]);
  }
  if (names.length === 1) return [x];
  if (!Array.isArray(x) || x.length !== names.length) {
    throw new OxnetError(
      'E_ARG',
      `${param} must hold ${names.length} tensors (${names.join(', ')}), as an array in that order or an object by name, got ${showValue(Array.isArray(x) ? `an array of ${x.length}` : typeof x)}`,
    );
  }
  return x;
}

/** Inputs and targets as the backend takes them: flat, normalized, NHWC, n rows each. */
export interface Prepared {
  inputs: Float32Array[];
  targets: Float32Array[];
  n: number;
}
