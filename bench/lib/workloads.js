// The workload definitions of workloads.md, and what --quick shortens (README.md says how).
const full = {
  W1: { seeds: 20, maxEpochs: 10000, lr: 0.5, targetMse: 0.01 },
  W2: { epochs: 3, warmupEpochs: 1, batch: 64, lr: 1e-3 },
  W3: { warmupBatches: 10, batch: 32, lr: 1e-3, budgetS: Infinity },
  W4: { sizes: [256, 1024, 4096], minTimeS: 1.0, minReps: 3 },
  W5: { epochs: 3, warmupEpochs: 1, batch: 64, lr: 1e-3 },
  W6: { epochs: 3, warmupEpochs: 1, batch: 64, lr: 1e-3 },
  // Synthetic data (lib/data.js): 5 batches of warm-up, then 20 timed in one training call.
  W7: { warmupBatches: 5, batches: 20, batch: 128, lr: 1e-3 },
  W8: { warmupBatches: 5, batches: 20, batch: 256, lr: 1e-3 },
};

// --quick: 5 XOR seeds; W6 like W3 but 10 s; W2/W5 train one epoch, 10 batches of warm-up then timed for at most 5 s
// (accuracy/MSE after that 1 epoch, only if it finished); W3 warms up on 2 batches, not 10, and is
// timed for at most 5 s; GEMM at 256 and 1024 only, 0.3 s and at least 1 timed call per size.
const quick = {
  W1: { ...full.W1, seeds: 5 },
  W2: { warmupBatches: 10, batch: 64, budgetS: 5 },
  W3: { ...full.W3, warmupBatches: 2, budgetS: 5 },
  W4: { sizes: [256, 1024], minTimeS: 0.3, minReps: 1 },
  W5: { warmupBatches: 10, batch: 64, budgetS: 5 },
  W6: { warmupBatches: 2, batch: 64, budgetS: 10 },
  W7: { ...full.W7, warmupBatches: 1, batches: 2 },
  W8: { ...full.W8, warmupBatches: 1, batches: 5 },
};

// The js backend cannot train W6's epochs in a bench run (~10 samples/s): one warm-up batch, then
// timed batches for at most 60 s (10 with --quick); no accuracy.
const W6_JS = { full: { warmupBatches: 1, batch: 64, budgetS: 60 }, quick: { warmupBatches: 1, batch: 64, budgetS: 10 } };
// ... nor W7's and W8's 25 batches (a W7 batch of 128 is ~88 GFLOP, minutes on js): one of
// warm-up and a few timed; --quick: W7 one timed batch of 16 samples (the record says `batch`), W8 one of 256.
const SYNTHETIC_JS = {
  W7: { full: { ...full.W7, warmupBatches: 1, batches: 2 }, quick: { ...full.W7, batch: 16, warmupBatches: 0, batches: 1 } },
  W8: { full: { ...full.W8, warmupBatches: 1, batches: 3 }, quick: { ...full.W8, warmupBatches: 0, batches: 1 } },
};

/** XOR truth table (inputs, targets), shared by every impl. */
const XOR_X = [0, 0, 0, 1, 1, 0, 1, 1];
const XOR_T = [0, 1, 1, 0];

function settings(workload, isQuick, impl) {
  if (workload === 'W6' && impl === 'oxnet-js') return W6_JS[isQuick ? 'quick' : 'full'];
  if (SYNTHETIC_JS[workload] && impl === 'oxnet-js') return SYNTHETIC_JS[workload][isQuick ? 'quick' : 'full'];
  return (isQuick ? quick : full)[workload];
}

module.exports = { settings, XOR_X, XOR_T };
