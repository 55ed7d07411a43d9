// The course's worked example, checked three ways: the slide's closed forms, the backend's
// gradients (model.computeGradients) and central differences in float64 (gradCheck).
//   b = v0 x0 + v1 x1, z1 = sigma(b), a = w0 z0 + w1 z1, y = sigma(a), E = 1/2 (y - t)^2,
//   x0 = z0 = 1 (the bias inputs).
// Run: npm run build:ts && node examples/gradcheck.js
const { Sequential, gradCheck, layers, sgd } = require('../dist');

const [v0, v1, w0, w1] = [0.25, 0.5, -0.5, 0.75];
const [x1, t] = [0.5, 1];

const net = new Sequential({ seed: 0 });
net.add(layers.dense({ units: 1, activation: 'sigmoid', inputDim: 1, name: 'hidden' }));
net.add(layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }));
net.compile({ loss: 'halfSse', optimizer: sgd({ lr: 1 }) });
// getWeights order: hidden kernel, hidden bias, output kernel, output bias.
net.setWeights([[v1], [v0], [w1], [w0]].map((w) => new Float32Array(w)));

const sigma = (a) => 1 / (1 + Math.exp(-a));
const z1 = sigma(v0 + v1 * x1);
const y = sigma(w0 + w1 * z1);
const delta = (y - t) * y * (1 - y);
const slide = { w0: delta, w1: delta * z1, v0: delta * w1 * z1 * (1 - z1), v1: delta * w1 * z1 * (1 - z1) * x1 };

const { loss, grads } = net.computeGradients([[x1]], [t]);
const backend = { v1: grads[0][0], v0: grads[1][0], w1: grads[2][0], w0: grads[3][0] };
console.log(`E = ${loss.toFixed(6)}, y = ${y.toFixed(6)}`);
console.log('weight  slide       backend');
for (const k of ['w0', 'w1', 'v0', 'v1']) console.log(`dE/d${k}  ${slide[k].toFixed(6).padStart(9)}  ${backend[k].toFixed(6).padStart(9)}`);

const report = gradCheck(net, [[x1], [-1.5]], [[t], [0]]);
for (const c of report.tensors) console.log(`gradCheck ${c.name.padEnd(13)} max abs error ${c.maxAbsError.toExponential(2)} ${c.passed ? 'pass' : 'FAIL'}`);
console.log(`gradCheck ${report.passed ? 'passed' : 'FAILED'}`);
