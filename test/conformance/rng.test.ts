// mulberry32 and the dropout seed (docs/kernels.md), the RNG both backends share.
import { describe, expect, it } from 'vitest';
import { dropoutSeed, mulberry32, shuffledIndices } from '../../src/random';

describe('mulberry32', () => {
  it('seed 42 gives the reference sequence', () => {
    // The docs' one-liner run in Node for seed 42 (the same numbers crates/oxnet-core/src/rng.rs checks).
    const next = mulberry32(42);
    expect([next(), next(), next()]).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('dropout seed wraps modulo 2^32 like (seed + imul(s+1, 0x9E3779B1) + imul(l+1, 0x85EBCA77)) >>> 0', () => {
    // Closed form in exact integers: 7 + 0x9E3779B1 + 0x85EBCA77 mod 2^32.
    expect(dropoutSeed(7, 0, 0)).toBe((7 + 0x9e3779b1 + 0x85ebca77) % 2 ** 32);
    expect(dropoutSeed(0, 1, 2)).toBe(Number((2n * 0x9e3779b1n + 3n * 0x85ebca77n) % 2n ** 32n));
  });

  it('Fisher-Yates shuffle is a permutation and repeats per seed', () => {
    const a = shuffledIndices(100, 1000);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(shuffledIndices(100, 1000))).toEqual(Array.from(a));
    expect(Array.from(shuffledIndices(100, 1001))).not.toEqual(Array.from(a));
  });
});
