// The workloads' MNIST split (8000 train / 2000 test, workloads.md), built once by oxnet's
// loadMnist and cached as one binary file so each child process loads 31 MB, not the 20 MB JSON
// package (which would also inflate every run's peak RSS).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { oxnet, rng } = require('./oxnet');

const CHECK = '69a8dc05';
const PIXELS = 784;
const TRAIN = 8000;
const TEST = 2000;
const cacheFile = path.join(os.tmpdir(), `oxnet-bench-mnist-${CHECK}.bin`);
/** @type {[string, number][]} */
const parts = [
  ['trainX', TRAIN * PIXELS],
  ['trainY', TRAIN * 10],
  ['testX', TEST * PIXELS],
  ['testY', TEST * 10],
];

/** Builds the cache file if missing (the orchestrator calls this once, before any child). */
function ensureMnistCache() {
  if (fs.existsSync(cacheFile)) return cacheFile;
  const split = oxnet().loadMnist();
  if (split.checkValue !== CHECK) throw new Error(`MNIST split check value ${split.checkValue}, workloads.md says ${CHECK}`);
  const buffers = parts.map(([name]) => Buffer.from(split[name].buffer, split[name].byteOffset, split[name].byteLength));
  writeAtomically(cacheFile, Buffer.concat(buffers));
  return cacheFile;
}

function labelsOf(y, n) {
  const l = new Uint8Array(n);
  for (let i = 0; i < n; i++) for (let k = 0; k < 10; k++) if (y[i * 10 + k] === 1) l[i] = k;
  return l;
}

/** { trainX, trainY, trainLabels, testX, testY, testLabels } as Float32Array / Uint8Array. */
function loadSplit() {
  const buf = fs.readFileSync(ensureMnistCache());
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
  const out = {};
  let at = 0;
  for (const [name, len] of parts) {
    out[name] = all.subarray(at, at + len);
    at += len;
  }
  if (at !== all.length) throw new Error(`MNIST cache ${cacheFile} has ${all.length} floats, expected ${at}: delete it`);
  out.trainLabels = labelsOf(out.trainY, TRAIN);
  out.testLabels = labelsOf(out.testY, TEST);
  return out;
}

/** Epoch e (from 0) visits the training samples in the mulberry32 shuffle seeded with 1000 + e. */
function epochOrder(e, n = TRAIN) {
  return rng().shuffledIndices(n, 1000 + e);
}

/** Rows `idx` of a row-major [n x width] array, in that order. */
function gather(src, width, idx) {
  const out = new Float32Array(idx.length * width);
  for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i] * width, (idx[i] + 1) * width), i * width);
  return out;
}

function argmax(a, from, width) {
  let best = 0;
  for (let k = 1; k < width; k++) if (a[from + k] > a[from + best]) best = k;
  return best;
}

/** Fraction of rows whose argmax matches the label. */
function accuracy(outputs, labels) {
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (argmax(outputs, i * 10, 10) === labels[i]) ok++;
  return ok / labels.length;
}

/** Mean over all elements of (a - b)^2. */
function meanSquaredError(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s / a.length;
}

/** Epochs whose orders the Python peer reads from `ordersFile` (W2/W5/W6 train 3). */
const ORDER_EPOCHS = 4;
const ordersFile = path.join(os.tmpdir(), `oxnet-bench-orders-${ORDER_EPOCHS}x${TRAIN}.bin`);

/** Writes epochs 0..ORDER_EPOCHS-1's orders (uint32, one epoch after another) for the Python peer. */
function ensureOrdersFile() {
  if (fs.existsSync(ordersFile)) return ordersFile;
  const all = new Uint32Array(ORDER_EPOCHS * TRAIN);
  for (let e = 0; e < ORDER_EPOCHS; e++) all.set(epochOrder(e), e * TRAIN);
  writeAtomically(ordersFile, Buffer.from(all.buffer));
  return ordersFile;
}

/**
 * W7 and W8's synthetic data (workloads.md): POOL_BATCHES batches of inputs uniform in [0, 1)
 * and labels uniform in 0..9, from mulberry32 seeded by the workload; timed runs cycle through
 * them. W7's samples are 32x32x3 images, channels last (oxnet's layout; the Python peer
 * transposes). Cached as float32 inputs then float32 class indices.
 */
const SYNTHETIC = {
  W7: { width: 32 * 32 * 3, batch: 128, seed: 7 },
  W8: { width: 3072, batch: 256, seed: 8 },
};
const POOL_BATCHES = 4;
const syntheticFile = (workload) => path.join(os.tmpdir(), `oxnet-bench-synthetic-${workload}-${POOL_BATCHES}.bin`);

function ensureSyntheticFile(workload) {
  const file = syntheticFile(workload);
  if (fs.existsSync(file)) return file;
  const { width, batch, seed } = SYNTHETIC[workload];
  const n = POOL_BATCHES * batch;
  const next = rng().mulberry32(seed);
  const all = new Float32Array(n * width + n);
  for (let i = 0; i < n * width; i++) all[i] = next();
  for (let i = 0; i < n; i++) all[n * width + i] = Math.floor(next() * 10);
  writeAtomically(file, Buffer.from(all.buffer));
  return file;
}

/** { x, y (one-hot), labels, n, width, batch } of a synthetic workload's pool. */
function loadSynthetic(workload) {
  const { width, batch } = SYNTHETIC[workload];
  const buf = fs.readFileSync(ensureSyntheticFile(workload));
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4).slice();
  const n = POOL_BATCHES * batch;
  if (all.length !== n * width + n) throw new Error(`${syntheticFile(workload)} has ${all.length} floats, expected ${n * width + n}: delete it`);
  const labels = Uint8Array.from(all.subarray(n * width));
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) y[i * 10 + labels[i]] = 1;
  return { x: all.subarray(0, n * width), y, labels, n, width, batch };
}

function writeAtomically(file, buffer) {
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, buffer);
  fs.renameSync(tmp, file);
}

module.exports = {
  PIXELS,
  TRAIN,
  TEST,
  POOL_BATCHES,
  SYNTHETIC,
  ensureMnistCache,
  ensureOrdersFile,
  ensureSyntheticFile,
  loadSplit,
  loadSynthetic,
  epochOrder,
  gather,
  accuracy,
  meanSquaredError,
};
