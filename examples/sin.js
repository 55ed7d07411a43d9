// A universal approximator: 1-10-1 net, sigmoid hidden units and a linear output, fits sin(x)
// on [-pi, pi] (regression: "last neuron linear").
// Run: npm run build:ts && node examples/sin.js
const { Sequential, layers, adam } = require('../dist');

async function main() {
  const xs = Array.from({ length: 64 }, (_, i) => -Math.PI + (2 * Math.PI * i) / 63);
  const model = new Sequential({ seed: 3 });
  model.add(layers.dense({ units: 10, activation: 'sigmoid', inputDim: 1, kernelInitializer: 'glorotUniform' }));
  model.add(layers.dense({ units: 1, activation: 'linear' }));
  model.compile({ loss: 'mse', optimizer: adam({ lr: 0.02 }) });
  const history = await model.fit(
    xs.map((x) => [x]),
    xs.map(Math.sin),
    { epochs: 3000, batchSize: 16 },
  );
  const grid = Array.from({ length: 9 }, (_, i) => -Math.PI + (Math.PI * i) / 4);
  const g = model.predict(grid.map((x) => [x]));
  console.log(`final mse ${history.loss[history.loss.length - 1].toExponential(2)}`);
  grid.forEach((x, i) => {
    console.log(`x ${x.toFixed(3).padStart(6)}  sin ${Math.sin(x).toFixed(4).padStart(7)}  net ${g[i].toFixed(4).padStart(7)}`);
  });
}

main();
