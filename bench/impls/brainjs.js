// brain.js 1.6.1: W1 only (its NeuralNetwork has one activation for every layer and MSE loss,
// so the softmax/cross-entropy workloads and the CNN are not expressible).
const { emit, median, now, seedMathRandom } = require('../lib/child');
const { settings, XOR_X, XOR_T } = require('../lib/workloads');

function cannot(workload) {
  return workload === 'W1' ? null : 'brain.js NeuralNetwork: one activation for all layers, MSE loss only, no conv layers';
}

async function run(_workload, impl, quick) {
  const brain = require('brain.js');
  const s = settings('W1', quick);
  const table = [0, 1, 2, 3].map((i) => ({ input: [XOR_X[2 * i], XOR_X[2 * i + 1]], output: [XOR_T[i]] }));
  const epochs = [];
  const perEpochUs = [];
  let successes = 0;
  for (let seed = 1; seed <= s.seeds; seed++) {
    seedMathRandom(seed); // brain.js draws its init (uniform +-0.2) from Math.random
    const net = new brain.NeuralNetwork({ hiddenLayers: [2], activation: 'sigmoid' });
    const t0 = now();
    // momentum must be > 0 for brain.js: 1e-9 is plain SGD in effect. Its error is the mean over samples of the per-sample MSE, measured during the epoch.
    const res = net.train(table, { iterations: s.maxEpochs, errorThresh: s.targetMse, learningRate: s.lr, momentum: 1e-9 });
    perEpochUs.push(((now() - t0) * 1000) / res.iterations);
    if (res.error < s.targetMse) {
      successes++;
      epochs.push(res.iterations);
    }
  }
  emit('W1', impl, 'success_rate', successes / s.seeds, { seeds: s.seeds });
  emit('W1', impl, 'median_epochs', median(epochs));
  emit('W1', impl, 'median_epoch_us', median(perEpochUs));
}

module.exports = { run, cannot };
