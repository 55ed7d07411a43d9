// Type checks on the js kernels' array arguments, so a null or a plain array is refused with an
// OxnetError naming the parameter instead of a TypeError from deep inside a loop.
import { OxnetError } from '../../errors';

/** Parameter names of a kernel, in order: 'x' must be a float array, 'b?' may also be null, '-' is not an array. */
type Params = readonly string[];

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  return typeof v;
}

/** `fn` with its array arguments checked first. */
export function checkedArrays<F extends (...args: never[]) => unknown>(op: string, params: Params, fn: F): F {
  return ((...args: unknown[]) => {
    params.forEach((p, i) => {
      if (p === '-') return;
      const optional = p.endsWith('?');
      const v = args[i];
      if (optional && v === null) return;
      if (p.endsWith('[]')) {
        if (!Array.isArray(v) || v.some((s) => !(s instanceof Float32Array))) {
          throw new OxnetError('E_ARG', `${op}: ${p.slice(0, -2)} must be an array of Float32Array, got ${describe(v)}`);
        }
        return;
      }
      if (!(v instanceof Float32Array || v instanceof Float64Array)) {
        throw new OxnetError('E_ARG', `${op}: ${optional ? p.slice(0, -1) : p} must be a Float32Array or Float64Array, got ${describe(v)}`);
      }
    });
    return fn(...(args as Parameters<F>));
  }) as unknown as F;
}
