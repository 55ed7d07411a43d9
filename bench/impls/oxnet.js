// oxnet through its public API (Sequential, fit with epochOrder), on the native or js backend.
const data = require('../lib/data');
const { emit, skip, median, now } = require('../lib/child');
const { trainWorkload, syntheticWorkload, poolBatches } = require('../lib/harness');
const { settings, XOR_X, XOR_T } = require('../lib/workloads');
const { oxnet, backendByName } = require('../lib/oxnet');
const { gemmWorkload } = require('./gemm');

/** fit, timed from onTrainBegin to onTrainEnd (excludes the one-time copy into the backend). */
async function timedFitWithHistory(model, x, y, opts) {
  let t0 = 0;
  let ms = 0;
  const timer = {
    onTrainBegin: () => {
      t0 = now();
    },
    onTrainEnd: () => {
      ms = now() - t0;
    },
  };
  const history = await model.fit(x, y, { ...opts, callbacks: [timer, ...(opts.callbacks ?? [])] });
  return { ms, history };
}

async function timedFit(model, x, y, opts) {
  return (await timedFitWithHistory(model, x, y, opts)).ms;
}

/** W1's 2-2-1 sigmoid network with halfSse and plain SGD. */
function xorModel(seed, backend, lr, metrics) {
  const { layers, sequential, sgd } = oxnet();
  const model = sequential({
    seed,
    backend,
    layers: [layers.dense({ units: 2, activation: 'sigmoid', inputShape: [2] }), layers.dense({ units: 1, activation: 'sigmoid' })],
  });
  return model.compile({ loss: 'halfSse', optimizer: sgd({ lr }), metrics });
}

async function w1(impl, backend, quick) {
  const s = settings('W1', quick);
  const epochs = [];
  const perEpochUs = [];
  let successes = 0;
  for (let seed = 1; seed <= s.seeds; seed++) {
    const model = xorModel(seed, backend, s.lr, ['mse']);
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
  await w1OneCall(impl, backend, s);
}

/**
 * W1 as brain.js runs it: the stop test on the epoch's training-pass error (errorThresh), so fit
 * keeps every epoch in one backend call (fit option stopBelowLoss; halfSse of one output is MSE/2).
 */
async function w1OneCall(impl, backend, s) {
  const epochs = [];
  const perEpochUs = [];
  let successes = 0;
  for (let seed = 1; seed <= s.seeds; seed++) {
    const model = xorModel(seed, backend, s.lr, []);
    const { ms, history } = await timedFitWithHistory(model, XOR_X, XOR_T, {
      epochs: s.maxEpochs,
      batchSize: 1,
      shuffle: false,
      stopBelowLoss: s.targetMse / 2,
    });
    const losses = history.history.loss;
    perEpochUs.push((ms * 1000) / losses.length);
    if (losses[losses.length - 1] < s.targetMse / 2) {
      successes++;
      epochs.push(losses.length);
    }
  }
  const kase = { case: 'one call (stopBelowLoss)' };
  emit('W1', impl, 'success_rate', successes / s.seeds, { seeds: s.seeds, ...kase });
  emit('W1', impl, 'median_epochs', median(epochs), kase);
  emit('W1', impl, 'median_epoch_us', median(perEpochUs), kase);
}

function mlp(backend, extra = {}) {
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
  return model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), ...extra });
}

function autoencoder(backend, extra = {}) {
  const { layers, sequential, adam } = oxnet();
  const model = sequential({
    seed: 7,
    backend,
    layers: [layers.dense({ units: 32, activation: 'sigmoid', inputShape: [784] }), layers.dense({ units: 784, activation: 'sigmoid' })],
  });
  return model.compile({ loss: 'mse', optimizer: adam({ lr: 1e-3 }), ...extra });
}

function cnn(backend, extra = {}) {
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
  return model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), ...extra });
}

/** Trains samples order[from..to) with one fit call (rows gathered first), timed inside fit. */
function rangeTrainer(model, x, y, batchSize) {
  return (order, from, to) => {
    const idx = order.subarray(from, to);
    const inW = x.length / data.TRAIN;
    const outW = y.length / data.TRAIN;
    const gx = data.gather(x, inW, idx);
    // An autoencoder's targets are its inputs: one array, as a user would pass fit(x, x).
    return timedFit(model, gx, y === x ? gx : data.gather(y, outW, idx), { epochs: 1, batchSize, shuffle: false });
  };
}

/** W6: the ResNet of examples/resnet-mnist.js (the one definition of it), Adam 1e-3. */
function resnet(backend, extra = {}) {
  const { adam } = oxnet();
  const { buildResnet } = require('../../examples/resnet-mnist.js');
  return buildResnet({ seed: 7, backend }).compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), ...extra });
}

/** W7: the VGG-style CNN of workloads.md on 32x32x3 (channels last), Adam 1e-3. */
function vgg(backend, extra = {}) {
  const { layers, sequential, adam } = oxnet();
  const conv = (filters, more = {}) => layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', ...more });
  const model = sequential({
    seed: 7,
    backend,
    layers: [
      conv(64, { inputShape: [32, 32, 3] }),
      conv(64),
      layers.maxPooling2d({ poolSize: 2 }),
      conv(128),
      conv(128),
      layers.maxPooling2d({ poolSize: 2 }),
      conv(256),
      layers.globalAveragePooling2d(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  return model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), ...extra });
}

/** W8: the wide MLP 3072-2048-2048-10, ReLU, softmax, Adam 1e-3. */
function wideMlp(backend, extra = {}) {
  const { layers, sequential, adam } = oxnet();
  const model = sequential({
    seed: 7,
    backend,
    layers: [
      layers.dense({ units: 2048, activation: 'relu', inputShape: [3072] }),
      layers.dense({ units: 2048, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  return model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), ...extra });
}

const MODELS = { W2: mlp, W3: cnn, W5: autoencoder, W6: resnet, W7: vgg, W8: wideMlp };

/**
 * The model of a workload, compiled with `precision` when one is asked for; null (and a skip
 * line) when compile refuses it (an oxnet without that option).
 */
function modelFor(workload, impl, backend, precision) {
  if (!precision) return MODELS[workload](backend);
  try {
    return MODELS[workload](backend, { precision });
  } catch (e) {
    skip(workload, impl, `compile refuses precision '${precision}' (${e.code ?? 'error'}: ${e.message.split('\n')[0]}): no ${precision} row`);
    return null;
  }
}

/** W7, W8: fit over the pool's batches, one call per warm-up and one for the timed batches. */
async function syntheticRun(workload, impl, backend, quick, precision) {
  const model = modelFor(workload, impl, backend, precision);
  if (!model) return 'skipped';
  const d = data.loadSynthetic(workload);
  await syntheticWorkload(workload, impl, quick, {
    trainBatches: (first, count, batch) =>
      timedFit(model, poolBatches(d.x, d.width, batch, first, count), poolBatches(d.y, 10, batch, first, count), {
        epochs: 1,
        batchSize: batch,
        shuffle: false,
      }),
  });
}

async function mnistWorkload(workload, impl, backend, quick, precision) {
  const model = modelFor(workload, impl, backend, precision);
  if (!model) return 'skipped';
  const d = data.loadSplit();
  const target = workload === 'W5' ? d.trainX : d.trainY;
  const batchSize = workload === 'W3' ? 32 : 64;
  await trainWorkload(workload, impl, quick, {
    trainEpoch: (order) => timedFit(model, d.trainX, target, { epochs: 1, batchSize, epochOrder: () => order }),
    trainRange: rangeTrainer(model, d.trainX, target, batchSize),
    score: (n) => {
      const out = model.predict(d.testX);
      if (workload === 'W5') emit('W5', impl, 'recon_mse', data.meanSquaredError(out, d.testX), { epochs: n });
      else emit(workload, impl, 'test_accuracy', data.accuracy(out, d.testLabels), { epochs: n });
    },
  });
}

/**
 * @param {string} workload
 * @param {string} impl
 * @param {boolean} quick
 * @param {{ precision?: string }} [options]
 */
async function run(workload, impl, quick, options = {}) {
  const { precision } = options;
  const backend = impl === 'oxnet-native' ? 'native' : 'js';
  if (workload === 'W1') return w1(impl, backend, quick);
  if (['W2', 'W3', 'W5', 'W6'].includes(workload)) return mnistWorkload(workload, impl, backend, quick, precision);
  if (['W7', 'W8'].includes(workload)) return syntheticRun(workload, impl, backend, quick, precision);
  if (workload === 'W4') {
    const be = backendByName(backend);
    return gemmWorkload(impl, quick, (a, b, n) => be.matmul(a, b, n, n, n), backend === 'js' ? 1024 : Infinity);
  }
  throw new Error(`oxnet: unknown workload ${workload}`);
}

module.exports = { run, mlp, cnn, vgg, wideMlp };
