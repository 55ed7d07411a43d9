// W7 (VGG-style CNN on 32x32x3, batch 128, Adam 1e-3; ../shared/workloads.md) on the native
// backend in float32 and in bfloat16 side by side: training samples/s of each (synthetic inputs
// uniform in [0, 1), uniform random labels from a fixed seed), after 5 warm-up batches, in
// alternating rounds of `batches` batches (the machine's load hits both alike), with the achieved
// GFLOP/s (forward + backward FLOPs of the convs and the dense layer) and the ratio.
// Usage: npm run build && node scripts/bf16-probe.mjs [rounds=2] [batches per round=10] [kernel threads]
import { createRequire } from 'node:module';
import { cpus } from 'node:os';

const require = createRequire(import.meta.url);
const { Sequential, layers, adam, setThreads, getThreads } = require('../dist/index.js');

const rounds = Number(process.argv[2] ?? 2);
const batches = Number(process.argv[3] ?? 10);
if (process.argv[4]) setThreads(Number(process.argv[4]));
const batch = 128;

function w7(precision) {
  const m = new Sequential({ seed: 7, backend: 'native' });
  const conv = (filters, extra = {}) => layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', ...extra });
  m.add(conv(64, { inputShape: [32, 32, 3] }));
  m.add(conv(64));
  m.add(layers.maxPooling2d({ poolSize: 2 }));
  m.add(conv(128));
  m.add(conv(128));
  m.add(layers.maxPooling2d({ poolSize: 2 }));
  m.add(conv(256));
  m.add(layers.globalAveragePooling2d());
  m.add(layers.dense({ units: 10, activation: 'softmax' }));
  return m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), precision });
}

// Forward multiply-adds per sample: conv (h w cin 9 cout) and dense; backward is twice forward
// (the first conv's dx is not computed, which the count ignores: < 0.1%).
const convMacs = [
  [32, 3, 64],
  [32, 64, 64],
  [16, 64, 128],
  [16, 128, 128],
  [8, 128, 256],
].reduce((a, [hw, cin, cout]) => a + hw * hw * cin * 9 * cout, 0);
const flopsPerSample = 3 * 2 * (convMacs + 256 * 10);

let seed = 12345;
const rand = () => {
  seed = (seed * 48271) % 2147483647;
  return seed / 2147483647;
};
const n = batch * batches;
const x = new Float32Array(n * 32 * 32 * 3).map(rand);
const y = new Float32Array(n * 10);
for (let i = 0; i < n; i++) y[i * 10 + Math.floor(rand() * 10)] = 1;
const warm = { x: x.subarray(0, 5 * batch * 3072), y: y.subarray(0, 5 * batch * 10) };

const models = { float32: w7('float32'), bfloat16: w7('bfloat16') };
for (const m of Object.values(models)) await m.fit(warm.x, warm.y, { epochs: 1, batchSize: batch, shuffle: false });
const rates = { float32: [], bfloat16: [] };
const losses = { float32: [], bfloat16: [] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? ['float32', 'bfloat16'] : ['bfloat16', 'float32'];
  for (const p of order) {
    const t = process.hrtime.bigint();
    const h = await models[p].fit(x, y, { epochs: 1, batchSize: batch, shuffle: false });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    rates[p].push(n / s);
    losses[p].push(h.history.loss[0]);
  }
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(`CPU: ${cpus()[0].model}, ${cpus().length} cores; kernel threads ${getThreads()}; W7 batch ${batch}, ${rounds} rounds x ${batches} batches`);
for (const p of ['float32', 'bfloat16']) {
  const sps = median(rates[p]);
  console.log(
    `${p.padEnd(8)}: ${sps.toFixed(1)} samples/s (rounds: ${rates[p].map((v) => v.toFixed(1)).join(', ')}), ${((sps * flopsPerSample) / 1e9).toFixed(1)} GFLOP/s, loss ${losses[p].map((v) => v.toFixed(4)).join(', ')}`,
  );
}
console.log(`bfloat16 / float32: ${(median(rates.bfloat16) / median(rates.float32)).toFixed(2)}x`);
