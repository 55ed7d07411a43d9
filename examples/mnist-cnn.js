// MNIST digits with a small CNN (workload W3): conv 5x5x8 same ReLU -> max-pool 2 -> conv 5x5x16
// same ReLU -> max-pool 2 -> dense 10 softmax; cross-entropy, Adam 1e-3, batch 32. Channels-last
// input [28, 28, 1]. Uses the `mnist` package's 10,000 digits, seeded split; a few seconds an epoch on
// the native backend (seed 1 reaches ~0.93 test accuracy after 1 epoch, ~0.96 after 3).
// Run: npm run build && node examples/mnist-cnn.js   (add --js for the pure-TypeScript backend: slow)
const { Sequential, layers, adam, loadMnist, mnistEpochOrder, saveModel, loadModel } = require('../dist');

async function main() {
  const backend = process.argv.includes('--js') ? 'js' : 'native';
  const data = loadMnist();
  const model = new Sequential({ seed: 1, backend });
  model.add(layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.flatten());
  model.add(layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
  console.log(model.summary());
  // The flat 784-pixel rows are read as [28, 28, 1] images by the first layer's inputShape.
  await model.fit(data.trainX, data.trainY, { epochs: 3, batchSize: 32, epochOrder: mnistEpochOrder, verbose: 1 });
  const { accuracy, misclassified } = model.evaluate(data.testX, data.testY);
  console.log(`test accuracy ${accuracy.toFixed(4)} (${misclassified} of 2000 wrong)`);
  console.log('first ten test digits:', model.predictClasses({ data: data.testX.subarray(0, 7840), shape: [10, 28, 28, 1] }).join(' '));
  console.log('their labels:         ', Array.from(data.testLabels.subarray(0, 10)).join(' '));
  saveModel(model, 'mnist-cnn-example.oxnet');
  const again = loadModel('mnist-cnn-example.oxnet');
  console.log(`saved to mnist-cnn-example.oxnet; reloaded, it scores ${again.evaluate(data.testX, data.testY).accuracy.toFixed(4)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
