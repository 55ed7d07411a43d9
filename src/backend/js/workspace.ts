// Reusable kernel buffers. A layer hands the same Workspace to its kernels every batch, so training
// in steady state allocates no arrays; a kernel called without one allocates as before. What a
// kernel returns from a workspace stays valid until the next call that uses the same workspace.
import type { FloatArray } from '../types';
import { alloc } from './check';

export class Workspace {
  private readonly slots = new Map<string, Float32Array | Float64Array>();
  private readonly masks = new Map<string, Uint8Array>();

  /** A zero-filled array of `length` of the type of `like`, kept under `name` (grown when short). */
  take<T extends FloatArray>(like: T, name: string, length: number): T {
    const f64 = like instanceof Float64Array;
    const key = f64 ? `${name}:64` : `${name}:32`;
    let buf = this.slots.get(key);
    if (buf === undefined || buf.length < length) {
      buf = alloc(like, length);
      this.slots.set(key, buf);
      return buf as T;
    }
    const view = buf.length === length ? buf : buf.subarray(0, length);
    view.fill(0);
    return view as T;
  }

  /** A zero-filled byte array (masks) kept under `name`. */
  bytes(name: string, length: number): Uint8Array {
    let buf = this.masks.get(name);
    if (buf === undefined || buf.length < length) {
      buf = new Uint8Array(length);
      this.masks.set(name, buf);
      return buf;
    }
    const view = buf.length === length ? buf : buf.subarray(0, length);
    view.fill(0);
    return view;
  }
}

const F64 = new Float64Array(0);

/** `ws.take(like, name, length)`, or a new zeroed array when there is no workspace. */
export function take<T extends FloatArray>(ws: Workspace | undefined, like: T, name: string, length: number): T {
  return ws ? ws.take(like, name, length) : alloc(like, length);
}

/** A zeroed float64 scratch array (accumulators) from `ws`, or a new one. */
export function zeros64(ws: Workspace | undefined, name: string, length: number): Float64Array {
  return ws ? ws.take(F64, name, length) : new Float64Array(length);
}
