// The course's perceptron: a step unit trained by the perceptron rule learns AND and OR, and
// cannot learn XOR (no line separates it).
// Run: npm run build:ts && node examples/perceptron.js
const { Sequential, layers, sgd } = require('../dist');

const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const problems = { AND: [0, 0, 0, 1], OR: [0, 1, 1, 1], XOR: [0, 1, 1, 0] };

async function main() {
  for (const [name, target] of Object.entries(problems)) {
    const model = new Sequential({ seed: 1 });
    model.add(layers.perceptron({ units: 1, inputDim: 2 }));
    model.compile({ optimizer: sgd({ lr: 1 }) }); // loss defaults to 'perceptron' for step units
    await model.fit(X, target, { epochs: 50, batchSize: 1 });
    const { misclassified } = model.evaluate(X, target);
    console.log(`${name}: predictions ${model.predictClasses(X).join(' ')}  (targets ${target.join(' ')}), ${misclassified} wrong`);
  }
}

main();
