// Accuracy of bfloat16 mixed precision against float32 after the same epochs, on the workloads'
// MNIST split (../shared/workloads.md): W3 (the small CNN, batch 32, Adam 1e-3) after 1 epoch and
// the W6 ResNet (examples/resnet-mnist.js, batch 64, Adam 1e-3) after 3 epochs, same seeds and
// epoch orders. Target: bfloat16 within 0.5 points of float32.
// Usage: npm run build && node scripts/bf16-accuracy.mjs [resnet epochs=3] [resnet blocks per stage=2] [backend=native]
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);
const { Sequential, layers, adam, loadMnist, mnistEpochOrder, getThreads } = require('../dist/index.js');
const { buildResnet } = require('../examples/resnet-mnist.js');

const resnetEpochs = Number(process.argv[2] ?? 3);
const blocks = Number(process.argv[3] ?? 2);
/** @type {'native' | 'js'} */
const backend = process.argv[4] === 'js' ? 'js' : 'native';
const data = loadMnist();

function w3(precision) {
  const m = new Sequential({ seed: 1, backend });
  m.add(layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
  m.add(layers.maxPooling2d({ poolSize: 2 }));
  m.add(layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }));
  m.add(layers.maxPooling2d({ poolSize: 2 }));
  m.add(layers.flatten());
  m.add(layers.dense({ units: 10, activation: 'softmax' }));
  return m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'], precision });
}

function resnet(precision) {
  const m = buildResnet({ seed: 1, backend, blocks });
  return m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'], precision });
}

async function run(name, make, epochs, batchSize) {
  const out = {};
  for (const p of ['float32', 'bfloat16']) {
    const m = make(p);
    const t = process.hrtime.bigint();
    await m.fit(data.trainX, data.trainY, { epochs, batchSize, epochOrder: mnistEpochOrder });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    out[p] = { accuracy: m.evaluate(data.testX, data.testY).accuracy, seconds: s };
  }
  const diff = (out.bfloat16.accuracy - out.float32.accuracy) * 100;
  console.log(
    `${name}, ${epochs} epoch(s): float32 ${(out.float32.accuracy * 100).toFixed(2)}% (${out.float32.seconds.toFixed(1)} s), bfloat16 ${(out.bfloat16.accuracy * 100).toFixed(2)}% (${out.bfloat16.seconds.toFixed(1)} s): ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} points (target within 0.5: ${Math.abs(diff) <= 0.5 || diff > 0 ? 'met' : 'not met'})`,
  );
}

console.log(`CPU: ${cpus()[0].model}, ${cpus().length} cores; backend ${backend}, kernel threads ${getThreads()}`);
await run('W3 CNN', w3, 1, 32);
await run(`ResNet (W6, ${blocks} blocks per stage)`, resnet, resnetEpochs, 64);
