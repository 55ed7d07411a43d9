// Scaling of data-parallel training on MPI: workload W3 (the MNIST CNN, Adam, global batch 32)
// for one epoch over 8000 digits, or with --resnet W6 (examples/resnet-mnist.js, batch-norm
// statistics local to each rank, global batch 64) over 1024 digits: 1 process x 1 thread (plain
// fit) against 2 processes x 1 thread each (fit's distributed option under mpirun); prints
// samples/s of both and the ratio.
// Run: npm run build && npm run build:mpi && node scripts/mpi-scaling.mjs [--resnet] [--samples N] [--runs R]
// Each configuration runs R times (default 3); the best run counts (least disturbed by others).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const self = fileURLToPath(import.meta.url);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const resnet = process.argv.includes('--resnet');
const samples = arg('--samples', resnet ? 1024 : 8000);
const batchSize = resnet ? 64 : 32;
const runs = arg('--runs', 3);

async function worker() {
  const { Sequential, layers, adam, loadMnist, mnistEpochOrder, distributed } = require('../dist');
  const world = process.env.OMPI_COMM_WORLD_SIZE ? await distributed() : null;
  const m = loadMnist();
  const x = m.trainX.subarray(0, samples * 784);
  const y = m.trainY.subarray(0, samples * 10);
  const model = resnet ? require('../examples/resnet-mnist.js').buildResnet() : w3(Sequential, layers);
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
  world?.barrier();
  const t0 = performance.now();
  const h = await model.fit(x, y, { epochs: 1, batchSize, epochOrder: (e) => mnistEpochOrder(e, samples), ...(world ? { distributed: world } : {}) });
  const secs = (performance.now() - t0) / 1000;
  if (!world || world.rank === 0) console.log(`RESULT ${samples / secs} ${h.loss[0]}`);
}

function w3(Sequential, layers) {
  const model = new Sequential({ seed: 1 });
  model.add(layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu' }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.flatten());
  model.add(layers.dense({ units: 10, activation: 'softmax' }));
  return model;
}

function measure(cmd, args) {
  let best = 0;
  let loss = Number.NaN;
  for (let r = 0; r < runs; r++) {
    const p = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, OXNET_THREADS: '1' } });
    const m = p.stdout.match(/RESULT (\S+) (\S+)/);
    if (p.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')} failed (${p.status}):\n${p.stdout}${p.stderr}`);
    best = Math.max(best, Number(m[1]));
    loss = Number(m[2]);
  }
  return { rate: best, loss };
}

if (process.argv.includes('--worker')) {
  await worker();
} else {
  const flags = ['--samples', String(samples), '--worker', ...(resnet ? ['--resnet'] : [])];
  const one = measure(process.execPath, [self, ...flags]);
  const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
  const two = measure('mpirun', [...root, '--oversubscribe', '--bind-to', 'core', '-np', '2', process.execPath, self, ...flags]);
  console.log(`${resnet ? 'W6 (ResNet)' : 'W3'}, ${samples} digits, 1 epoch, global batch ${batchSize}, 1 thread a process, best of ${runs}:`);
  console.log(`  1 process : ${one.rate.toFixed(0)} samples/s (epoch loss ${one.loss.toFixed(4)})`);
  console.log(`  2 processes: ${two.rate.toFixed(0)} samples/s (epoch loss ${two.loss.toFixed(4)})`);
  console.log(`  ratio ${(two.rate / one.rate).toFixed(2)}x`);
}
