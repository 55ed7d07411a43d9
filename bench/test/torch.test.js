// PyTorch in the bench (issue 16): FLOP counts, the targets' verdicts, the PyTorch jobs, the
// choice of Python and the skip when torch does not import.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { jobs, commandOf, labelOf } = require('../run');
const { layersOf, flopsPerSample, achievedGflops, withGflops } = require('../lib/flops');
const { evaluateTargets, targetsReport, cpuFeatures } = require('../lib/targets');
const { againstTorch, bfloat16Table, comparison, torchSlowerOnMoreThreads } = require('../lib/report');
const { choosePython, canImport, torchMissingLine, VENV_PYTHON } = require('../lib/python');

test('flops: W7 by hand, 690,109,440 FLOPs a sample', () => {
  // MACs = outH x outW x cout x 3 x 3 x cin (same padding):
  //   32*32*64*27 = 1,769,472; 32*32*64*576 = 37,748,736; (pool) 16*16*128*576 = 18,874,368;
  //   16*16*128*1152 = 37,748,736; (pool) 8*8*256*1152 = 18,874,368; dense 256*10 = 2,560.
  assert.deepEqual(
    layersOf('W7').map((l) => l.macs),
    [1769472, 37748736, 18874368, 37748736, 18874368, 2560],
  );
  // sum 115,018,240 MACs; forward 2x = 230,036,480; backward 2x forward; total 3x forward.
  assert.deepEqual(flopsPerSample('W7'), { forward: 230036480, total: 690109440 });
  assert.ok(Math.abs(achievedGflops('W7', 100) - 69.010944) < 1e-9);
});

test('flops: W8, W3 and W6 by hand; other workloads are not counted', () => {
  // W8: 3072*2048 + 2048*2048 + 2048*10 = 10,506,240 MACs.
  assert.equal(flopsPerSample('W8').total, 6 * 10506240);
  // W3: 28*28*8*25 = 156,800; 14*14*16*200 = 627,200; dense 7*7*16*10 = 7,840.
  assert.deepEqual(
    layersOf('W3').map((l) => l.macs),
    [156800, 627200, 7840],
  );
  // W6: stem 28*28*16*9 = 112,896; stage 1: 4 x 28*28*16*144 = 4 x 1,806,336; stage 2: 14*14*32*144
  // = 903,168 (stride 2), 3 x 14*14*32*288 = 3 x 1,806,336, projection 14*14*32*16 = 100,352;
  // stage 3: 7*7*64*288 = 903,168, 3 x 7*7*64*576 = 3 x 1,806,336, projection 7*7*64*32 = 100,352; dense 640.
  const w6 = layersOf('W6');
  assert.equal(w6.length, 1 + 4 + 5 + 5 + 1);
  assert.equal(
    w6.reduce((s, l) => s + l.macs, 0),
    112896 + 4 * 1806336 + (903168 + 3 * 1806336 + 100352) * 2 + 640,
  );
  assert.equal(w6.filter((l) => l.kind.startsWith('conv1x1/2')).length, 2);
  assert.equal(flopsPerSample('W2'), null);
  assert.equal(achievedGflops('W5', 1000), null);
});

test('withGflops: a gflops record beside each counted samples_per_s, same fields, once', () => {
  const recs = [
    { workload: 'W8', impl: 'pytorch', metric: 'samples_per_s', value: 1000, threads: 1, precision: 'bfloat16', batch: 256 },
    { workload: 'W2', impl: 'pytorch', metric: 'samples_per_s', value: 1000, threads: 1 },
  ];
  const out = withGflops(recs);
  assert.equal(out.length, 3);
  assert.deepEqual(out[2], { workload: 'W8', impl: 'pytorch', metric: 'gflops', value: 63.03744, threads: 1, precision: 'bfloat16', batch: 256 });
  assert.equal(withGflops(out).length, 3, 'not added twice');
});

const rec = (workload, impl, value, threads = 2, extra = {}) => ({ workload, impl, metric: 'samples_per_s', value, threads, ...extra });

test('targets: met, NOT met and not measured, with the ratios', () => {
  const records = withGflops([
    rec('W7', 'oxnet-native', 150),
    rec('W7', 'pytorch', 100),
    rec('W7', 'oxnet-native', 50, 1),
    rec('W7', 'pytorch', 40, 1),
    { workload: 'W4', impl: 'oxnet-native', metric: 'gflops', value: 200, threads: 2, size: 1024 },
    { workload: 'W4', impl: 'pytorch', metric: 'gflops', value: 250, threads: 2, size: 1024 },
    rec('W2', 'oxnet-native', 90000),
    rec('W2', 'oxnet-native', 60000, 1),
    rec('W2', 'pytorch', 60000),
  ]);
  const t = Object.fromEntries(evaluateTargets(records, 2).map((x) => [x.name, x]));
  assert.equal(t['W7 oxnet / PyTorch at 2 threads'].status, 'met'); // 150 / 100 = 1.5 >= 1.5
  assert.equal(t['W7 oxnet / PyTorch at 2 threads'].ratio, 1.5);
  assert.equal(t['W7 oxnet / PyTorch at 1 thread'].status, 'NOT met'); // 50 / 40 = 1.25
  // 150 samples/s x 690,109,440 FLOPs = 103.5 GFLOP/s against 200: 0.5176 < 0.6.
  const share = t['W7 achieved GFLOP/s / our W4 GEMM at n=1024'];
  assert.ok(Math.abs(share.ratio - 0.51758208) < 1e-9 && share.status === 'NOT met');
  assert.equal(t['W4 GEMM n=1024: oxnet / torch.matmul'].ratio, 0.8);
  assert.equal(t['W4 GEMM n=4096: oxnet / torch.matmul'].status, 'not measured');
  assert.equal(t['W6 oxnet / PyTorch at 2 threads'].status, 'not measured');
  assert.equal(t['W2 oxnet / PyTorch at 2 threads'].status, 'met'); // 1.5
  assert.equal(t['W2 oxnet 2 threads / 1 thread'].status, 'met'); // 1.5 >= 1.3
  assert.equal(t['W7 oxnet 2 threads / 1 thread'].status, 'met'); // 3.0 >= 1.8
  assert.equal(t['W3 oxnet 2 threads / 1 thread'].status, 'not measured');
  const text = targetsReport(evaluateTargets(records, 2), 2);
  assert.match(text, /^- W7 oxnet \/ PyTorch at 2 threads >= 1\.5x: 1\.500x met$/m);
  assert.match(text, /^- W7 oxnet \/ PyTorch at 1 thread >= 1\.5x: 1\.250x NOT met$/m);
  assert.match(text, /^- W6 oxnet \/ PyTorch at 2 threads >= 1\.5x: not measured$/m);
});

test('targets: the bfloat16 lines follow the CPU (AMX, AVX512_BF16 only, neither)', () => {
  const records = [
    rec('W7', 'oxnet-native', 100),
    rec('W7', 'oxnet-native', 320, 2, { precision: 'bfloat16' }),
    rec('W7', 'pytorch', 300, 2, { precision: 'bfloat16' }),
  ];
  const amx = evaluateTargets(records, 2, { amx: true, avx512bf16: true }).slice(-2);
  assert.deepEqual(
    amx.map((t) => [t.status, Math.round(t.ratio * 1000) / 1000]),
    [
      ['met', 3.2],
      ['met', 1.067],
    ],
  );
  const bf16 = evaluateTargets(records, 2, { amx: false, avx512bf16: true }).at(-1);
  assert.equal(bf16.need, 1.5);
  assert.equal(bf16.status, 'met');
  const none = evaluateTargets(records, 2, { amx: false, avx512bf16: false }).slice(-2);
  assert.deepEqual(
    none.map((t) => t.status),
    ['not measured', 'not measured'],
  );
  assert.match(none[0].note, /neither AMX nor AVX512_BF16; measured here anyway: 3\.200x/);
  assert.deepEqual(cpuFeatures('flags\t\t: fpu avx2 fma avx512_bf16 amx_bf16 amx_tile\n'), { amx: true, avx512bf16: true });
  assert.deepEqual(cpuFeatures('flags\t\t: fpu avx2 fma\n'), { amx: false, avx512bf16: false });
});

test('jobs with PyTorch: 2 and 1 threads beside oxnet, autocast rows, GEMM reference', () => {
  const show = (j) =>
    `${j.workload}:${j.impl}:${j.threads ?? j.env.RAYON_NUM_THREADS ?? '-'}${j.precision ? `:${j.precision}` : ''}${j.env.OMP_WAIT_POLICY ? ':passive' : ''}`;
  assert.deepEqual(jobs({ only: ['W7'] }, 2, { torch: true }).map(show), [
    'W7:oxnet-native:2',
    'W7:oxnet-js:-',
    'W7:oxnet-native:1',
    'W7:pytorch:2',
    'W7:pytorch:1',
    'W7:pytorch:2:passive',
    'W7:oxnet-native:2:bfloat16',
    'W7:pytorch:2:bfloat16',
    'W4:oxnet-native:2',
  ]);
  const w2 = jobs({ only: ['W2'] }, 2, { torch: true }).map(show);
  const round = ['W2:oxnet-native:2', 'W2:oxnet-native:1', 'W2:pytorch:2', 'W2:pytorch:1'];
  const passive = ['W2:oxnet-native:2', 'W2:oxnet-native:1', 'W2:pytorch:2:passive', 'W2:pytorch:1'];
  assert.deepEqual(
    w2.slice(6),
    [...round.slice(1), ...passive, ...round],
    'W2: three alternating rounds, the second with OMP_WAIT_POLICY=PASSIVE; no bfloat16 row',
  );
  const w4 = jobs({ only: ['W4'] }, 2, { torch: true }).map(show);
  assert.deepEqual(
    w4.slice(-5),
    ['W4:oxnet-native:2', 'W4:oxnet-native:1', 'W4:numpy:-', 'W4:pytorch:2', 'W4:pytorch:2:bfloat16'],
    'torch.matmul at 2 threads; bf16 once',
  );
  assert.equal(w4.filter((x) => x === 'W4:pytorch:2:passive').length, 1);
  assert.ok(!jobs({ only: ['W7'] }, 1, { torch: true }).some((j) => j.env.OMP_WAIT_POLICY), 'one core: no barrier to wait at');
  assert.ok(!jobs({ only: ['W1'] }, 2, { torch: true }).some((j) => j.impl === 'pytorch'));
  assert.ok(!jobs({ only: ['W7'] }, 2, { torch: false }).some((j) => j.impl === 'pytorch'));
});

test('commandOf: the PyTorch job gets its threads, settings, precision and the data files', () => {
  const job = jobs({ only: ['W7'] }, 2, { torch: true }).find((j) => j.impl === 'pytorch' && j.threads === 1);
  const { cmd, args, env } = commandOf(job, true, '/some/python');
  assert.equal(cmd, '/some/python');
  assert.equal(path.basename(args[0]), 'torch_workloads.py');
  assert.deepEqual(args.slice(1, 4), ['W7', '--threads', '1']);
  assert.deepEqual(JSON.parse(args[args.indexOf('--settings') + 1]), { warmupBatches: 1, batches: 2, batch: 128, lr: 1e-3 });
  assert.ok(fs.existsSync(args[args.indexOf('--synthetic') + 1]) && fs.existsSync(args[args.indexOf('--orders') + 1]));
  assert.equal(env.OMP_NUM_THREADS, '1');
  assert.ok(args.includes('--quick') && !args.includes('--precision'));
  const bf = jobs({ only: ['W7'] }, 2, { torch: true }).find((j) => j.impl === 'pytorch' && j.precision);
  const a = commandOf(bf, false, 'py').args;
  assert.equal(a[a.indexOf('--precision') + 1], 'bfloat16');
  assert.equal(a[a.indexOf('--limit-s') + 1], '3600', 'the job limit of a full run');
  assert.equal(labelOf(bf), 'W7 pytorch bfloat16');
  assert.equal(labelOf(job), 'W7 pytorch (1 thread)');
  const passive = jobs({ only: ['W7'] }, 2, { torch: true }).find((j) => j.env.OMP_WAIT_POLICY);
  assert.equal(commandOf(passive, true, 'py').env.OMP_WAIT_POLICY, 'PASSIVE');
  assert.equal(labelOf(passive), 'W7 pytorch (OMP_WAIT_POLICY=PASSIVE)');
  const native = jobs({ only: ['W7'] }, 2).find((j) => j.precision);
  assert.ok(commandOf(native, true).args.includes('--precision=bfloat16'));
});

test('choosePython: BENCH_PYTHON, then bench/.venv, then python3', () => {
  assert.equal(
    choosePython({ BENCH_PYTHON: '/opt/py/bin/python' }, () => true),
    '/opt/py/bin/python',
  );
  assert.equal(
    choosePython({}, (p) => p === VENV_PYTHON),
    VENV_PYTHON,
  );
  assert.equal(
    choosePython({}, () => false),
    'python3',
  );
  assert.match(torchMissingLine('python3'), /'python3' cannot import torch.*bench\/setup-python\.sh.*BENCH_PYTHON/);
});

test('canImport: a missing interpreter or a failing import is "no"', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-py-'));
  const fake = (name, code) => {
    const f = path.join(dir, name);
    fs.writeFileSync(f, `#!/bin/sh\nexit ${code}\n`, { mode: 0o755 });
    return f;
  };
  assert.equal(canImport(fake('ok', 0), 'torch'), true);
  assert.equal(canImport(fake('bad', 1), 'torch'), false);
  assert.equal(canImport(path.join(dir, 'absent'), 'torch'), false);
  fs.rmSync(dir, { recursive: true });
});

test('torch_workloads.py without torch prints one skip line and exits 0', (t) => {
  const python = choosePython();
  if (!canImport(python, 'json')) return t.skip(`no python at '${python}'`);
  // -S: no site-packages, so torch (and numpy) cannot import, whatever this python has.
  const r = spawnSync(python, ['-S', path.join(__dirname, '..', 'impls', 'torch_workloads.py'), 'W2', '--threads', '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1);
  const skip = JSON.parse(lines[0].slice('@@bench '.length));
  assert.equal(skip.impl, 'pytorch');
  assert.match(skip.skipped, /torch does not import .*setup-python\.sh/);
});

test('report: against PyTorch at 2 and 1 threads with GFLOP/s shares; bf16 beside fp32; main table fp32 only', () => {
  const records = withGflops([
    rec('W7', 'oxnet-native', 150),
    rec('W7', 'pytorch', 100),
    rec('W7', 'oxnet-native', 50, 1),
    rec('W7', 'pytorch', 40, 1),
    rec('W7', 'pytorch', 200, 2, { precision: 'bfloat16' }),
    { workload: 'W4', impl: 'oxnet-native', metric: 'gflops', value: 200, threads: 2, size: 1024 },
  ]);
  const t = againstTorch(records, 2);
  // 150 x 0.69 = 103.5 GFLOP/s = 0.518 of 200; PyTorch 69.0 = 0.345.
  assert.match(t, /\| W7 \| samples\/s \| 150\.0 \| 100\.0 \| 1\.500x \| 50\.0 \| 40\.0 \| 1\.250x \| 103\.5 \(0\.518\) \| 69\.0 \(0\.345\) \|/);
  assert.match(bfloat16Table(records, 2), /\| W7 \| {2}\| 150\.0 \| - \| - \| 100\.0 \| 200\.0 \| 2\.000x \| - \|/);
  const main = comparison(records, 2);
  assert.match(main, /\| W7 \| samples_per_s \| {2}\| 150\.0 \| 100\.0 \(0\.667x\) \|/);
  assert.doesNotMatch(main, /W7 \| samples_per_s[^\n]*200/, 'the bf16 row stays out of the main table');
});

test('report: names the workloads where PyTorch lost speed on more threads', () => {
  const records = [rec('W2', 'pytorch', 700), rec('W2', 'pytorch', 5600, 1), rec('W7', 'pytorch', 30), rec('W7', 'pytorch', 20, 1), rec('W8', 'pytorch', 10)];
  assert.deepEqual(torchSlowerOnMoreThreads(records, 2), ['W2']);
  assert.deepEqual(torchSlowerOnMoreThreads(records, 1), []);
});
