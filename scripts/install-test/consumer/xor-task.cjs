// What a user's first script does with an installed oxnet: train XOR, save, reload, predict,
// write the HTML report (its uPlot read from the installed dependency).
// Called with the oxnet module object, from a CommonJS file (xor.cjs) and an ES module (xor.mjs).
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const X = [[0, 0], [0, 1], [1, 0], [1, 1]];
const T = [0, 1, 1, 0];

/** Trains a seeded 2-4-1 net full-batch (no shuffle: the same arithmetic on every backend). */
async function trainXor(oxnet, seed, epochs = 300) {
  const model = new oxnet.Sequential({ seed });
  model.add(oxnet.layers.dense({ units: 4, activation: 'tanh', inputDim: 2 }));
  model.add(oxnet.layers.dense({ units: 1, activation: 'sigmoid' }));
  model.compile({ loss: 'binaryCrossentropy', optimizer: oxnet.adam({ lr: 0.05 }) });
  const history = await model.fit(X, T, { epochs, batchSize: 4, shuffle: false });
  return { model, history, loss: history.loss[history.loss.length - 1] };
}

/** One JSON report: backend, final loss, predictions before and after a save/load round trip. */
async function xorTask(oxnet, dir) {
  const { model, history, loss } = await trainXor(oxnet, 7);
  const file = join(dir, 'xor.oxnet');
  oxnet.saveModel(model, file);
  const reloaded = oxnet.loadModel(file);
  const html = readFileSync(oxnet.writeReport(join(dir, 'xor.html'), { model, history, test: { x: X, y: T } }), 'utf8');
  return {
    report: { bytes: html.length, uplotInlined: html.includes('uPlot'), classifier: html.includes('"kind":"classifier"') },
    backend: oxnet.getBackend(),
    loss,
    predictions: Array.from(model.predict(X)),
    reloaded: Array.from(reloaded.predict(X)),
  };
}

module.exports = { xorTask, trainXor, X };
