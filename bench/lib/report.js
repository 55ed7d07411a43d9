// The terminal report: markdown tables with each figure's ratio to oxnet-native.
const IMPLS = ['oxnet-native', 'oxnet-js', 'tfjs-cpu', 'tfjs-wasm', 'brainjs', 'convnetjs', 'numpy'];
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

/** Rows keyed by workload, metric and case/size; one column per impl with "value (ratio)". */
function comparison(records, threads) {
  const rows = new Map();
  for (const r of records) {
    if (r.impl === 'oxnet-native' && r.threads !== threads) continue;
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
  const native = records.filter((r) => r.impl === 'oxnet-native' && ['samples_per_s', 'gflops'].includes(r.metric) && r.workload !== 'kernels');
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

/** The whole report as markdown text. */
function report(records, skips, peak, cores) {
  const main = records.filter((r) => !['kernels', 'growth'].includes(r.workload) && r.impl !== 'fp32-peak');
  const parts = [`## Workloads (ratio = impl / oxnet-native at ${cores} threads)`, comparison(main, cores)];
  const scaling = threadScaling(records, cores);
  if (scaling) parts.push(`## oxnet-native: 1 vs ${cores} threads (RAYON_NUM_THREADS)`, scaling);
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

module.exports = { report, comparison, fmt, IMPLS };
