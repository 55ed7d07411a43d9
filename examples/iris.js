// The course's training recipe on Fisher's iris data: normalize (fit on the training split only),
// stratified train / validation / test split, try several hidden sizes with restarts, compare them
// on validation, test the winner once.
// Run: npm run build:ts && node examples/iris.js
const { join } = require('node:path');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const {
  Sequential,
  layers,
  loadIris,
  zscore,
  trainValTestSplit,
  selectModel,
  selectionTable,
  confusionMatrix,
  perClassScores,
  saveModel,
  loadModel,
} = require('../dist');

async function main() {
  const iris = loadIris();
  const split = trainValTestSplit(iris.x, iris.y, { count: iris.count, fractions: [0.6, 0.2, 0.2], seed: 7, stratify: true });
  const normalizer = zscore().fit(split.train.x, split.train.count, 4);

  const build = (hidden, seed) => {
    const model = new Sequential({ seed });
    hidden.forEach((units, i) => {
      model.add(layers.dense({ units, activation: 'tanh', ...(i === 0 ? { inputShape: [4] } : {}) }));
    });
    model.add(layers.dense({ units: 3, activation: 'softmax' }));
    model.compile({ loss: 'categoricalCrossentropy', optimizer: { kind: 'adam', lr: 0.02 }, metrics: ['accuracy'] });
    return model.setNormalizer(normalizer);
  };

  const result = await selectModel({
    configs: [[2], [4], [8], [8, 4]],
    build,
    train: split.train,
    val: split.val,
    test: split.test,
    restarts: 3,
    seed: 1,
    fitArgs: { epochs: 150, batchSize: 16 },
    label: (hidden) => hidden.join(','),
  });
  console.log(selectionTable(result, { accuracy: true }));
  console.log(`\nselected ${result.best.label}; test accuracy ${result.test.accuracy.toFixed(4)} on ${result.test.count} flowers`);

  const pred = result.best.model.predict(split.test.x);
  const matrix = confusionMatrix(pred, split.test.y, 3);
  const scores = perClassScores(matrix);
  console.log('\nconfusion matrix (rows: true species, columns: predicted)');
  iris.classNames.forEach((name, k) => {
    console.log(
      `${name.padEnd(11)} ${matrix[k].map((v) => String(v).padStart(3)).join(' ')}   precision ${scores.precision[k].toFixed(2)} recall ${scores.recall[k].toFixed(2)}`,
    );
  });
  // Saved with its normalizer and loaded back (into a temporary folder, removed after).
  const dir = mkdtempSync(join(tmpdir(), 'oxnet-iris-'));
  try {
    const file = join(dir, 'iris.oxnet');
    saveModel(result.best.model, file);
    const same = loadModel(file)
      .predict(split.test.x)
      .every((v, i) => v === pred[i]);
    console.log(`\nsaved and reloaded ${file} (with its normalizer): same predictions ${same}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
