// Bfloat16 mixed precision, the js reference (docs/kernels.md, "Bfloat16 mixed precision"; the
// Rust twin is crates/oxnet-core/src/bf16/): the products of dense and conv2d take operands
// rounded to bfloat16, as vcvtne2ps2bf16 rounds: to nearest, ties to even; an f32 denormal (or
// zero) becomes a zero of the same sign; ±inf stays; a NaN stays NaN (quiet); values beyond the
// largest bfloat16 become ±inf. A bfloat16 value is kept here as the float32 whose low 16 bits
// are zero, so the existing kernels multiply the rounded operands unchanged. Float64 arrays
// (gradient checks) are rounded through float32 first.
import type { FloatArray } from '../spec';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The bits of `bits` (a float32's) rounded to bfloat16, in the upper half of the result. */
function roundBits(bits: number): number {
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits & 0xffff0000) | 0x00400000) >>> 0; // NaN: quiet
  if ((bits & 0x7f800000) === 0) return (bits & 0x80000000) >>> 0; // zero, denormal: signed zero
  const lsb = (bits >>> 16) & 1;
  return ((bits + 0x7fff + lsb) & 0xffff0000) >>> 0; // inf unchanged; overflow carries to inf
}

/** `x` rounded to float32, then to bfloat16, as a number. */
export function bf16Round(x: number): number {
  f32[0] = x;
  u32[0] = roundBits(u32[0]);
  return f32[0];
}

/** dst[i] = bf16Round(src[i]) for i < n. */
export function bf16RoundInto(src: FloatArray, n: number, dst: FloatArray): void {
  if (src instanceof Float32Array && dst instanceof Float32Array) {
    const s = new Uint32Array(src.buffer, src.byteOffset, n);
    const d = new Uint32Array(dst.buffer, dst.byteOffset, n);
    for (let i = 0; i < n; i++) d[i] = roundBits(s[i]);
    return;
  }
  for (let i = 0; i < n; i++) dst[i] = bf16Round(src[i]);
}

/** Rounded copies of a node's operands in buffers kept between batches (one per slot name). */
export class Bf16Operands {
  private readonly bufs = new Map<string, FloatArray>();

  /** `src` (its first n values, default all) rounded to bfloat16, in this slot's buffer. */
  round(slot: string, src: FloatArray, n = src.length): FloatArray {
    let b = this.bufs.get(slot);
    if (!b || b.length < n || b.constructor !== src.constructor) {
      b = src instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
      this.bufs.set(slot, b);
    }
    const out = b.length === n ? b : b.subarray(0, n);
    bf16RoundInto(src, n, out);
    return out;
  }
}
