// Per-kernel micro-benchmarks of one oxnet backend (native or js), through the Backend contract.
const { emit, now } = require('../lib/child');
const { backendByName, rng } = require('../lib/oxnet');

function random(n, seed) {
  const next = rng().mulberry32(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = next() * 2 - 1;
  return a;
}

/** Mean ms per call over at least `minMs` of calls, after one warm-up call. */
function time(f, minMs) {
  f();
  let reps = 0;
  const t0 = now();
  do {
    f();
    reps++;
  } while (now() - t0 < minMs);
  return (now() - t0) / reps;
}

function record(impl, kase, ms, flops) {
  emit('kernels', impl, 'us_per_call', ms * 1000, { case: kase });
  if (flops) emit('kernels', impl, 'gflops', flops / (ms / 1000) / 1e9, { case: kase });
}

function conv(be, impl, name, batch, [h, w, c], filters, k, minMs) {
  const g = { batch, inShape: [h, w, c], filters, kernel: [k, k], strides: [1, 1], padding: [(k - 1) >> 1, k >> 1, (k - 1) >> 1, k >> 1], dilation: [1, 1] };
  const x = random(batch * h * w * c, 1);
  const kw = random(k * k * c * filters, 2);
  const b = random(filters, 3);
  const dy = random(batch * h * w * filters, 4);
  const flops = 2 * batch * h * w * filters * k * k * c; // 'same' padding, stride 1: out = in
  record(
    impl,
    `conv_fwd ${name}`,
    time(() => be.conv2dForward(x, kw, b, g), minMs),
    flops,
  );
  record(
    impl,
    `conv_bwd ${name}`,
    time(() => be.conv2dBackward(x, kw, dy, g), minMs),
    2 * flops,
  );
}

async function run(_workload, impl, quick) {
  const be = backendByName(impl === 'oxnet-native' ? 'native' : 'js');
  const minMs = quick ? 100 : 500;
  const batch = 64;
  for (const n of quick ? [64, 256, 1024] : [64, 128, 256, 512, 1024]) {
    const x = random(batch * n, 1);
    const w = random(n * n, 2);
    const b = random(n, 3);
    const dy = random(batch * n, 4);
    const flops = 2 * batch * n * n;
    record(
      impl,
      `dense_fwd b${batch} ${n}x${n}`,
      time(() => be.denseForward(x, w, b, batch, n, n), minMs),
      flops,
    );
    record(
      impl,
      `dense_bwd b${batch} ${n}x${n}`,
      time(() => be.denseBackward(x, w, dy, batch, n, n), minMs),
      2 * flops,
    );
  }
  if (!be.conv2dForward) throw new Error(`${impl}: the backend has no conv2dForward`);
  conv(be, impl, 'W3 layer 1 b32 28x28x1 k5 f8', 32, [28, 28, 1], 8, 5, minMs);
  conv(be, impl, 'W3 layer 2 b32 14x14x8 k5 f16', 32, [14, 14, 8], 16, 5, minMs);
  conv(be, impl, 'wide b32 14x14x64 k3 f64', 32, [14, 14, 64], 64, 3, minMs);
  const pg = { batch: 32, inShape: [28, 28, 8], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] };
  const px = random(32 * 28 * 28 * 8, 5);
  const pdy = random(32 * 14 * 14 * 8, 6);
  record(
    impl,
    'maxpool_fwd b32 28x28x8 2x2',
    time(() => be.maxPool2dForward(px, pg), minMs),
  );
  record(
    impl,
    'maxpool_bwd b32 28x28x8 2x2',
    time(() => be.maxPool2dBackward(px, pdy, pg), minMs),
  );
  const p = random(100352, 7); // W2's first dense kernel: 784 x 128
  const grad = random(p.length, 8);
  const state = [new Float32Array(p.length), new Float32Array(p.length)];
  let t = 0;
  record(
    impl,
    'adam_step 784x128',
    time(() => be.optimizerStep({ kind: 'adam', lr: 1e-3 }, p, grad, state, ++t), minMs),
  );
}

module.exports = { run };
