// A convolutional autoencoder on the MNIST digits against the dense 784-32-784 one (workload W5),
// both with a 32-value code, the same epochs, Adam and MSE on [0, 1] pixels. The encoder is
// convolutions and max pooling: 28x28x1 -> 28x28x16 -> 14x14 -> 14x14x8 -> 7x7 -> 7x7x8 -> 4x4
// (same padding) -> 4x4x2 = 32 values. The decoder goes back up with a transposed convolution, a
// crop and nearest-neighbour upsampling: 4x4x8 -> 8x8 -> crop 7x7 -> 14x14 (conv2dTranspose,
// stride 2) -> 28x28 (upSampling2d) -> 28x28x1 sigmoid. Prints both test reconstruction MSEs.
// Run: npm run build && node examples/conv-autoencoder.js [epochs]
const { input, layers, model, Sequential, adam, loadMnist, mnistEpochOrder } = require('../dist');

/** @typedef {{ seed?: number, backend?: import('../dist').BackendName }} BuildOptions */

/** The convolutional autoencoder; `code` names the 32-value bottleneck layer. @param {BuildOptions} [options] */
function buildConvAutoencoder({ seed = 1, backend } = {}) {
  /** @type {(filters: number, activation?: 'relu' | 'sigmoid') => ReturnType<typeof layers.conv2d>} */
  const conv = (filters, activation = 'relu') => layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation });
  const x = input({ shape: [28, 28, 1], name: 'digit' });
  let h = layers.maxPooling2d({ poolSize: 2 }).apply(conv(16).apply(x)); // 14x14x16
  h = layers.maxPooling2d({ poolSize: 2 }).apply(conv(8).apply(h)); // 7x7x8
  h = layers.maxPooling2d({ poolSize: 2, padding: 'same' }).apply(conv(8).apply(h)); // 4x4x8
  const code = layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', name: 'code' }).apply(h); // 4x4x2: 32 values
  let d = layers.upSampling2d({ size: 2 }).apply(conv(8).apply(code)); // 8x8x8
  d = layers
    .cropping2d({
      cropping: [
        [0, 1],
        [0, 1],
      ],
    })
    .apply(d); // 7x7x8
  d = layers.conv2dTranspose({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(d); // 14x14x16
  d = layers.upSampling2d({ size: 2 }).apply(d); // 28x28x16
  const out = conv(1, 'sigmoid').apply(conv(16).apply(d));
  return model({ inputs: x, outputs: out, seed, backend, name: 'conv-autoencoder' });
}

/** The dense 784-32-784 autoencoder of W5. @param {BuildOptions} [options] */
function buildDenseAutoencoder({ seed = 1, backend } = {}) {
  const m = new Sequential({ seed, backend });
  m.add(layers.dense({ units: 32, activation: 'sigmoid', inputShape: [784], name: 'code' }));
  m.add(layers.dense({ units: 784, activation: 'sigmoid' }));
  return m;
}

/** @param {number} epochs @param {BuildOptions} [options] */
async function trainBoth(epochs, { backend } = {}) {
  const data = loadMnist();
  const results = {};
  /** @type {[string, (o: BuildOptions) => import('../dist').Model | import('../dist').Sequential][]} */
  const builds = [
    ['dense', buildDenseAutoencoder],
    ['conv', buildConvAutoencoder],
  ];
  for (const [name, build] of builds) {
    const m = build({ backend });
    m.compile({ loss: 'mse', optimizer: adam({ lr: 1e-3 }) });
    // an autoencoder's target is its input: the same array, held once by the backend
    await m.fit(data.trainX, data.trainX, { epochs, batchSize: 64, epochOrder: mnistEpochOrder });
    results[name] = m.evaluate(data.testX, data.testX).mse;
  }
  return results;
}

async function main() {
  const epochs = Number(process.argv[2] ?? 3);
  const r = await trainBoth(epochs);
  console.log(`after ${epochs} epochs, test reconstruction MSE: dense 784-32-784 ${r.dense.toFixed(5)}, conv (32-value code) ${r.conv.toFixed(5)}`);
}

module.exports = { buildConvAutoencoder, buildDenseAutoencoder, trainBoth };
if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
