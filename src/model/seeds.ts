// One seed drives everything: each use gets its own stream derived from (seed, purpose, index).
import { mulberry32 } from '../random';

export const SeedPurpose = { init: 1, dropout: 2, validationSplit: 3, epochShuffle: 4, restart: 5 } as const;

/** A 32-bit seed for `purpose` (and e.g. the epoch number), mixed so nearby inputs give unrelated streams. */
export function deriveSeed(seed: number, purpose: number, index = 0): number {
  const mixed = (seed + Math.imul(purpose, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca77)) >>> 0;
  return Math.floor(mulberry32(mixed)() * 4294967296) >>> 0;
}

/** A fresh random seed, for models built without one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
