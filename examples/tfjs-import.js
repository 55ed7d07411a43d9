// A TensorFlow.js model carried over to oxnet: the two-input functional model of
// test/fixtures/tfjs/functional (saved by tfjs 4.22.0's model.save layout, weights in two shards;
// scripts/tfjs-fixtures.mjs made it) is imported with importTfjs, checked against the predictions
// tfjs made for the same inputs, then fine-tuned on a new task (its `kind` output learns which
// image channel is brighter, its `level` output the features' mean) and saved as an .oxnet file.
// Prints the largest difference from tfjs, the loss and accuracy before and after.
// Run: npm run build && node examples/tfjs-import.js
const { readFileSync, mkdtempSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const { importTfjs, adam, loadModel, saveModel } = require('../dist');

const dir = join(__dirname, '..', 'test', 'fixtures', 'tfjs', 'functional');

/** n samples: images [8, 8, 2] with one channel brighter (the class, of 3: channel 0, 1, or neither), features [5]. */
function task(n, seed) {
  let s = seed;
  const rand = () => {
    s = (s * 48271) % 2147483647;
    return s / 2147483647;
  };
  const image = new Float32Array(n * 128);
  const features = new Float32Array(n * 5).map(() => rand() * 2 - 1);
  const kind = new Float32Array(n * 3);
  const level = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    kind[i * 3 + c] = 1;
    for (let p = 0; p < 128; p++) image[i * 128 + p] = rand() - 0.5 + (p % 2 === c ? 0.6 : 0);
    level[i] = features.subarray(i * 5, i * 5 + 5).reduce((a, v) => a + v, 0) / 5;
  }
  return { x: { image, features }, y: { kind, level } };
}

async function main() {
  const net = await importTfjs(join(dir, 'model.json'), { seed: 1 });
  console.log(net.summary());

  const reference = JSON.parse(readFileSync(join(dir, 'reference.json'), 'utf8'));
  const outputs = net.predict({ image: Float32Array.from(reference.inputs.image), features: Float32Array.from(reference.inputs.features) });
  let diff = 0;
  outputs.forEach((y, j) => {
    for (let i = 0; i < y.length; i++) diff = Math.max(diff, Math.abs(y[i] - reference.outputs[j][i]));
  });
  console.log(`largest difference from tfjs ${reference.tfjs}: ${diff.toExponential(2)}`);

  const train = task(300, 11);
  const test = task(150, 12);
  net.compile({ loss: { kind: 'categoricalCrossentropy', level: 'mse' }, optimizer: adam({ lr: 0.01 }), metrics: { kind: ['accuracy'] } });
  const before = net.evaluate(test.x, test.y);
  await net.fit(train.x, train.y, { epochs: 15, batchSize: 30 });
  const after = net.evaluate(test.x, test.y);
  console.log(`before fine-tuning: loss ${before.loss.toFixed(4)}, kind accuracy ${before.outputs.kind.accuracy.toFixed(3)}`);
  console.log(
    `after fine-tuning: loss ${after.loss.toFixed(4)}, kind accuracy ${after.outputs.kind.accuracy.toFixed(3)}, level mse ${after.outputs.level.loss.toFixed(4)}`,
  );

  const out = mkdtempSync(join(tmpdir(), 'oxnet-tfjs-import-'));
  try {
    saveModel(net, join(out, 'tuned.oxnet'));
    const again = loadModel(join(out, 'tuned.oxnet'));
    console.log(`reloaded from .oxnet, kind accuracy ${again.evaluate(test.x, test.y).outputs.kind.accuracy.toFixed(3)}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
