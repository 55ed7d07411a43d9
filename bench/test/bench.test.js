// The bench's own logic (node --test): argument parsing, job list, ratios, peak formula, helpers.
const test = require('node:test');
const assert = require('node:assert/strict');
const { parseArgs, jobs, mergeRounds } = require('../run');
const { comparison, fmt } = require('../lib/report');
const { peakFromCpuinfo } = require('../lib/peak');
const data = require('../lib/data');
const { adam } = require('../impls/convnetjs');

test('parseArgs: --quick and --only, refusals name the value', () => {
  assert.deepEqual(parseArgs(['--quick', '--only', 'W2,W3']), { quick: true, only: ['W2', 'W3'] });
  assert.deepEqual(parseArgs(['--only=W4']).only, ['W4']);
  assert.throws(() => parseArgs(['--only', 'W9']), /got 'W9'/);
  assert.throws(() => parseArgs(['--fast']), /'--fast'/);
});

test('jobs: W4 adds numpy and a 1-thread native run; kernels and W6 run both oxnet backends', () => {
  const w4 = jobs({ only: ['W4'] }, 2).map((j) => `${j.impl}:${j.env.RAYON_NUM_THREADS ?? '-'}`);
  const rounds = ['oxnet-native:2', 'oxnet-native:1', 'numpy:-'];
  assert.deepEqual(w4, [
    'oxnet-native:2',
    'oxnet-js:-',
    'tfjs-cpu:-',
    'tfjs-wasm:-',
    'brainjs:-',
    'convnetjs:-',
    'oxnet-native:1',
    'numpy:-',
    ...rounds,
    ...rounds,
  ]);
  const w1 = jobs({ only: ['W1'] }, 2).map((j) => j.impl);
  assert.deepEqual(w1, ['oxnet-native', 'oxnet-js', 'tfjs-cpu', 'tfjs-wasm', 'brainjs', 'convnetjs']);
  // One core: no thread pair, no rounds; the bfloat16 row and the W4 GEMM that W3's GFLOP/s share needs.
  assert.deepEqual(
    jobs({ only: ['W3'] }, 1).map((j) => `${j.workload}:${j.impl}${j.precision ? `:${j.precision}` : ''}`),
    ['W3:oxnet-native', 'W3:oxnet-js', 'W3:tfjs-cpu', 'W3:tfjs-wasm', 'W3:brainjs', 'W3:convnetjs', 'W3:oxnet-native:bfloat16', 'W4:oxnet-native'],
  );
  assert.deepEqual(
    jobs({ only: ['kernels'] }, 2).map((j) => j.impl),
    ['oxnet-native', 'oxnet-js'],
  );
  assert.deepEqual(
    jobs({ only: ['W6'] }, 2).map((j) => `${j.workload}:${j.impl}:${j.env.RAYON_NUM_THREADS ?? '-'}${j.precision ? `:${j.precision}` : ''}`),
    ['W6:oxnet-native:2', 'W6:oxnet-js:-', 'W6:oxnet-native:1', 'W6:oxnet-native:2:bfloat16', 'W4:oxnet-native:2'],
    'W6 without PyTorch: the two oxnet backends, 1 thread, bfloat16, and the GEMM reference',
  );
});

test('mergeRounds: best speed, worst RSS and lag, first accuracy; distinct cases apart', () => {
  const r = (impl, metric, value, extra = {}) => ({ workload: 'W4', impl, metric, value, threads: 2, ...extra });
  const merged = mergeRounds([
    r('numpy', 'gflops', 150, { size: 1024, reps: 9 }),
    r('numpy', 'gflops', 190, { size: 1024, reps: 7 }),
    r('numpy', 'gflops', 120, { size: 256 }),
    r('numpy', 'peak_rss_mb', 60),
    r('numpy', 'peak_rss_mb', 50),
    r('oxnet-native', 'gflops', 170, { size: 1024 }),
    r('oxnet-native', 'loop_lag_p99_ms', 4),
    r('oxnet-native', 'loop_lag_p99_ms', 9),
    r('oxnet-native', 'test_accuracy', 0.91),
    r('oxnet-native', 'test_accuracy', 0.93),
    r('oxnet-native', 'epoch_ms', 12, { case: 'a' }),
    r('oxnet-native', 'epoch_ms', 10, { case: 'a' }),
    r('oxnet-native', 'epoch_ms', 30, { case: 'b' }),
    // --quick rounds time as many samples as fit their budget: still one measurement.
    { workload: 'W3', impl: 'oxnet-native', metric: 'samples_per_s', value: 900, threads: 2, samples: 4000 },
    { workload: 'W3', impl: 'oxnet-native', metric: 'samples_per_s', value: 3100, threads: 2, samples: 7900 },
  ]);
  const get = (impl, metric, size) => merged.filter((x) => x.impl === impl && x.metric === metric && x.size === size).map((x) => x.value);
  assert.deepEqual(get('numpy', 'gflops', 1024), [190]);
  assert.deepEqual(get('numpy', 'gflops', 256), [120]);
  assert.deepEqual(get('numpy', 'peak_rss_mb', undefined), [60]);
  assert.deepEqual(get('oxnet-native', 'gflops', 1024), [170]);
  assert.deepEqual(get('oxnet-native', 'loop_lag_p99_ms', undefined), [9]);
  assert.deepEqual(get('oxnet-native', 'test_accuracy', undefined), [0.91]);
  assert.deepEqual(
    merged.filter((x) => x.metric === 'epoch_ms').map((x) => [x.case, x.value]),
    [
      ['a', 10],
      ['b', 30],
    ],
  );
  assert.deepEqual(
    merged.filter((x) => x.workload === 'W3').map((x) => [x.value, x.samples]),
    [[3100, 7900]],
  );
  assert.equal(merged.length, 9);
});

test('comparison: ratio is impl / oxnet-native at the given thread count', () => {
  const rows = comparison(
    [
      { workload: 'W2', impl: 'oxnet-native', metric: 'samples_per_s', value: 100, threads: 2 },
      { workload: 'W2', impl: 'oxnet-native', metric: 'samples_per_s', value: 60, threads: 1 },
      { workload: 'W2', impl: 'tfjs-wasm', metric: 'samples_per_s', value: 25, threads: 1 },
    ],
    2,
  );
  // 25 / 100 = 0.25; the 1-thread native record is not the base.
  assert.match(rows, /\| W2 \| samples_per_s \| {2}\| 100\.0 \| 25\.0 \(0\.250x\) \|/);
  assert.equal(fmt(NaN), 'n/a');
});

test('peakFromCpuinfo: cores x MHz x lanes x 2 x 2', () => {
  // 2 x 2600 MHz x 16 lanes x 2 flops x 2 units = 332.8 GFLOP/s; avx2+fma: 8 lanes -> 166.4.
  assert.equal(peakFromCpuinfo('cpu MHz\t\t: 2600.000\nflags\t\t: fpu avx2 fma avx512f\n', 2).gflops, 332.8);
  assert.equal(peakFromCpuinfo('cpu MHz\t\t: 2600.000\nflags\t\t: fpu avx2 fma\n', 2).gflops, 166.4);
  assert.equal(peakFromCpuinfo('flags: avx2\n', 2), null);
  // Zen 4 (AMD family 25 with AVX-512): one 16-lane FMA per cycle -> 166.4.
  const zen4 = 'vendor_id\t: AuthenticAMD\ncpu family\t: 25\ncpu MHz\t\t: 2600.000\nflags\t\t: fpu avx2 fma avx512f\n';
  assert.equal(peakFromCpuinfo(zen4, 2).gflops, 166.4);
});

test('data helpers: gather, accuracy, MSE, epoch orders', () => {
  const x = Float32Array.from([0, 1, 10, 11, 20, 21]);
  assert.deepEqual([...data.gather(x, 2, Uint32Array.from([2, 0]))], [20, 21, 0, 1]);
  const out = new Float32Array(20);
  out[3] = 1; // sample 0 -> class 3
  out[10 + 7] = 1; // sample 1 -> class 7
  assert.equal(data.accuracy(out, Uint8Array.from([3, 5])), 0.5);
  assert.equal(data.meanSquaredError([1, 2], [0, 0]), 2.5); // (1 + 4) / 2
  const o = data.epochOrder(0);
  assert.equal(o.length, 8000);
  assert.equal(new Set(o).size, 8000);
  assert.deepEqual(data.epochOrder(0), o);
  assert.notDeepEqual(data.epochOrder(1).slice(0, 10), o.slice(0, 10));
});

test('convnetjs Adam: the first step moves each weight by lr against the gradient sign', () => {
  // Step 1: m/(1-b1) = g, v/(1-b2) = g^2, so the update is lr g / (|g| + eps) = lr sign(g).
  const params = Float64Array.from([1, -2]);
  const grads = Float64Array.from([0.5, -3]);
  const net = { getParamsAndGrads: () => [{ params, grads }] };
  adam(net, 0.1)(1);
  assert.ok(Math.abs(params[0] - 0.9) < 1e-6 && Math.abs(params[1] + 1.9) < 1e-6, `got ${[...params]}`);
  assert.deepEqual([...grads], [0, 0]);
});
