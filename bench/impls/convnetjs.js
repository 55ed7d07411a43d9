// ConvNetJS 0.3.0: W1, W2, W3, W5. Its npm release has no Adam (only sgd/adagrad/adadelta), so
// the Adam step below (the same formula as oxnet's, docs/kernels.md) updates convnetjs's own
// parameters and gradients; forward and backward are convnetjs's.
const data = require('../lib/data');
const { emit, median, now, seedMathRandom } = require('../lib/child');
const { trainWorkload } = require('../lib/harness');
const { settings, XOR_X, XOR_T } = require('../lib/workloads');

function cannot(workload) {
  return workload === 'W4' ? 'no standalone GEMM' : null;
}

const cn = () => require('convnetjs');

/** Adam over net.getParamsAndGrads(); gradients are sums over the batch, so divided by its size. */
function adam(net, lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-7) {
  const m = [];
  const v = [];
  let t = 0;
  return function step(batchSize) {
    const list = net.getParamsAndGrads();
    t++;
    const c1 = 1 - beta1 ** t;
    const c2 = 1 - beta2 ** t;
    for (let i = 0; i < list.length; i++) {
      const { params: p, grads: g } = list[i];
      if (!m[i]) {
        m[i] = new Float64Array(p.length);
        v[i] = new Float64Array(p.length);
      }
      const mi = m[i];
      const vi = v[i];
      for (let j = 0; j < p.length; j++) {
        const gj = g[j] / batchSize;
        mi[j] = beta1 * mi[j] + (1 - beta1) * gj;
        vi[j] = beta2 * vi[j] + (1 - beta2) * gj * gj;
        p[j] -= (lr * (mi[j] / c1)) / (Math.sqrt(vi[j] / c2) + eps);
        g[j] = 0;
      }
    }
  };
}

/** A Vol per sample, built before any timing (convnetjs trains on Vol objects). */
function vols(x, n, shape) {
  const C = cn();
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const vol = new C.Vol(shape[0], shape[1], shape[2], 0);
    for (let k = 0; k < 784; k++) vol.w[k] = x[i * 784 + k];
    out[i] = vol;
  }
  return out;
}

function build(workload) {
  const C = cn();
  const net = new C.Net();
  if (workload === 'W2') {
    net.makeLayers([
      { type: 'input', out_sx: 1, out_sy: 1, out_depth: 784 },
      { type: 'fc', num_neurons: 128, activation: 'relu' },
      { type: 'fc', num_neurons: 64, activation: 'relu' },
      { type: 'softmax', num_classes: 10 },
    ]);
  } else if (workload === 'W3') {
    net.makeLayers([
      { type: 'input', out_sx: 28, out_sy: 28, out_depth: 1 },
      { type: 'conv', sx: 5, filters: 8, stride: 1, pad: 2, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'conv', sx: 5, filters: 16, stride: 1, pad: 2, activation: 'relu' },
      { type: 'pool', sx: 2, stride: 2 },
      { type: 'softmax', num_classes: 10 },
    ]);
  } else {
    // A regression layer would add a linear fc; sigmoid outputs need it appended by hand.
    const sizes = workload === 'W1' ? [2, 2, 1] : [784, 32, 784];
    net.makeLayers([
      { type: 'input', out_sx: 1, out_sy: 1, out_depth: sizes[0] },
      { type: 'fc', num_neurons: sizes[1], activation: 'sigmoid' },
      { type: 'fc', num_neurons: sizes[2], activation: 'sigmoid' },
    ]);
    net.layers.push(new C.RegressionLayer({ in_sx: 1, in_sy: 1, in_depth: sizes[2] }));
  }
  return net;
}

async function w1(impl, quick) {
  const C = cn();
  const s = settings('W1', quick);
  const inputs = [0, 1, 2, 3].map((i) => new C.Vol([XOR_X[2 * i], XOR_X[2 * i + 1]]));
  const targets = XOR_T.map((t) => [t]);
  const epochs = [];
  const perEpochUs = [];
  let successes = 0;
  for (let seed = 1; seed <= s.seeds; seed++) {
    seedMathRandom(seed); // convnetjs's init (randn * sqrt(1/inputs)) draws from Math.random
    const net = build('W1');
    const trainer = new C.Trainer(net, { method: 'sgd', learning_rate: s.lr, momentum: 0, batch_size: 1, l2_decay: 0 });
    let e = 0;
    let mse = Infinity;
    const t0 = now();
    while (e < s.maxEpochs && mse >= s.targetMse) {
      for (let i = 0; i < 4; i++) trainer.train(inputs[i], targets[i]);
      mse = 0;
      for (let i = 0; i < 4; i++) mse += (net.forward(inputs[i]).w[0] - XOR_T[i]) ** 2 / 4;
      e++;
    }
    perEpochUs.push(((now() - t0) * 1000) / e);
    if (mse < s.targetMse) {
      successes++;
      epochs.push(e);
    }
  }
  emit('W1', impl, 'success_rate', successes / s.seeds, { seeds: s.seeds });
  emit('W1', impl, 'median_epochs', median(epochs));
  emit('W1', impl, 'median_epoch_us', median(perEpochUs));
}

/** Trains samples order[from..to) one at a time, an Adam step every `batch` samples and at the end. */
function trainer(net, xs, targetOf, batch) {
  const step = adam(net, 1e-3);
  return (order, from, to) => {
    let inBatch = 0;
    for (let i = from; i < to; i++) {
      net.forward(xs[order[i]], true);
      net.backward(targetOf(order[i]));
      if (++inBatch === batch) {
        step(batch);
        inBatch = 0;
      }
    }
    if (inBatch > 0) step(inBatch);
  };
}

function predictAll(net, xs, width) {
  const out = new Float32Array(xs.length * width);
  for (let i = 0; i < xs.length; i++) out.set(net.forward(xs[i], false).w, i * width);
  return out;
}

async function run(workload, impl, quick) {
  if (workload === 'W1') return w1(impl, quick);
  seedMathRandom(7);
  const d = data.loadSplit();
  const shape = workload === 'W3' ? [28, 28, 1] : [1, 1, 784];
  const trainX = vols(d.trainX, data.TRAIN, shape);
  const testX = vols(d.testX, data.TEST, shape);
  const net = build(workload);
  const targetOf = workload === 'W5' ? (i) => Float64Array.from(d.trainX.subarray(i * 784, (i + 1) * 784)) : (i) => d.trainLabels[i];
  const train = trainer(net, trainX, targetOf, workload === 'W3' ? 32 : 64);
  return trainWorkload(workload, impl, quick, {
    trainEpoch: (order) => train(order, 0, order.length),
    trainRange: train,
    score: (n) => {
      const out = predictAll(net, testX, workload === 'W5' ? 784 : 10);
      if (workload === 'W5') emit('W5', impl, 'recon_mse', data.meanSquaredError(out, d.testX), { epochs: n });
      else emit(workload, impl, 'test_accuracy', data.accuracy(out, d.testLabels), { epochs: n });
    },
  });
}

module.exports = { run, cannot, adam };
