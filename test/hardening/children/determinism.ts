// Child: the W3 MNIST CNN trained for one pass over the first `samples` MNIST training digits
// (8000 = one epoch) on the native backend; prints a SHA-256 of all weights' bytes and the
// thread count. Threads come from OXNET_THREADS / RAYON_NUM_THREADS set by the parent.
import { createHash } from 'node:crypto';
import { Sequential, adam, getThreads, layers, loadMnist } from '../../../src/index';

const samples = Number(process.argv[2] ?? 8000);
const d = loadMnist();
const m = new Sequential({ seed: 42, backend: 'native' });
m.add(layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
m.add(layers.maxPooling2d({ poolSize: 2 }));
m.add(layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }));
m.add(layers.maxPooling2d({ poolSize: 2 }));
m.add(layers.flatten());
m.add(layers.dense({ units: 10, activation: 'softmax' }));
m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });

(async () => {
  await m.fit(d.trainX.subarray(0, samples * 784), d.trainY.subarray(0, samples * 10), { epochs: 1, batchSize: 32 });
  const hash = createHash('sha256');
  const weights = m.getWeights();
  for (const w of weights) hash.update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength));
  // Per-tensor hashes name the layer whose weights differ, should they ever differ.
  const perTensor = weights.map((w) =>
    createHash('sha256')
      .update(new Uint8Array(w.buffer, w.byteOffset, w.byteLength))
      .digest('hex')
      .slice(0, 12),
  );
  process.stdout.write(`${JSON.stringify({ threads: getThreads(), samples, hash: hash.digest('hex'), perTensor })}\n`);
})();
