// Argument checks shared by the js kernels: every refusal is an OxnetError naming the argument.
import { OxnetError } from '../../errors';

/** Throws E_ARG unless `value` is an integer >= min. */
export function checkInt(name: string, value: number, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new OxnetError('E_ARG', `${name} must be an integer >= ${min}, got ${value}`);
  }
}

/** Throws E_SHAPE unless `arr.length === expected`; `how` spells out the expected product. */
export function checkLength(name: string, arr: ArrayLike<number>, expected: number, how: string): void {
  if (arr.length !== expected) {
    throw new OxnetError('E_SHAPE', `${name} must have length ${how} = ${expected}, got ${arr.length}`);
  }
}

/** A new array of the same element type as `like` (Float32 in, Float32 out; Float64 likewise). */
export function alloc<T extends Float32Array | Float64Array>(like: T, length: number): T {
  return (like instanceof Float64Array ? new Float64Array(length) : new Float32Array(length)) as T;
}
