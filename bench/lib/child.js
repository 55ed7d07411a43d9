// What every benchmark child process shares: emitting records, peak RSS, event-loop lag, timing.
const { monitorEventLoopDelay } = require('node:perf_hooks');

const MARK = '@@bench ';

/** Fields every record of this process carries (a `precision` other than float32). */
let tags = {};
function setTags(t) {
  tags = { ...t };
}

/** One result record on stdout, picked up by run.js. */
function emit(workload, impl, metric, value, extra = {}) {
  process.stdout.write(`${MARK}${JSON.stringify({ workload, impl, metric, value, threads: threadsOf(impl), ...tags, ...extra })}\n`);
}

/** A workload this impl cannot run, with the reason (printed by run.js, not a result). */
function skip(workload, impl, reason) {
  process.stdout.write(`${MARK}${JSON.stringify({ workload, impl, ...tags, skipped: reason })}\n`);
}

/** Threads the impl computes with: oxnet-native uses rayon's pool; the others one JS thread. */
function threadsOf(impl) {
  if (impl === 'oxnet-native') return Number(process.env.RAYON_NUM_THREADS) || require('node:os').availableParallelism();
  if (impl === 'numpy') return Number(process.env.OPENBLAS_NUM_THREADS) || require('node:os').availableParallelism();
  return 1;
}

/** Peak resident set of this process so far, in MiB. */
function peakRssMb() {
  return process.resourceUsage().maxRSS / 1024;
}

/** Starts an event-loop delay histogram (1 ms resolution); stop() gives the p99 in ms. */
async function lagMonitor() {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // The first timer tick only sets the baseline: without it a fully synchronous run records nothing.
  await new Promise((r) => setTimeout(r, 5));
  return {
    stop() {
      h.disable();
      // With no completed sample (a fully synchronous loop) the histogram holds nothing useful.
      return h.count > 0 ? h.percentile(99) / 1e6 : NaN;
    },
  };
}

const now = () => performance.now();

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Makes Math.random a seeded mulberry32 stream (brain.js and convnetjs draw their init from it). */
function seedMathRandom(seed) {
  const { mulberry32 } = require('./oxnet').rng();
  Math.random = mulberry32(seed >>> 0);
}

module.exports = { MARK, emit, skip, setTags, peakRssMb, lagMonitor, now, median, seedMathRandom };
