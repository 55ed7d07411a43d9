// The workload definitions of workloads.md, and what --quick shortens (README.md says how).
const full = {
  W1: { seeds: 20, maxEpochs: 10000, lr: 0.5, targetMse: 0.01 },
  W2: { epochs: 3, warmupEpochs: 1, batch: 64, lr: 1e-3 },
  W3: { warmupBatches: 10, batch: 32, lr: 1e-3, budgetS: Infinity },
  W4: { sizes: [256, 1024, 4096], minTimeS: 1.0 },
  W5: { epochs: 3, warmupEpochs: 1, batch: 64, lr: 1e-3 },
};

// --quick: 5 XOR seeds; 2 epochs (1 warm-up + 1 timed) for W2/W5, so their accuracy/MSE is after
// 2 epochs; W3 warms up on 3 batches, not 10, and is timed for at most 8 s (accuracy only if the
// epoch finished); GEMM at 256 and 1024 only, 0.3 s per size.
const quick = {
  W1: { ...full.W1, seeds: 5 },
  W2: { ...full.W2, epochs: 2 },
  W3: { ...full.W3, warmupBatches: 3, budgetS: 8 },
  W4: { sizes: [256, 1024], minTimeS: 0.3 },
  W5: { ...full.W5, epochs: 2 },
};

/** XOR truth table (inputs, targets), shared by every impl. */
const XOR_X = [0, 0, 0, 1, 1, 0, 1, 1];
const XOR_T = [0, 1, 1, 0];

function settings(workload, isQuick) {
  return (isQuick ? quick : full)[workload];
}

module.exports = { settings, XOR_X, XOR_T };
