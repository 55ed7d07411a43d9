// A small U-Net that denoises MNIST digits: Gaussian noise of sigma 0.3 on the input, the clean
// digit as the target. Encoder 28x28 -> 14x14 -> 7x7 with convolutions and max pooling; decoder
// back up with upSampling2d, each level joined to the encoder's output of the same size by
// layers.concatenate (the skip connections); a sigmoid 1x1 convolution at the end. Prints the
// test MSE against the clean digits of the noisy inputs and of the denoised outputs.
// Run: npm run build && node examples/unet-denoise.js [epochs]
const { input, layers, model, adam, loadMnist, mnistEpochOrder } = require('../dist');

/** @typedef {{ seed?: number, backend?: import('../dist').BackendName }} BuildOptions */

/** @param {BuildOptions} [options] */
function buildUnet({ seed = 1, backend } = {}) {
  /** @type {(filters: number, activation?: 'relu' | 'sigmoid') => ReturnType<typeof layers.conv2d>} */
  const conv = (filters, activation = 'relu') => layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation });
  const x = input({ shape: [28, 28, 1], name: 'noisy' });
  const e1 = conv(16).apply(x); // 28x28x16
  const e2 = conv(32).apply(layers.maxPooling2d().apply(e1)); // 14x14x32
  const mid = conv(32).apply(layers.maxPooling2d().apply(e2)); // 7x7x32
  const d2 = conv(32).apply(layers.concatenate().apply([layers.upSampling2d().apply(mid), e2])); // 14x14x(32+32)
  const d1 = conv(16).apply(layers.concatenate().apply([layers.upSampling2d().apply(d2), e1])); // 28x28x(32+16)
  const out = layers.conv2d({ filters: 1, kernelSize: 1, activation: 'sigmoid', name: 'clean' }).apply(d1);
  return model({ inputs: x, outputs: out, seed, backend, name: 'unet-denoise' });
}

/** The digits with Gaussian noise of `sigma` (Box-Muller on a seeded mulberry32), not clipped. */
function noisy(pixels, sigma, seed) {
  let a = seed | 0;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    out[i] = pixels[i] + sigma * g;
  }
  return out;
}

/** @param {number} epochs @param {BuildOptions} [options] */
async function denoise(epochs, { backend } = {}) {
  const data = loadMnist();
  const trainIn = noisy(data.trainX, 0.3, 1);
  const testIn = noisy(data.testX, 0.3, 2);
  const net = buildUnet({ backend });
  net.compile({ loss: 'mse', optimizer: adam({ lr: 1e-3 }) });
  await net.fit(trainIn, data.trainX, { epochs, batchSize: 32, epochOrder: mnistEpochOrder });
  let noiseMse = 0;
  for (let i = 0; i < testIn.length; i++) noiseMse += (testIn[i] - data.testX[i]) ** 2;
  return { noisyMse: noiseMse / testIn.length, denoisedMse: net.evaluate(testIn, data.testX).mse };
}

async function main() {
  const epochs = Number(process.argv[2] ?? 2);
  const r = await denoise(epochs);
  console.log(
    `test MSE against the clean digits: noisy inputs ${r.noisyMse.toFixed(5)}, U-Net output ${r.denoisedMse.toFixed(5)} (${(r.noisyMse / r.denoisedMse).toFixed(1)}x lower) after ${epochs} epochs`,
  );
}

module.exports = { buildUnet, noisy, denoise };
if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
