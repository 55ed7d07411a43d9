// TensorFlow.js 4.22 on its pure-JS 'cpu' backend or the WebAssembly backend (tfjs-node cannot
// install here). Same splits, orders, batches and optimizer settings as oxnet.
const data = require('../lib/data');
const { emit } = require('../lib/child');
const { trainWorkload } = require('../lib/harness');
const { gemmWorkload } = require('./gemm');

function cannot(workload, impl) {
  if (workload === 'W1') return 'W1 is per-sample XOR; brain.js, convnetjs and oxnet cover it';
  if (workload === 'W3' && impl === 'tfjs-wasm') return 'the wasm backend has no Conv2DBackpropFilter kernel: it cannot train a CNN';
  return null;
}

async function loadTf(impl) {
  const tf = require('@tensorflow/tfjs');
  if (impl === 'tfjs-wasm') require('@tensorflow/tfjs-backend-wasm');
  const name = impl === 'tfjs-wasm' ? 'wasm' : 'cpu';
  if (!(await tf.setBackend(name))) throw new Error(`tfjs: backend '${name}' did not initialize`);
  await tf.ready();
  return tf;
}

function build(tf, workload) {
  const L = tf.layers;
  const model = tf.sequential();
  if (workload === 'W2') {
    model.add(L.dense({ units: 128, activation: 'relu', inputShape: [784] }));
    model.add(L.dense({ units: 64, activation: 'relu' }));
    model.add(L.dense({ units: 10, activation: 'softmax' }));
  } else if (workload === 'W5') {
    model.add(L.dense({ units: 32, activation: 'sigmoid', inputShape: [784] }));
    model.add(L.dense({ units: 784, activation: 'sigmoid' }));
  } else {
    model.add(L.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
    model.add(L.maxPooling2d({ poolSize: 2 }));
    model.add(L.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }));
    model.add(L.maxPooling2d({ poolSize: 2 }));
    model.add(L.flatten());
    model.add(L.dense({ units: 10, activation: 'softmax' }));
  }
  // Keras' Adam epsilon is 1e-7, as oxnet's default.
  const loss = workload === 'W5' ? 'meanSquaredError' : 'categoricalCrossentropy';
  model.compile({ loss, optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7) });
  return model;
}

/** Trains on the samples idx (in order) with one model.fit call, no shuffling; returns ms of the fit. */
async function fitOn(tf, model, x, xw, y, yw, idx, batchSize, shape) {
  const xs = tf.tensor(data.gather(x, xw, idx), [idx.length, ...shape]);
  const ys = tf.tensor2d(data.gather(y, yw, idx), [idx.length, yw]);
  const t0 = performance.now();
  await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
  const ms = performance.now() - t0;
  xs.dispose();
  ys.dispose();
  return ms;
}

function predict(tf, model, x, n, shape) {
  return tf.tidy(() => model.predict(tf.tensor(x, [n, ...shape]), { batchSize: 500 }).dataSync());
}

async function run(workload, impl, quick) {
  const tf = await loadTf(impl);
  if (workload === 'W4') {
    // Explicit dispose, not tf.tidy: dataSync inside tidy ran ~15x slower on wasm here.
    const matmul = (a, b, n) => {
      const ta = tf.tensor2d(a, [n, n]);
      const tb = tf.tensor2d(b, [n, n]);
      const c = tf.matMul(ta, tb);
      const out = c.dataSync();
      tf.dispose([ta, tb, c]);
      return out;
    };
    return gemmWorkload(impl, quick, matmul, 1024);
  }
  const d = data.loadSplit();
  const model = build(tf, workload);
  const shape = workload === 'W3' ? [28, 28, 1] : [784];
  const target = workload === 'W5' ? d.trainX : d.trainY;
  const tw = workload === 'W5' ? 784 : 10;
  const batch = workload === 'W3' ? 32 : 64;
  return trainWorkload(workload, impl, quick, {
    trainEpoch: (order) => fitOn(tf, model, d.trainX, 784, target, tw, order, batch, shape),
    trainRange: (order, from, to) => fitOn(tf, model, d.trainX, 784, target, tw, order.subarray(from, to), batch, shape),
    score: (n) => {
      const out = predict(tf, model, d.testX, data.TEST, shape);
      if (workload === 'W5') emit('W5', impl, 'recon_mse', data.meanSquaredError(out, d.testX), { epochs: n });
      else emit(workload, impl, 'test_accuracy', data.accuracy(out, d.testLabels), { epochs: n });
    },
  });
}

module.exports = { run, cannot };
