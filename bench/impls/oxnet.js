// oxnet through its public API (Sequential, fit with epochOrder), on the native or js backend.
const data = require('../lib/data');
const { emit, median, now } = require('../lib/child');
const { epochWorkload, cnnWorkload } = require('../lib/harness');
const { settings, XOR_X, XOR_T } = require('../lib/workloads');
const { oxnet, backendByName } = require('../lib/oxnet');
const { gemmWorkload } = require('./gemm');

/** fit, timed from onTrainBegin to onTrainEnd (excludes the one-time copy into the backend). */
async function timedFit(model, x, y, opts) {
  let t0 = 0;
  let ms = 0;
  const timer = { onTrainBegin: () => void (t0 = now()), onTrainEnd: () => void (ms = now() - t0) };
  await model.fit(x, y, { ...opts, callbacks: [timer, ...(opts.callbacks ?? [])] });
  return ms;
}

async function w1(impl, backend, quick) {
  const { layers, sequential, sgd } = oxnet();
  const s = settings('W1', quick);
  const epochs = [];
  const perEpochUs = [];
  let successes = 0;
  for (let seed = 1; seed <= s.seeds; seed++) {
    const model = sequential({
      seed,
      backend,
      layers: [layers.dense({ units: 2, activation: 'sigmoid', inputShape: [2] }), layers.dense({ units: 1, activation: 'sigmoid' })],
    });
    model.compile({ loss: 'halfSse', optimizer: sgd({ lr: s.lr }), metrics: ['mse'] });
    let ran = 0;
    let solved = false;
    const stopper = {
      onEpochEnd(e, logs) {
        ran = e + 1;
        if (logs.mse < s.targetMse) {
          solved = true;
          model.stopTraining = true;
        }
      },
    };
    // Per-sample updates in the table's order every epoch, like brain.js; the MSE check each epoch is part of the cost.
    const ms = await timedFit(model, XOR_X, XOR_T, { epochs: s.maxEpochs, batchSize: 1, shuffle: false, callbacks: [stopper] });
    perEpochUs.push((ms * 1000) / ran);
    if (solved) {
      successes++;
      epochs.push(ran);
    }
  }
  emit('W1', impl, 'success_rate', successes / s.seeds, { seeds: s.seeds });
  emit('W1', impl, 'median_epochs', median(epochs));
  emit('W1', impl, 'median_epoch_us', median(perEpochUs));
}

function mlp(backend) {
  const { layers, sequential, adam } = oxnet();
  const model = sequential({
    seed: 7,
    backend,
    layers: [
      layers.dense({ units: 128, activation: 'relu', inputShape: [784] }),
      layers.dense({ units: 64, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  return model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
}

function autoencoder(backend) {
  const { layers, sequential, adam } = oxnet();
  const model = sequential({
    seed: 7,
    backend,
    layers: [layers.dense({ units: 32, activation: 'sigmoid', inputShape: [784] }), layers.dense({ units: 784, activation: 'sigmoid' })],
  });
  return model.compile({ loss: 'mse', optimizer: adam({ lr: 1e-3 }) });
}

function cnn(backend) {
  const { layers, sequential, adam } = oxnet();
  const model = sequential({
    seed: 7,
    backend,
    layers: [
      layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  return model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
}

async function epochs(workload, impl, backend, quick) {
  const d = data.loadSplit();
  const model = workload === 'W2' ? mlp(backend) : autoencoder(backend);
  const target = workload === 'W2' ? d.trainY : d.trainX;
  await epochWorkload(workload, impl, quick, {
    trainEpoch: (order) => timedFit(model, d.trainX, target, { epochs: 1, batchSize: 64, epochOrder: () => order }),
    score: (n) => {
      const out = model.predict(d.testX);
      if (workload === 'W2') emit('W2', impl, 'test_accuracy', data.accuracy(out, d.testLabels), { epochs: n });
      else emit('W5', impl, 'recon_mse', data.meanSquaredError(out, d.testX), { epochs: n });
    },
  });
}

async function w3(impl, backend, quick) {
  const d = data.loadSplit();
  const model = cnn(backend);
  const trainRange = (order, from, to) => {
    const idx = order.subarray(from, to);
    return timedFit(model, data.gather(d.trainX, 784, idx), data.gather(d.trainY, 10, idx), { epochs: 1, batchSize: 32, shuffle: false });
  };
  await cnnWorkload(impl, quick, {
    trainRange,
    score: () => emit('W3', impl, 'test_accuracy', data.accuracy(model.predict(d.testX), d.testLabels), { epochs: 1 }),
  });
}

async function run(workload, impl, quick) {
  const backend = impl === 'oxnet-native' ? 'native' : 'js';
  if (workload === 'W1') return w1(impl, backend, quick);
  if (workload === 'W2' || workload === 'W5') return epochs(workload, impl, backend, quick);
  if (workload === 'W3') return w3(impl, backend, quick);
  if (workload === 'W4') {
    const be = backendByName(backend);
    return gemmWorkload(impl, quick, (a, b, n) => be.matmul(a, b, n, n, n), backend === 'js' ? 1024 : Infinity);
  }
  throw new Error(`oxnet: unknown workload ${workload}`);
}

module.exports = { run, mlp, cnn };
