// A normalizer fitted on a stream: per-column statistics gathered in one pass over a source
// (the training part only, e.g. csv.take(800)), never holding the samples.
import * as arg from '../../args';
import { OxnetError } from '../../errors';
import { minmaxFrom, type Normalizer, type NormalizerKind, zscoreFrom } from '../normalize';
import type { DataSource } from './source';

/**
 * zscore (mean and population standard deviation) or minmax statistics of every column over one
 * pass of `source`, whose elements are samples or batches: a Float32Array of whole rows, or
 * { x } with one. Columns: each element's length, unless options.columns says (batches).
 */
export async function fitNormalizer(source: DataSource<unknown>, kind: NormalizerKind, options: { columns?: number } = {}): Promise<Normalizer> {
  if (kind !== 'zscore' && kind !== 'minmax') throw new OxnetError('E_ARG', `fitNormalizer: kind must be 'zscore' or 'minmax', got ${arg.describe(kind)}`);
  const o = arg.options(options, 'fitNormalizer', { keys: ['columns'] });
  let d = o.columns === undefined ? 0 : arg.positiveCount(o.columns, 'fitNormalizer: columns');
  let n = 0;
  let a = new Float64Array(0); // zscore: running mean; minmax: min
  let b = new Float64Array(0); // zscore: sum of squared deviations (M2); minmax: max
  let i = 0;
  for await (const el of source) {
    const x = el instanceof Float32Array ? el : arg.isPlainObject(el) && el.x instanceof Float32Array ? el.x : null;
    if (!x) throw new OxnetError('E_DATA', `fitNormalizer: element ${i} must be a Float32Array or { x: Float32Array }, got ${arg.describe(el)}`);
    if (i === 0) {
      d ||= x.length;
      if (d === 0) throw new OxnetError('E_DATA', 'fitNormalizer: the first element has no values');
      a = new Float64Array(d).fill(kind === 'minmax' ? Infinity : 0);
      b = new Float64Array(d).fill(kind === 'minmax' ? -Infinity : 0);
    }
    if (x.length % d !== 0) throw new OxnetError('E_SHAPE', `fitNormalizer: element ${i} has ${x.length} values, not rows of ${d} like the first`);
    for (let r = 0; r < x.length; r += d) {
      n++;
      for (let j = 0; j < d; j++) {
        const v = x[r + j];
        if (!Number.isFinite(v)) throw new OxnetError('E_DATA', `fitNormalizer: row ${n - 1}, column ${j} is ${v}`);
        if (kind === 'minmax') {
          if (v < a[j]) a[j] = v;
          if (v > b[j]) b[j] = v;
        } else {
          // Welford: exact enough over millions of rows where a sum of squares would cancel.
          const delta = v - a[j];
          a[j] += delta / n;
          b[j] += delta * (v - a[j]);
        }
      }
    }
    i++;
  }
  if (n === 0) throw new OxnetError('E_DATA', 'fitNormalizer: the source has no samples');
  if (kind === 'minmax') return minmaxFrom(a, b);
  return zscoreFrom(
    a,
    b.map((m2) => Math.sqrt(m2 / n)),
  );
}
