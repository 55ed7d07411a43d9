// Import a model PyTorch exported (torch.onnx.export, opset 17: a small CNN with conv, relu,
// max-pool, flatten, linear; made by scripts/onnx-fixtures.py), check it predicts what PyTorch
// computed, then fine-tune it in oxnet. PyTorch's input is NCHW, and so is the imported model's:
// its first conv2d reads [c, h, w] samples (dataFormat 'channelsFirst').
// Run: npm run build:ts && node examples/onnx-import.js
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { importOnnx, adam } = require('../dist');

async function main() {
  const dir = join(__dirname, '..', 'test', 'fixtures', 'onnx');
  const ref = JSON.parse(readFileSync(join(dir, 'cnn.json'), 'utf8'));
  const net = importOnnx(join(dir, 'cnn.onnx'));
  console.log(net.summary());
  const x = Float32Array.from(ref.x);
  const y = /** @type {Float32Array} */ (net.predict(x));
  let diff = 0;
  for (let i = 0; i < y.length; i++) diff = Math.max(diff, Math.abs(y[i] - ref.y[i]));
  console.log(`input shape ${JSON.stringify(net.inputShape)} (NCHW, as in PyTorch)`);
  console.log(`max |oxnet - pytorch| ${diff.toExponential(2)}`);

  // Fine-tune the logits towards one-hot targets of the recorded classes.
  const t = new Float32Array(y.length);
  ref.classes.forEach((c, i) => {
    t[i * 3 + c] = 1;
  });
  net.compile({ loss: 'mse', optimizer: adam({ lr: 1e-2 }) });
  const before = net.evaluate(x, t).loss;
  await net.fit(x, t, { epochs: 30, batchSize: 4 });
  console.log(`fine-tuning loss ${before.toFixed(4)} -> ${net.evaluate(x, t).loss.toFixed(4)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
