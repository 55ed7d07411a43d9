// XOR from two perceptrons and an AND-like output unit, weights set by hand as in the course:
//   p1 = x1 + x2 - 0.5 >= 0,  p2 = -x1 - x2 + 1.5 >= 0,  o = p1 + p2 - 1.5 >= 0.
// Run: npm run build:ts && node examples/xor-hand-set.js
const { Sequential, layers } = require('../dist');

const model = new Sequential({ seed: 0 });
model.add(layers.dense({ units: 2, activation: 'step', inputDim: 2, name: 'hidden' }));
model.add(layers.dense({ units: 1, activation: 'step' }));
// Dense kernels are [inputs x units]: row i holds input i's weights to (p1, p2).
model.setWeights([new Float32Array([1, -1, 1, -1]), new Float32Array([-0.5, 1.5]), new Float32Array([1, 1]), new Float32Array([-1.5])]);

const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const hidden = model.encode(X, 'hidden');
const out = model.predict(X);
console.log('x1 x2 | p1 p2 | o');
X.forEach(([a, b], i) => {
  console.log(` ${a}  ${b} |  ${hidden[2 * i]}  ${hidden[2 * i + 1]} | ${out[i]}`);
});
