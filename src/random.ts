// mulberry32, the one RNG of oxnet (docs/kernels.md): same stream in TypeScript and Rust (rng.rs).
// A neutral module: the model, the data helpers and the js backend all draw from it.

/** A generator of uniform numbers in [0, 1) from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed of the dropout mask of layer `layer` at global step `step` (docs/kernels.md). */
export function dropoutSeed(seed: number, step: number, layer: number): number {
  return (seed + Math.imul(step + 1, 0x9e3779b1) + Math.imul(layer + 1, 0x85ebca77)) >>> 0;
}

/** Fisher-Yates shuffle of 0..n-1 (i from n-1 down to 1, j = floor(u (i + 1))). */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const next = mulberry32(seed);
  for (let i = n - 1; i >= 1; i--) {
    const j = Math.floor(next() * (i + 1));
    const tmp = order[i];
    order[i] = order[j];
    order[j] = tmp;
  }
  return order;
}
