// From a CSV file to predictions, with the library (the `oxnet` command does the same:
//   oxnet train blobs.csv --target cluster --task classification --hidden 8 --out blobs.oxnet
//   oxnet predict blobs.oxnet blobs.csv --out predictions.csv).
// The example writes its own CSV of three Gaussian clusters first.
// Run: npm run build:ts && node examples/csv.js
const { rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { tmpdir } = require('node:os');
const { Sequential, layers, gaussianBlobs, loadCsv, zscore, trainValTestSplit, accuracy } = require('../dist');

async function main() {
  const blobs = gaussianBlobs({ count: 300, classes: 3, seed: 4 });
  const names = ['red', 'green', 'blue'];
  const lines = ['x,y,cluster'];
  for (let i = 0; i < blobs.count; i++) {
    lines.push(`${blobs.x[2 * i].toFixed(3)},${blobs.x[2 * i + 1].toFixed(3)},${names[i % 3]}`);
  }
  const path = join(tmpdir(), 'oxnet-blobs.csv');
  writeFileSync(path, `${lines.join('\n')}\n`);

  const data = loadCsv(path, { task: 'classification', target: 'cluster' });
  rmSync(path); // read once; leave nothing in the temp directory
  console.log(`${data.count} rows, features ${data.featureNames.join(', ')}, classes ${data.classNames.join(', ')}`);
  const split = trainValTestSplit(data.x, data.y, { count: data.count, seed: 1, stratify: true });

  const model = new Sequential({ seed: 2 });
  model.add(layers.dense({ units: 8, activation: 'tanh', inputShape: [data.inputSize] }));
  model.add(layers.dense({ units: data.targetSize, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: { kind: 'adam', lr: 0.02 }, metrics: ['accuracy'] });
  model.setNormalizer(zscore().fit(split.train.x, split.train.count, data.inputSize));
  await model.fit(split.train.x, split.train.y, { epochs: 60, batchSize: 16, validationData: [split.val.x, split.val.y] });

  const classes = model.predictClasses(split.test.x);
  console.log(`test accuracy ${accuracy(model.predict(split.test.x), split.test.y, data.targetSize).toFixed(3)}`);
  console.log(
    'first test rows:',
    classes
      .slice(0, 6)
      .map((k) => data.classNames[k])
      .join(', '),
  );
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
