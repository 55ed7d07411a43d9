// Train a small CNN in oxnet, export it to ONNX and run the file in ONNX Runtime (what a server in
// Python, C# or the browser would do). The exported graph takes the same raw NHWC inputs as
// oxnet's predict: the z-score normalizer is in the file, in front of the network. Prints the
// largest difference between ONNX Runtime's outputs and oxnet's, and both accuracies.
// Needs onnxruntime-node (a devDependency here; `npm install onnxruntime-node` in your project).
// Run: npm run build:ts && node examples/onnx-export.js [out.onnx]
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const { rmSync } = require('node:fs');
const ort = require('onnxruntime-node');
const { sequential, layers, adam, loadMnist, zscore, exportOnnx } = require('../dist');

async function main() {
  const mnist = loadMnist();
  const n = 2000;
  const x = mnist.trainX.subarray(0, n * 784);
  const y = mnist.trainY.subarray(0, n * 10);
  const net = sequential({
    seed: 1,
    layers: [
      layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.batchNormalization(),
      layers.flatten(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
  net.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 2e-3 }), metrics: ['accuracy'] });
  net.setNormalizer(zscore().fit(x, n, 784));
  await net.fit(x, y, { epochs: 2, batchSize: 32 });

  const given = process.argv[2];
  const path = given ?? join(tmpdir(), `oxnet-example-${process.pid}.onnx`);
  exportOnnx(net, path, { opset: 17 });
  const m = 500;
  const testX = mnist.testX.subarray(0, m * 784);
  const session = await ort.InferenceSession.create(path);
  const results = await session.run({ [net.inputNames[0]]: new ort.Tensor('float32', testX, [m, 28, 28, 1]) });
  const out = /** @type {Float32Array} */ (results[net.outputNames[0]].data);
  if (!given) rmSync(path);
  const ours = /** @type {Float32Array} */ (net.predict(testX));
  let diff = 0;
  for (let i = 0; i < ours.length; i++) diff = Math.max(diff, Math.abs(ours[i] - out[i]));
  const accuracy = (p) => {
    let right = 0;
    for (let i = 0; i < m; i++) {
      const row = Array.from(p.subarray(i * 10, i * 10 + 10));
      const truth = Array.from(mnist.testY.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === truth.indexOf(1)) right++;
    }
    return right / m;
  };
  console.log(`exported ${given ? path : 'a temporary file'} (opset 17)`);
  console.log(`max |onnxruntime - oxnet| ${diff.toExponential(2)}`);
  console.log(`test accuracy oxnet ${accuracy(ours).toFixed(3)} onnxruntime ${accuracy(out).toFixed(3)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
