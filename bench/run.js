// `npm run bench [-- --quick] [-- --only W2,W7]`: every (workload, impl) in its own child process,
// one after another; records to bench/results/latest.json and a markdown report on the terminal.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const data = require('./lib/data');
const { withGflops } = require('./lib/flops');
const { choosePython, canImport, torchMissingLine } = require('./lib/python');
const { evaluateTargets, targetsReport, cpuFeatures } = require('./lib/targets');
const { settings } = require('./lib/workloads');

const HERE = __dirname;
const WORKLOADS = ['W1', 'W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8', 'kernels', 'growth'];
// W6-W8 (a ResNet, a VGG-style CNN, a wide MLP): oxnet's two backends and PyTorch; the JS peers would take hours or cannot (tfjs-wasm lacks conv backprop).
const OXNET_ONLY = ['kernels', 'growth'];
const LARGE = ['W6', 'W7', 'W8'];
const NODE_IMPLS = ['oxnet-native', 'oxnet-js', 'tfjs-cpu', 'tfjs-wasm', 'brainjs', 'convnetjs'];
// PyTorch runs every workload it can express (not W1: per-sample XOR is no PyTorch workload).
const TORCH_WORKLOADS = ['W2', 'W3', 'W4', 'W5', 'W6', 'W7', 'W8'];
// bfloat16 rows (oxnet's compile({ precision: 'bfloat16' }) where it exists, PyTorch's autocast), at all cores.
const BF16_WORKLOADS = ['W3', 'W6', 'W7', 'W8'];
// Workloads whose GFLOP/s is compared with oxnet's W4 GEMM at n = 1024 of the same run.
const COUNTED = ['W3', 'W6', 'W7', 'W8'];

function parseArgs(argv) {
  const opts = { quick: false, only: WORKLOADS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const list = (a.includes('=') ? a.slice(7) : (argv[++i] ?? ''))
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const bad = list.filter((w) => !WORKLOADS.includes(w));
      if (bad.length || !list.length) throw new Error(`--only takes a comma list of ${WORKLOADS.join(', ')}; got '${list.join(',')}'`);
      opts.only = list;
    } else throw new Error(`unknown argument '${a}'; use --quick and/or --only W2,W3`);
  }
  return opts;
}

/** Installs bench's own devDependencies (the peers) if they are missing. */
function ensurePeers() {
  if (fs.existsSync(path.join(HERE, 'node_modules', '@tensorflow', 'tfjs'))) return;
  console.log('installing the peer libraries into bench/node_modules (npm ci) ...');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: HERE, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('npm ci in bench/ failed');
}

/**
 * One job of a bench run.
 * @typedef {{ workload: string, impl: string, env: Record<string, string>, threads?: number, precision?: string }} Job
 */

/**
 * A PyTorch job at `threads` threads (its thread pools: torch.set_num_threads, OMP, MKL).
 * `passive`: OMP_WAIT_POLICY=PASSIVE. PyTorch's OpenMP threads spin-wait at every barrier by
 * default, which on a machine whose cores are busy elsewhere costs it up to 30x at 2 threads
 * (W2 on a loaded 2-core Zen 1: 150 against 5,100 samples/s); its multi-thread runs go once each
 * way and mergeRounds keeps the better, so PyTorch gets the better of its two settings.
 * @returns {Job}
 */
function torchJob(workload, threads, precision, passive = false) {
  const t = `${threads}`;
  return { workload, impl: 'pytorch', threads, precision, env: { OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, ...(passive ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}) } };
}

/**
 * The jobs to run, in order: { workload, impl, env, threads?, precision? }. `torch`: whether
 * PyTorch imports (its jobs are left out otherwise).
 * @returns {Job[]}
 */
function jobs(opts, cores, { torch = false } = {}) {
  const all = `${cores}`;
  const out = [];
  /** @type {(w: string, env?: Record<string, string>, precision?: string) => Job} */
  const native = (w, env = { RAYON_NUM_THREADS: all }, precision = undefined) => ({ workload: w, impl: 'oxnet-native', env, precision });
  for (const w of opts.only) {
    if (OXNET_ONLY.includes(w)) {
      out.push(native(w), { workload: w, impl: 'oxnet-js', env: {} });
      continue;
    }
    const base = native(w);
    if (LARGE.includes(w)) out.push(base, { workload: w, impl: 'oxnet-js', env: {} });
    else for (const impl of NODE_IMPLS) out.push(impl === 'oxnet-native' ? base : { workload: w, impl, env: {} });
    // Thread scaling of the native backend (rayon reads RAYON_NUM_THREADS once, at pool start),
    // numpy's GEMM and PyTorch at all cores and at one thread: ratios of a few tens of percent on
    // a shared machine, so W2-W4 get more rounds of these, alternating, merged by mergeRounds.
    const paired = (round) => {
      const list = [];
      if (cores > 1 && w !== 'W1') list.push(native(w, { RAYON_NUM_THREADS: '1' }));
      if (w === 'W4') list.push({ workload: w, impl: 'numpy', env: {} });
      // PyTorch at all cores: its default OpenMP wait policy, and PASSIVE in the second round (see torchJob).
      if (torch && TORCH_WORKLOADS.includes(w))
        list.push(torchJob(w, cores, undefined, cores > 1 && round === 1), ...(cores > 1 && w !== 'W4' ? [torchJob(w, 1)] : []));
      return list;
    };
    out.push(...paired(0));
    if (paired(0).length && ['W2', 'W3', 'W4'].includes(w)) for (let round = 1; round < ROUNDS; round++) out.push(base, ...paired(round));
    else if (torch && TORCH_WORKLOADS.includes(w) && cores > 1) out.push(torchJob(w, cores, undefined, true));
    // bfloat16 rows, once: oxnet's (skipped with a line when compile refuses the option) and PyTorch's autocast (and its bf16 matmul on W4).
    if (BF16_WORKLOADS.includes(w)) out.push(native(w, { RAYON_NUM_THREADS: all }, 'bfloat16'));
    if (torch && (BF16_WORKLOADS.includes(w) || w === 'W4')) out.push(torchJob(w, cores, 'bfloat16'));
  }
  // The achieved GFLOP/s of W3, W6-W8 is given as a share of our GEMM at n = 1024 in the same run.
  if (!opts.only.includes('W4') && opts.only.some((w) => COUNTED.includes(w))) out.push({ ...native('W4'), note: 'GEMM reference' });
  return out;
}

const ROUNDS = 3;

/**
 * Records that differ only in value (and reps, samples) are repeated rounds of one measurement: speeds keep
 * the best round (the least disturbed by other load), peak RSS and event-loop lag the worst (a
 * bound, not a lucky round), anything else (accuracy, epochs) the first.
 */
function mergeRounds(records) {
  const kept = new Map();
  const speed = (m) => m === 'samples_per_s' || m === 'gflops';
  const time = (m) => m === 'epoch_ms' || m === 'us_per_call' || m === 'median_epoch_us';
  const bound = (m) => m === 'peak_rss_mb' || m === 'loop_lag_p99_ms';
  for (const r of records) {
    // The same record but for the measurement itself (with --quick, how many samples fit the time budget varies by round).
    const { value, reps, samples, ...rest } = r;
    const key = JSON.stringify(Object.entries(rest).sort());
    const seen = kept.get(key);
    const better = !seen || (speed(r.metric) && value > seen.value) || (time(r.metric) && value < seen.value) || (bound(r.metric) && value > seen.value);
    if (better) kept.set(key, r);
  }
  return [...kept.values()];
}

function commandOf(job, quick, python = choosePython(), timeoutS = quick ? 120 : 3600) {
  const flag = quick ? ['--quick'] : [];
  if (job.impl === 'numpy') {
    const env = { ...process.env };
    // The machines preset a Haswell kernel for OpenBLAS that halves numpy's GEMM: unset for this run only.
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    return { cmd: python, args: [path.join(HERE, 'impls', 'numpy_gemm.py'), ...flag], env };
  }
  if (job.impl === 'pytorch') {
    const files = ['--mnist', data.ensureMnistCache(), '--orders', data.ensureOrdersFile()];
    if (data.SYNTHETIC[job.workload]) files.push('--synthetic', data.ensureSyntheticFile(job.workload));
    const args = [
      path.join(HERE, 'impls', 'torch_workloads.py'),
      job.workload,
      '--threads',
      `${job.threads}`,
      '--settings',
      JSON.stringify(settings(job.workload, quick, 'pytorch')),
    ];
    if (job.precision) args.push('--precision', job.precision);
    args.push('--limit-s', `${timeoutS}`);
    return { cmd: python, args: [...args, ...files, ...flag], env: { ...process.env, ...job.env } };
  }
  const precision = job.precision ? [`--precision=${job.precision}`] : [];
  return { cmd: process.execPath, args: [path.join(HERE, 'worker.js'), job.workload, job.impl, ...flag, ...precision], env: { ...process.env, ...job.env } };
}

/** The progress line's name of a job. */
function labelOf(job) {
  const threads = job.env.RAYON_NUM_THREADS === '1' || job.threads === 1 ? ' (1 thread)' : '';
  const passive = job.env.OMP_WAIT_POLICY ? ` (OMP_WAIT_POLICY=${job.env.OMP_WAIT_POLICY})` : '';
  return `${job.workload} ${job.impl}${threads}${job.precision ? ` ${job.precision}` : ''}${passive}${job.note ? ` (${job.note})` : ''}`;
}

/** Runs one job; resolves with its records, skips and an error text if it failed. */
function runJob(job, quick, timeoutS, python) {
  return new Promise((resolve) => {
    const { cmd, args, env } = commandOf(job, quick, python, timeoutS);
    const child = spawn(cmd, args, { cwd: HERE, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    const done = (code, signal) => {
      clearTimeout(timer);
      const lines = out
        .split('\n')
        .filter((l) => l.startsWith('@@bench '))
        .map((l) => JSON.parse(l.slice(8)));
      // The last lines of stderr (tfjs prints a banner first).
      const tail = err
        .trim()
        .split('\n')
        .filter((l) => l.trim() && !/^=+$|TensorFlow\.js in Node/.test(l))
        .slice(0, 3)
        .join(' / ');
      const failure = code === 0 ? null : signal === 'SIGKILL' ? `killed after the ${timeoutS} s limit` : `exit ${code ?? signal}: ${tail}`;
      resolve({ records: lines.filter((l) => !l.skipped), skips: lines.filter((l) => l.skipped), failure });
    };
    child.on('close', done);
    child.on('error', (e) => done(null, e.message));
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const cores = os.availableParallelism();
  ensurePeers();
  data.ensureMnistCache();
  const { theoreticalPeak } = require('./lib/peak');
  const { report } = require('./lib/report');
  const peak = theoreticalPeak();
  const timeoutS = opts.quick ? 120 : 3600;
  const records = [];
  const skips = [];
  const python = choosePython();
  const torch = opts.only.some((w) => TORCH_WORKLOADS.includes(w)) && canImport(python, 'torch');
  if (!torch && opts.only.some((w) => TORCH_WORKLOADS.includes(w))) {
    console.log(torchMissingLine(python));
    skips.push({ workload: opts.only.filter((w) => TORCH_WORKLOADS.includes(w)).join(','), impl: 'pytorch', skipped: torchMissingLine(python) });
  }
  const list = jobs(opts, cores, { torch });
  const started = Date.now();
  for (const [i, job] of list.entries()) {
    const t0 = Date.now();
    process.stdout.write(`[${i + 1}/${list.length}] ${labelOf(job)} ... `);
    const r = await runJob(job, opts.quick, timeoutS, python);
    records.push(...r.records);
    for (const sk of r.skips) if (!skips.some((x) => x.workload === sk.workload && x.impl === sk.impl && x.skipped === sk.skipped)) skips.push(sk);
    if (r.failure) skips.push({ workload: job.workload, impl: labelOf(job).slice(job.workload.length + 1), skipped: `FAILED: ${r.failure}` });
    console.log(r.failure ? 'failed' : r.records.length ? `${((Date.now() - t0) / 1000).toFixed(1)} s` : 'skipped');
  }
  records.splice(0, records.length, ...withGflops(mergeRounds(records)));
  if (peak && opts.only.includes('W4'))
    records.push({ workload: 'W4', impl: 'fp32-peak', metric: 'gflops', value: peak.gflops, threads: cores, note: peak.formula });
  fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
  fs.writeFileSync(path.join(HERE, 'results', 'latest.json'), `${JSON.stringify(records, null, 1)}\n`);
  console.log(`\n${report(records, skips, peak, cores)}\n`);
  console.log(`${targetsReport(evaluateTargets(records, cores, cpuFeatures()), cores)}\n`);
  console.log(`${records.length} records in bench/results/latest.json (${((Date.now() - started) / 1000).toFixed(0)} s${opts.quick ? ', --quick' : ''})`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(`bench: ${e.message}`);
    process.exitCode = 1;
  });
}

module.exports = { parseArgs, jobs, mergeRounds, commandOf, labelOf };
