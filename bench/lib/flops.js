// FLOPs of one training sample (forward + backward) of the conv and dense layers of W3, W6, W7
// and W8, for the achieved-GFLOP/s figures. Counting rule (issue 16): a conv or dense layer's
// forward is 2 x its multiply-adds; its backward is twice that (the input gradient and the weight
// gradient, each one product of the forward's size), so a layer costs 6 x MACs a sample. The
// first layer's input gradient is counted too although no framework computes it: the rule is the
// same for every impl, so ratios are unaffected. Pooling, batch norm, activations, bias, loss and
// the optimizer are not counted.

/** Output size of a 'same' convolution or pooling along one axis. */
const same = (n, stride) => Math.ceil(n / stride);

/**
 * The conv and dense layers of a workload as { kind, macs } per sample, from the network's shape
 * (workloads.md): a conv's MACs are outH x outW x cout x k x k x cin.
 */
function layersOf(workload) {
  const out = [];
  let h = 0;
  let w = 0;
  let c = 0;
  const input = (hh, ww, cc) => {
    h = hh;
    w = ww;
    c = cc;
  };
  const conv = (filters, k, stride = 1, from = { h, w, c }) => {
    const oh = same(from.h, stride);
    const ow = same(from.w, stride);
    out.push({ kind: `conv${k}x${k}${stride > 1 ? `/${stride}` : ''} ${from.c}->${filters}`, macs: oh * ow * filters * k * k * from.c });
    h = oh;
    w = ow;
    c = filters;
  };
  const pool = (p) => {
    h = Math.floor(h / p);
    w = Math.floor(w / p);
  };
  const dense = (units, inputs = h * w * c) => {
    out.push({ kind: `dense ${inputs}->${units}`, macs: inputs * units });
    h = 1;
    w = 1;
    c = units;
  };
  switch (workload) {
    case 'W3':
      input(28, 28, 1);
      conv(8, 5);
      pool(2);
      conv(16, 5);
      pool(2);
      dense(10);
      break;
    case 'W6': {
      input(28, 28, 1);
      conv(16, 3);
      for (const [stage, filters] of [16, 32, 64].entries()) {
        for (let b = 0; b < 2; b++) {
          const stride = stage > 0 && b === 0 ? 2 : 1;
          const from = { h, w, c };
          conv(filters, 3, stride);
          conv(filters, 3);
          if (stride !== 1 || from.c !== filters) conv(filters, 1, stride, from); // the projection shortcut
        }
      }
      dense(10, c); // after global average pooling
      break;
    }
    case 'W7':
      input(32, 32, 3);
      conv(64, 3);
      conv(64, 3);
      pool(2);
      conv(128, 3);
      conv(128, 3);
      pool(2);
      conv(256, 3);
      dense(10, c); // after global average pooling
      break;
    case 'W8':
      dense(2048, 3072);
      dense(2048);
      dense(10);
      break;
    default:
      return null;
  }
  return out;
}

/** { forward, total } FLOPs of one sample (total = forward + backward = 3 x forward), or null. */
function flopsPerSample(workload) {
  const layers = layersOf(workload);
  if (!layers) return null;
  const forward = 2 * layers.reduce((s, l) => s + l.macs, 0);
  return { forward, total: 3 * forward };
}

/** GFLOP/s achieved at a training speed (samples/s), or null for a workload not counted. */
function achievedGflops(workload, samplesPerS) {
  const f = flopsPerSample(workload);
  return f ? (f.total * samplesPerS) / 1e9 : null;
}

/** Adds a `gflops` record beside every `samples_per_s` record of a counted workload (same fields). */
function withGflops(records) {
  const extra = [];
  for (const r of records) {
    if (r.metric !== 'samples_per_s') continue;
    const g = achievedGflops(r.workload, r.value);
    if (g !== null && !records.some((x) => x.metric === 'gflops' && sameRun(x, r))) extra.push({ ...r, metric: 'gflops', value: g });
  }
  return [...records, ...extra];
}

/** Two records of the same (workload, impl, threads, precision, case). */
function sameRun(a, b) {
  return a.workload === b.workload && a.impl === b.impl && a.threads === b.threads && a.precision === b.precision && a.case === b.case;
}

module.exports = { layersOf, flopsPerSample, achievedGflops, withGflops };
