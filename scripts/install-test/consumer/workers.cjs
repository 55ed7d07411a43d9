// Two worker_threads load oxnet and train at the same time in one process; each trains XOR with
// its own seed. A shared counter makes both wait until both have loaded the addon, and the fits
// are long (WORKER_EPOCHS) so scheduling jitter cannot separate them. Prints one JSON line: each
// worker's backend, timing and predictions, and a same-seed run on the main thread to compare.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const oxnet = require('oxnet');
const { trainXor, X } = require('./xor-task.cjs');

const WORKER_EPOCHS = 2000;

async function trainInWorker() {
  const ready = new Int32Array(workerData.ready);
  Atomics.add(ready, 0, 1);
  Atomics.notify(ready, 0);
  while (Atomics.load(ready, 0) < 2) Atomics.wait(ready, 0, Atomics.load(ready, 0), 5000);
  const started = Date.now();
  const { model } = await trainXor(oxnet, workerData.seed, WORKER_EPOCHS);
  parentPort.postMessage({ seed: workerData.seed, backend: oxnet.getBackend(), started, ended: Date.now(), predictions: Array.from(model.predict(X)) });
}

function runWorker(seed, ready) {
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { seed, ready } });
    w.once('message', resolve);
    w.once('error', reject);
    w.once('exit', (code) => { if (code !== 0) reject(new Error(`worker ${seed} exited with ${code}`)); });
  });
}

async function main() {
  const ready = new SharedArrayBuffer(4);
  const workers = await Promise.all([runWorker(11, ready), runWorker(12, ready)]);
  const sameSeed = [];
  for (const seed of [11, 12]) sameSeed.push(Array.from((await trainXor(oxnet, seed, WORKER_EPOCHS)).model.predict(X)));
  console.log(JSON.stringify({ mainBackend: oxnet.getBackend(), workers, sameSeed }));
}

if (isMainThread) main();
else trainInWorker();
