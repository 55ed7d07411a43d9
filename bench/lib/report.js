// The terminal report: markdown tables with each figure's ratio to oxnet-native.
const IMPLS = ['oxnet-native', 'oxnet-js', 'tfjs-cpu', 'tfjs-wasm', 'brainjs', 'convnetjs', 'numpy', 'pytorch'];
const LOWER_IS_BETTER = new Set(['median_epochs', 'median_epoch_us', 'recon_mse', 'peak_rss_mb', 'loop_lag_p99_ms', 'epoch_ms', 'us_per_call']);

function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 0.01) return v.toFixed(3);
  return v.toExponential(2);
}

function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Rows keyed by workload, metric and case/size; one column per impl with "value (ratio)".
 * float32 only; oxnet-native and PyTorch at `threads` (their other runs have tables of their own).
 */
function comparison(records, threads) {
  const rows = new Map();
  for (const r of records) {
    if ((r.impl === 'oxnet-native' || r.impl === 'pytorch') && r.threads !== threads) continue;
    if (r.precision) continue;
    const key = `${r.workload}|${r.metric}|${r.case ?? (r.size ? `n=${r.size}` : '')}`;
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key).set(r.impl, r.value);
  }
  const used = IMPLS.filter((i) => [...rows.values()].some((m) => m.has(i)));
  const body = [...rows.entries()].map(([key, byImpl]) => {
    const [workload, metric, kase] = key.split('|');
    const base = byImpl.get('oxnet-native');
    const cells = used.map((impl) => {
      const v = byImpl.get(impl);
      if (v === undefined) return '-';
      return impl !== 'oxnet-native' && base ? `${fmt(v)} (${fmt(v / base)}x)` : fmt(v);
    });
    return [workload, `${metric}${LOWER_IS_BETTER.has(metric) ? ' (lower better)' : ''}`, kase, ...cells];
  });
  return table(['workload', 'metric', 'case', ...used], body);
}

function threadScaling(records, cores) {
  const native = records.filter((r) => r.impl === 'oxnet-native' && ['samples_per_s', 'gflops'].includes(r.metric) && r.workload !== 'kernels' && !r.precision);
  const keyOf = (r) => `${r.workload}|${r.metric}|${r.size ? `n=${r.size}` : ''}`;
  const keys = [...new Set(native.map(keyOf))];
  const rows = keys
    .map((k) => {
      const one = native.find((r) => keyOf(r) === k && r.threads === 1);
      const two = native.find((r) => keyOf(r) === k && r.threads === cores);
      if (!one || !two) return null;
      return [...k.split('|'), fmt(one.value), fmt(two.value), `${fmt(two.value / one.value)}x`];
    })
    .filter(Boolean);
  return rows.length ? table(['workload', 'metric', 'case', '1 thread', `${cores} threads`, 'speed-up'], rows) : '';
}

const speedOf = (r) => (r.workload === 'W4' ? r.metric === 'gflops' : r.metric === 'samples_per_s');
const caseOf = (r) => (r.size ? `n=${r.size}` : '');
/** A figure, or '-' where it was not measured. */
const cell = (x) => (x === undefined ? '-' : fmt(x));
/** a / b as a ratio cell, or '-' where either is missing. */
const ratioCell = (a, b) => (a !== undefined && b ? `${fmt(a / b)}x` : '-');
/** The keys of two maps, each once, sorted. */
const unionKeys = (a, b) => [...new Set([...a.keys(), ...b.keys()])].sort();

/** The records of one impl, threads and precision (undefined = float32), as a map by workload|case. */
function byCase(records, impl, threads, precision, metric) {
  const m = new Map();
  for (const r of records)
    if (r.impl === impl && r.threads === threads && r.precision === precision && (metric ? r.metric === metric : speedOf(r)))
      m.set(`${r.workload}|${caseOf(r)}`, r.value);
  return m;
}

/**
 * oxnet-native against PyTorch, float32, at all cores and at one thread: samples/s (W4: GFLOP/s)
 * and oxnet / PyTorch; achieved GFLOP/s of oxnet and PyTorch and their share of oxnet's W4 GEMM at
 * n = 1024 in the same run.
 */
function againstTorch(records, cores) {
  const n2 = byCase(records, 'oxnet-native', cores);
  const t2 = byCase(records, 'pytorch', cores);
  const n1 = byCase(records, 'oxnet-native', 1);
  const t1 = byCase(records, 'pytorch', 1);
  const g2 = byCase(records, 'oxnet-native', cores, undefined, 'gflops');
  const gt = byCase(records, 'pytorch', cores, undefined, 'gflops');
  const gemm = g2.get('W4|n=1024');
  const keys = unionKeys(t2, t1);
  if (!keys.length) return '';
  const share = (g) => (g !== undefined && gemm ? fmt(g / gemm) : '-');
  const rows = keys.map((k) => {
    const [w, kase] = k.split('|');
    const counted = !w.startsWith('W4') && g2.has(k);
    return [
      w,
      kase || (w === 'W4' ? '' : 'samples/s'),
      cell(n2.get(k)),
      cell(t2.get(k)),
      ratioCell(n2.get(k), t2.get(k)),
      cell(n1.get(k)),
      cell(t1.get(k)),
      ratioCell(n1.get(k), t1.get(k)),
      counted ? `${cell(g2.get(k))} (${share(g2.get(k))})` : '-',
      counted ? `${cell(gt.get(k))} (${share(gt.get(k))})` : '-',
    ];
  });
  return table(
    [
      'workload',
      'figure',
      `oxnet ${cores} thr`,
      `PyTorch ${cores} thr`,
      'oxnet / PyTorch',
      'oxnet 1 thr',
      'PyTorch 1 thr',
      'oxnet / PyTorch',
      `oxnet GFLOP/s (share of our GEMM ${gemm ? fmt(gemm) : 'n/a'})`,
      'PyTorch GFLOP/s (share)',
    ],
    rows,
  );
}

/** Workloads (W4: sizes) where PyTorch's float32 run at all cores was slower than its 1-thread run. */
function torchSlowerOnMoreThreads(records, cores) {
  if (cores < 2) return [];
  const all = byCase(records, 'pytorch', cores);
  const one = byCase(records, 'pytorch', 1);
  return [...all.keys()].filter((k) => one.has(k) && all.get(k) < one.get(k)).map((k) => k.replace('|', ' ').trim());
}

/** bfloat16 rows beside float32: oxnet's and PyTorch's, each against its own float32, and against each other. */
function bfloat16Table(records, cores) {
  const nf = byCase(records, 'oxnet-native', cores);
  const nb = byCase(records, 'oxnet-native', cores, 'bfloat16');
  const tf = byCase(records, 'pytorch', cores);
  const tb = byCase(records, 'pytorch', cores, 'bfloat16');
  const keys = unionKeys(nb, tb);
  if (!keys.length) return '';
  const rows = keys.map((k) => {
    const [w, kase] = k.split('|');
    return [
      w,
      kase,
      cell(nf.get(k)),
      cell(nb.get(k)),
      ratioCell(nb.get(k), nf.get(k)),
      cell(tf.get(k)),
      cell(tb.get(k)),
      ratioCell(tb.get(k), tf.get(k)),
      ratioCell(nb.get(k), tb.get(k)),
    ];
  });
  return table(
    ['workload', 'case', 'oxnet fp32', 'oxnet bf16', 'bf16 / fp32', 'PyTorch fp32', 'PyTorch bf16', 'bf16 / fp32', 'oxnet bf16 / PyTorch bf16'],
    rows,
  );
}

/** The whole report as markdown text. */
function report(records, skips, peak, cores) {
  const main = records.filter((r) => !['kernels', 'growth'].includes(r.workload) && r.impl !== 'fp32-peak');
  const parts = [`## Workloads (ratio = impl / oxnet-native at ${cores} threads)`, comparison(main, cores)];
  const scaling = threadScaling(records, cores);
  if (scaling) parts.push(`## oxnet-native: 1 vs ${cores} threads (RAYON_NUM_THREADS)`, scaling);
  const torch = againstTorch(records, cores);
  if (torch) parts.push('## oxnet-native against PyTorch (float32; samples/s, W4 GFLOP/s; GFLOP/s counted by lib/flops.js)', torch);
  const slower = torchSlowerOnMoreThreads(records, cores);
  if (slower.length)
    parts.push(
      `Note: PyTorch ran slower at ${cores} threads than at 1 on ${slower.join(', ')}. Its OpenMP threads spin-wait at each barrier, so on a machine whose cores are busy with other work its ${cores}-thread figures fall far below its best; the 1-thread columns are the fairer comparison here.`,
    );
  const bf16 = bfloat16Table(records, cores);
  if (bf16) parts.push(`## bfloat16 (oxnet: compile({ precision: 'bfloat16' }); PyTorch: autocast) at ${cores} threads`, bf16);
  const kernels = records.filter((r) => r.workload === 'kernels');
  if (kernels.length) parts.push('## Kernels (ratio = oxnet-js / oxnet-native)', comparison(kernels, cores));
  const growth = records.filter((r) => r.workload === 'growth');
  if (growth.length) parts.push('## Growth: ms per 8000-sample epoch (js: 2000 samples, 1000 with --quick, scaled)', comparison(growth, cores));
  if (peak) {
    const gemm = records.filter((r) => r.workload === 'W4' && r.metric === 'gflops' && r.impl !== 'fp32-peak');
    const lines = gemm.map((r) => `- ${r.impl} n=${r.size} (${r.threads} thr): ${fmt(r.value)} GFLOP/s = ${fmt((100 * r.value) / peak.gflops)}% of peak`);
    parts.push(`## GEMM against the theoretical fp32 peak: ${fmt(peak.gflops)} GFLOP/s\n${peak.formula}\n${lines.join('\n')}`);
  }
  if (skips.length) parts.push(`## Skipped\n${skips.map((s) => `- ${s.workload} ${s.impl}: ${s.skipped}`).join('\n')}`);
  return parts.join('\n\n');
}

module.exports = { report, comparison, againstTorch, bfloat16Table, torchSlowerOnMoreThreads, fmt, IMPLS };
