// One (workload, impl) run in its own process: `node worker.js W3 oxnet-native [--quick] [--precision=bfloat16]`.
// Records go to stdout as '@@bench {json}' lines; run.js collects them.
const { emit, skip, setTags, peakRssMb } = require('./lib/child');

const IMPLS = {
  'oxnet-native': './impls/oxnet',
  'oxnet-js': './impls/oxnet',
  'tfjs-cpu': './impls/tfjs',
  'tfjs-wasm': './impls/tfjs',
  brainjs: './impls/brainjs',
  convnetjs: './impls/convnetjs',
};
// These two measure oxnet only, one backend per process.
const BY_WORKLOAD = { kernels: './impls/kernels', growth: './impls/growth' };

async function main() {
  const [workload, impl] = process.argv.slice(2);
  const quick = process.argv.includes('--quick');
  const precision = process.argv.find((a) => a.startsWith('--precision='))?.slice(12);
  if (precision) setTags({ precision });
  const file = BY_WORKLOAD[workload] ?? IMPLS[impl];
  if (!file) throw new Error(`unknown impl '${impl}'; known: ${Object.keys(IMPLS).join(', ')}`);
  const mod = require(file);
  const reason = mod.cannot?.(workload, impl);
  if (reason) return skip(workload, impl, reason);
  if ((await mod.run(workload, impl, quick, { precision })) === 'skipped') return;
  emit(workload, impl, 'peak_rss_mb', peakRssMb());
}

main().catch((e) => {
  console.error(e?.stack ? e.stack : e);
  process.exitCode = 1;
});
