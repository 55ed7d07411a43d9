// Growth: time per epoch of oxnet's W2 MLP against batch size, and against hidden width.
const data = require('../lib/data');
const { emit, now } = require('../lib/child');
const { oxnet } = require('../lib/oxnet');

function model(backend, width) {
  const { layers, sequential, adam } = oxnet();
  return sequential({
    seed: 7,
    backend,
    layers: [layers.dense({ units: width, activation: 'relu', inputShape: [784] }), layers.dense({ units: 10, activation: 'softmax' })],
  }).compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
}

/** ms for one epoch over `n` samples (scaled to the 8000 of a W2 epoch), after a 10-batch warm-up. */
async function epochMs(backend, width, batch, x, y, n) {
  const m = model(backend, width);
  await m.fit(x.subarray(0, 10 * batch * 784), y.subarray(0, 10 * batch * 10), { epochs: 1, batchSize: batch, shuffle: false });
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
  await m.fit(x.subarray(0, n * 784), y.subarray(0, n * 10), { epochs: 1, batchSize: batch, shuffle: false, callbacks: [timer] });
  return (ms * data.TRAIN) / n;
}

async function run(_workload, impl, quick) {
  const backend = impl === 'oxnet-native' ? 'native' : 'js';
  const d = data.loadSplit();
  const order = data.epochOrder(0);
  const x = data.gather(d.trainX, 784, order);
  const y = data.gather(d.trainY, 10, order);
  // The js backend trains on 2000 samples per point (1000 with --quick), scaled to 8000.
  const n = backend === 'js' ? (quick ? 1000 : 2000) : quick ? 2000 : data.TRAIN;
  for (const batch of quick ? [16, 64, 256] : [8, 16, 32, 64, 128, 256]) {
    emit('growth', impl, 'epoch_ms', await epochMs(backend, 128, batch, x, y, n), { case: `784-128-10 batch ${batch}`, batch, width: 128 });
  }
  for (const width of quick ? [64, 256, 1024] : [32, 64, 128, 256, 512, 1024]) {
    emit('growth', impl, 'epoch_ms', await epochMs(backend, width, 64, x, y, n), { case: `784-${width}-10 batch 64`, batch: 64, width });
  }
}

module.exports = { run };
