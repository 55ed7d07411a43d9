// Data-parallel training on MPI: the MNIST CNN (workload W3) trained by several processes, each
// on its share of every global batch of 64, gradients averaged with one allreduce a step. Every
// process runs this same script; rank 0 prints the progress and the result.
// Needs Open MPI and the MPI addon (README, "Training on several processes (MPI)"):
//   npm run build && npm run build:mpi
//   mpirun -np 2 node examples/distributed-mnist.js     (as root in a container: --allow-run-as-root)
const { Sequential, layers, adam, loadMnist, mnistEpochOrder, distributed, evaluateDistributed } = require('../dist');

async function main() {
  const world = await distributed();
  const data = loadMnist();
  // The same seed on every rank: the same initial weights (rank 0's are broadcast anyway).
  const model = new Sequential({ seed: 1 });
  model.add(layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.flatten());
  model.add(layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 2e-3 }), metrics: ['accuracy'] });
  if (world.rank === 0) console.log(`${world.size} processes (${world.library.split(',')[0]})`);
  const t0 = performance.now();
  // Every rank passes the whole set; fit takes this rank's share of each batch. verbose shows on rank 0 only.
  const history = await model.fit(data.trainX, data.trainY, { epochs: 2, batchSize: 64, epochOrder: mnistEpochOrder, verbose: 2, distributed: world });
  const secs = (performance.now() - t0) / 1000;
  // Each rank evaluates its share of the test digits; the counts are summed.
  const test = evaluateDistributed(model, data.testX, data.testY, world);
  if (world.rank === 0) {
    console.log(
      `trained ${history.loss.length} epochs in ${secs.toFixed(1)} s (${((history.loss.length * data.trainY.length) / 10 / secs).toFixed(0)} samples/s)`,
    );
    console.log(`test accuracy ${test.accuracy.toFixed(4)} (${test.misclassified} of ${test.count} wrong)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
