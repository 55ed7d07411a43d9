// The targets of issue 16, judged on one run's records: each is `met`, `NOT met` or
// `not measured`, with the measured ratio. Ratios are oxnet-native / PyTorch (samples/s, W4:
// GFLOP/s), both float32 at the same thread count, unless the line says otherwise.
const fs = require('node:fs');
const { fmt } = require('./report');

/**
 * The value of one record: float32 unless `precision` is given; W4 by `size`.
 * @param {Array<Record<string, any>>} records
 * @param {{ workload: string, impl: string, threads: number, precision?: string, size?: number, metric?: string }} query
 */
function recordValue(records, { workload, impl, threads, precision, size, metric = 'samples_per_s' }) {
  const r = records.find(
    (x) =>
      x.workload === workload &&
      x.impl === impl &&
      x.metric === metric &&
      x.threads === threads &&
      x.precision === precision &&
      (size === undefined || x.size === size),
  );
  return r ? r.value : undefined;
}

/** { amx, avx512bf16 } from /proc/cpuinfo's flags (both false where it cannot be read). */
function cpuFeatures(text) {
  let t = text;
  if (t === undefined) {
    try {
      t = fs.readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      t = '';
    }
  }
  const flags = new Set((/^flags\s*:\s*(.*)$/m.exec(t)?.[1] ?? '').split(/\s+/));
  return { amx: flags.has('amx_bf16') && flags.has('amx_tile'), avx512bf16: flags.has('avx512_bf16') };
}

/** A target: `ratio` = num / den when both were measured; status from `need`. */
function target(name, need, num, den, note) {
  const ratio = num !== undefined && den !== undefined && den > 0 ? num / den : undefined;
  const status = ratio === undefined ? 'not measured' : ratio >= need ? 'met' : 'NOT met';
  return { name, need, ratio, status, ...(note ? { note } : {}) };
}

/** Every target of the issue for this run, in the issue's order. */
function evaluateTargets(records, cores, cpu = { amx: false, avx512bf16: false }) {
  const native = (workload, threads = cores, extra = {}) => recordValue(records, { workload, impl: 'oxnet-native', threads, ...extra });
  const torch = (workload, threads = cores, extra = {}) => recordValue(records, { workload, impl: 'pytorch', threads, ...extra });
  const out = [];
  const vsTorch = (w, need, threads = cores) =>
    target(`${w} oxnet / PyTorch at ${threads} thread${threads > 1 ? 's' : ''}`, need, native(w, threads), torch(w, threads));
  out.push(vsTorch('W7', 1.5, cores));
  if (cores > 1) out.push(vsTorch('W7', 1.5, 1));
  out.push(
    target(
      'W7 achieved GFLOP/s / our W4 GEMM at n=1024',
      0.6,
      native('W7', cores, { metric: 'gflops' }),
      native('W4', cores, { metric: 'gflops', size: 1024 }),
    ),
  );
  out.push(vsTorch('W6', 1.5), vsTorch('W8', 1.3), vsTorch('W2', 1.5), vsTorch('W3', 1.5), vsTorch('W5', 1.5));
  for (const n of [1024, 4096]) {
    const gemm = (impl) => recordValue(records, { workload: 'W4', impl, threads: cores, metric: 'gflops', size: n });
    out.push(target(`W4 GEMM n=${n}: oxnet / torch.matmul`, 1.0, gemm('oxnet-native'), gemm('pytorch')));
  }
  for (const [w, need] of [
    ['W2', 1.3],
    ['W3', 1.8],
    ['W6', 1.8],
    ['W7', 1.8],
  ])
    out.push(target(`${w} oxnet ${cores} threads / 1 thread`, need, cores > 1 ? native(w, cores) : undefined, native(w, 1)));
  // bfloat16: the targets depend on what the CPU has.
  const bf16 = native('W7', cores, { precision: 'bfloat16' });
  const ours = native('W7', cores);
  const torchBf16 = torch('W7', cores, { precision: 'bfloat16' });
  if (cpu.amx) {
    out.push(target('W7 bfloat16 / our float32 (AMX)', 3.0, bf16, ours), target('W7 bfloat16: oxnet / PyTorch autocast (AMX)', 1.0, bf16, torchBf16));
  } else if (cpu.avx512bf16) {
    out.push(target('W7 bfloat16 / our float32 (AVX512_BF16, no AMX)', 1.5, bf16, ours));
  } else {
    const seen = bf16 !== undefined && ours ? `; measured here anyway: ${fmt(bf16 / ours)}x` : '';
    const none = (name, need) => ({ name, need, ratio: undefined, status: 'not measured', note: `this CPU has neither AMX nor AVX512_BF16${seen}` });
    out.push(none('W7 bfloat16 / our float32 (AMX: >= 3x; AVX512_BF16 only: >= 1.5x)', 1.5), none('W7 bfloat16: oxnet / PyTorch autocast (AMX)', 1.0));
  }
  return out;
}

/** The targets as plain lines for the terminal. */
function targetsReport(list, cores) {
  const lines = list.map((t) => `- ${t.name} >= ${t.need}x: ${t.ratio === undefined ? '' : `${fmt(t.ratio)}x `}${t.status}${t.note ? ` (${t.note})` : ''}`);
  const met = list.filter((t) => t.status === 'met').length;
  const notMet = list.filter((t) => t.status === 'NOT met').length;
  return [
    `## Targets of issue 16 (float32 unless named; ${cores} threads unless named)`,
    ...lines,
    `${met} met, ${notMet} NOT met, ${list.length - met - notMet} not measured`,
  ].join('\n');
}

module.exports = { evaluateTargets, targetsReport, cpuFeatures, recordValue };
