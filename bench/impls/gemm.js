// W4: C = A·B for square float32 matrices, GFLOP/s = 2 n^3 / time (best of repeated runs).
const { emit, skip, now } = require('../lib/child');
const { settings } = require('../lib/workloads');

/** Float32 matrix of n*n values in [-1, 1), deterministic. */
function matrix(n, seed) {
  const { mulberry32 } = require('../lib/oxnet').rng();
  const next = mulberry32(seed);
  const m = new Float32Array(n * n);
  for (let i = 0; i < m.length; i++) m[i] = next() * 2 - 1;
  return m;
}

/** Times `matmul(a, b, n)` (sync or async) at each size up to maxSize; one call of warm-up each. */
async function gemmWorkload(impl, quick, matmul, maxSize = Infinity) {
  const s = settings('W4', quick);
  for (const n of s.sizes) {
    if (n > maxSize) {
      skip('W4', impl, `n=${n}: minutes on this impl`);
      continue;
    }
    const a = matrix(n, 1);
    const b = matrix(n, 2);
    await matmul(a, b, n);
    let best = Infinity;
    let spent = 0;
    let reps = 0;
    while (reps < s.minReps || spent < s.minTimeS * 1000) {
      const t0 = now();
      await matmul(a, b, n);
      const ms = now() - t0;
      best = Math.min(best, ms);
      spent += ms;
      reps++;
      if (spent > 20000) break;
    }
    emit('W4', impl, 'gflops', (2 * n ** 3) / (best / 1000) / 1e9, { size: n, reps });
  }
}

module.exports = { gemmWorkload, matrix };
