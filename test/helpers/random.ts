// Seeded test data: every random number in the tests comes from mulberry32, so failures replay.
import { mulberry32 } from '../../src/random';

export type Rng = () => number;

export function seeded(seed: number): Rng {
  return mulberry32(seed);
}

/** Uniform floats in [lo, hi). */
export function randomArray(rng: Rng, length: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * rng();
  return out;
}

/** Uniform floats in [lo, hi), as Float32. */
export function randomF32(rng: Rng, length: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from(randomArray(rng, length, lo, hi));
}

/** Uniform floats whose magnitude is at least `gap` (keeps kinks like relu's 0 out of reach). */
export function awayFromZero(rng: Rng, length: number, gap = 0.1, max = 2): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) {
    const mag = gap + (max - gap) * rng();
    out[i] = rng() < 0.5 ? -mag : mag;
  }
  return out;
}

/** An integer in [lo, hi]. */
export function randomInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo + 1));
}

/** n rows of `width` one-hot targets. */
export function oneHotRows(rng: Rng, n: number, width: number): Float64Array {
  const out = new Float64Array(n * width);
  for (let r = 0; r < n; r++) out[r * width + Math.floor(rng() * width)] = 1;
  return out;
}
