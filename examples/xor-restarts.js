// XOR by backpropagation: 2-2-1 sigmoid MLP, plain SGD with per-sample updates, learning rate
// 0.5, E = 1/2 (y - t)^2, small random initial weights; multiple random restarts against local minima.
// Run: npm run build:ts && node examples/xor-restarts.js
const { Sequential, layers, sgd, fitWithRestarts } = require('../dist');

const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const T = [0, 1, 1, 0];

function build(seed) {
  const model = new Sequential({ seed });
  model.add(layers.dense({ units: 2, activation: 'sigmoid', inputDim: 2 }));
  model.add(layers.dense({ units: 1, activation: 'sigmoid' }));
  model.compile({ loss: 'halfSse', optimizer: sgd({ lr: 0.5 }) });
  return model;
}

const untilGoal = {
  onEpochEnd: (_e, logs, model) => {
    if (logs.loss < 0.005) model.stopTraining = true;
  },
};

async function main() {
  const { best, results } = await fitWithRestarts(build, X, T, {
    restarts: 5,
    seed: 42,
    fitArgs: { epochs: 10000, batchSize: 1, callbacks: untilGoal },
  });
  for (const r of results) console.log(`seed ${r.seed}: ${r.history.loss.length} epochs, final E ${r.loss.toFixed(5)}`);
  console.log(`best: seed ${best.seed}; outputs ${Array.from(best.model.predict(X), (v) => v.toFixed(3)).join(' ')}`);
}

main();
