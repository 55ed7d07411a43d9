// Shared training-loop timing for the MNIST workloads: every impl supplies how to train on a run
// of samples and how to predict; this file decides orders, warm-ups, timing, lag and scoring.
const data = require('./data');
const { emit, lagMonitor, now } = require('./child');
const { settings } = require('./workloads');

const settle = () => new Promise((r) => setTimeout(r, 5));

/**
 * W2 and W5: epochs over the 8000 training samples in the seeded orders; the first `warmupEpochs`
 * untimed. `trainEpoch(order, epoch)` trains one epoch (the impl gathers what it needs);
 * `score()` emits the accuracy or MSE. Timing covers only trainEpoch.
 */
async function epochWorkload(workload, impl, quick, { trainEpoch, score }) {
  const s = settings(workload, quick, impl);
  let timedMs = 0;
  let timedSamples = 0;
  let lagP99 = NaN;
  for (let e = 0; e < s.epochs; e++) {
    const order = data.epochOrder(e);
    const timed = e >= s.warmupEpochs;
    const lag = timed && e === s.warmupEpochs ? await lagMonitor() : null;
    const t0 = now();
    const ms = await trainEpoch(order, e);
    const elapsed = typeof ms === 'number' ? ms : now() - t0;
    if (lag) {
      await settle();
      lagP99 = lag.stop();
    }
    if (timed) {
      timedMs += elapsed;
      timedSamples += order.length;
    }
  }
  emit(workload, impl, 'samples_per_s', timedSamples / (timedMs / 1000), { epochs: s.epochs });
  if (Number.isFinite(lagP99)) emit(workload, impl, 'loop_lag_p99_ms', lagP99);
  await score(s.epochs);
}

/**
 * W3 (and W2/W5 with --quick): one epoch in the order seeded 1000; the first `warmupBatches`
 * batches untimed, then chunks of up to 32 batches timed until the epoch ends or the --quick
 * budget runs out. `trainRange(order, from, to)` trains samples order[from..to) in batches; may
 * return its own ms. `score(epochs)` runs only when the epoch completed.
 */
async function rangeWorkload(workload, impl, quick, { trainRange, score }) {
  const s = settings(workload, quick, impl);
  const order = data.epochOrder(0);
  const warm = s.warmupBatches * s.batch;
  await trainRange(order, 0, warm);
  // Chunks grow from 1 batch to 32 while each takes under 0.5 s: slow impls stop near the budget.
  let chunk = s.batch;
  let at = warm;
  let timedMs = 0;
  const lag = await lagMonitor();
  while (at < order.length && timedMs / 1000 < s.budgetS) {
    const to = Math.min(at + chunk, order.length);
    const t0 = now();
    const ms = await trainRange(order, at, to);
    const took = typeof ms === 'number' ? ms : now() - t0;
    timedMs += took;
    at = to;
    if (took < 500 && chunk < 32 * s.batch) chunk *= 2;
  }
  await settle();
  const lagP99 = lag.stop();
  const complete = at === order.length;
  emit(workload, impl, 'samples_per_s', (at - warm) / (timedMs / 1000), { samples: at - warm });
  if (Number.isFinite(lagP99)) emit(workload, impl, 'loop_lag_p99_ms', lagP99);
  if (complete) await score(1);
}

/** Runs a training workload the way its settings say: whole epochs, or one epoch in timed ranges. */
function trainWorkload(workload, impl, quick, hooks) {
  return settings(workload, quick, impl).epochs ? epochWorkload(workload, impl, quick, hooks) : rangeWorkload(workload, impl, quick, hooks);
}

/**
 * W7 and W8 (synthetic data, workloads.md): `warmupBatches` untimed, then `batches` timed, each
 * run as one training call; batch i is batch i mod POOL_BATCHES of the pool.
 * `trainBatches(first, count, batch)` trains batches first..first+count-1 of `batch` samples and
 * may return its own ms.
 */
async function syntheticWorkload(workload, impl, quick, { trainBatches }) {
  const s = settings(workload, quick, impl);
  if (s.warmupBatches) await trainBatches(0, s.warmupBatches, s.batch);
  const lag = await lagMonitor();
  const t0 = now();
  const ms = await trainBatches(s.warmupBatches, s.batches, s.batch);
  const took = typeof ms === 'number' ? ms : now() - t0;
  await settle();
  const lagP99 = lag.stop();
  emit(workload, impl, 'samples_per_s', (s.batches * s.batch) / (took / 1000), { samples: s.batches * s.batch, batch: s.batch });
  if (Number.isFinite(lagP99)) emit(workload, impl, 'loop_lag_p99_ms', lagP99);
}

/** Rows of the pool for batches first..first+count-1 (cycling), as one array. */
function poolBatches(pool, width, batch, first, count) {
  const per = batch * width;
  const batchesInPool = pool.length / per;
  const out = new Float32Array(count * per);
  for (let i = 0; i < count; i++) {
    const b = (first + i) % batchesInPool;
    out.set(pool.subarray(b * per, (b + 1) * per), i * per);
  }
  return out;
}

module.exports = { trainWorkload, syntheticWorkload, poolBatches };
