// MNIST digits with an MLP (workload W2): 784-128-64-10, ReLU, softmax + cross-entropy, Adam.
// "One output per class, pick the highest." Uses the `mnist` package's 10,000 digits, seeded split.
// Run: npm run build:ts && node examples/mnist-mlp.js
const { Sequential, layers, adam, loadMnist, mnistEpochOrder } = require('../dist');

async function main() {
  const data = loadMnist();
  const model = new Sequential({ seed: 1 });
  model.add(layers.dense({ units: 128, activation: 'relu', inputShape: [784] }));
  model.add(layers.dense({ units: 64, activation: 'relu' }));
  model.add(layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
  console.log(model.summary());
  await model.fit(data.trainX, data.trainY, { epochs: 3, batchSize: 64, epochOrder: mnistEpochOrder, verbose: 1 });
  const { accuracy, misclassified } = model.evaluate(data.testX, data.testY);
  console.log(`test accuracy ${accuracy.toFixed(4)} (${misclassified} of 2000 wrong)`);
  console.log('first ten test digits:', model.predictClasses({ data: data.testX.subarray(0, 7840), shape: [10, 784] }).join(' '));
  console.log('their labels:         ', Array.from(data.testLabels.subarray(0, 10)).join(' '));
}

main();
