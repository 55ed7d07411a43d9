// One epoch of W2 (MLP 784-128-64-10, Adam 1e-3, batch 64) streamed from a generated 2 GB float32
// file (684,784 samples of 784 uniform values, labels in a uint8 file beside it), with the
// process's peak resident set printed: memory is bounded by the prefetch depth and the shuffle
// buffer, not the data size (target < 400 MB). The files live in a temp folder, deleted after.
// Usage: npm run build:ts && node scripts/stream-rss.mjs [GB, default 2]
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { Sequential, layers, adam, rawSource, zip, oneHot } = require('../dist/index.js');
const { mulberry32 } = require('../dist/random.js');

const gb = Number(process.argv[2] ?? 2);
const rows = Math.floor((gb * 2 ** 30) / (784 * 4));
const dir = mkdtempSync(join(tmpdir(), 'oxnet-stream-rss-'));
const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);
let peak = 0;
const sample = () => {
  peak = Math.max(peak, process.memoryUsage.rss());
};
const timer = setInterval(sample, 50);

try {
  // Generated a block at a time: the generator itself never holds more than 32 MB.
  const next = mulberry32(1);
  const xFile = join(dir, 'x.f32');
  const yFile = join(dir, 'y.u8');
  const fx = openSync(xFile, 'w');
  const fy = openSync(yFile, 'w');
  const per = 10_000;
  const block = new Float32Array(per * 784);
  const labels = new Uint8Array(per);
  const t0 = performance.now();
  for (let r = 0; r < rows; r += per) {
    const k = Math.min(per, rows - r);
    for (let i = 0; i < k * 784; i++) block[i] = next();
    for (let i = 0; i < k; i++) labels[i] = Math.floor(next() * 10);
    writeSync(fx, block, 0, k * 784 * 4);
    writeSync(fy, labels, 0, k);
  }
  closeSync(fx);
  closeSync(fy);
  console.log(
    `generated ${mb(statSync(xFile).size)} MiB (${rows.toLocaleString('en-US')} samples) in ${((performance.now() - t0) / 1000).toFixed(1)} s; RSS now ${mb(process.memoryUsage.rss())} MB`,
  );
  peak = 0; // the training's peak, not the generator's

  const m = new Sequential({ seed: 7, backend: 'native' });
  m.add(layers.dense({ units: 128, activation: 'relu', inputShape: [784] }));
  m.add(layers.dense({ units: 64, activation: 'relu' }));
  m.add(layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
  const x = await rawSource(xFile, { shape: [784] });
  const y = (await rawSource(yFile, { shape: [1], dtype: 'uint8' })).map((l) => oneHot(l, 10));
  const t1 = performance.now();
  const h = await m.fitDataset(zip({ x, y }).shuffle(2048, 1).batch(64).prefetch(8), { epochs: 1 });
  const secs = (performance.now() - t1) / 1000;
  sample();
  console.log(`CPU: ${cpus()[0].model}, ${cpus().length} cores`);
  console.log(
    `one epoch of W2 on ${mb(statSync(xFile).size)} MiB: ${secs.toFixed(1)} s, ${Math.round(rows / secs).toLocaleString('en-US')} samples/s, loss ${h.history.loss[0].toFixed(4)}, step ${m.step}`,
  );
  console.log(`peak RSS while training: ${mb(peak)} MB (target < 400 MB); process maxRSS ${mb(process.resourceUsage().maxRSS * 1024)} MB`);
} finally {
  clearInterval(timer);
  rmSync(dir, { recursive: true, force: true });
}
