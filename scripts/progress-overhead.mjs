// What fit's progress bar costs: the same training with verbose 0 and with verbose 1 on a stream
// that says it is a TTY (the bar drawn by cli-progress, its output thrown into /dev/null), in
// alternating rounds, median of each. Also "chunked, no bar" (an empty onBatchEnd callback),
// which separates the cost of training in chunks of 32 batches from the drawing itself. The modes
// take turns in a rotating order; the tiny model gets 5x the rounds (it is noisy and cheap).
// Usage: npm run build:ts && node scripts/progress-overhead.mjs [rounds]
import { closeSync, openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Sequential, layers, adam, loadMnist, loadIris } = require('../dist/index.js');

const rounds = Number(process.argv[2] ?? 15);
const devnull = openSync('/dev/null', 'w');
const tty = { isTTY: true, columns: 120, write: (s) => writeSync(devnull, s) > 0 };

const setups = [
  {
    name: 'MNIST MLP 784-128-64-10, 10,000 digits, batch 64, 2 epochs',
    data: () => {
      const d = loadMnist();
      return { x: d.trainX, y: d.trainY };
    },
    build: () => {
      const m = new Sequential({ seed: 1 });
      m.add(layers.dense({ units: 128, activation: 'relu', inputShape: [784] }));
      m.add(layers.dense({ units: 64, activation: 'relu' }));
      m.add(layers.dense({ units: 10, activation: 'softmax' }));
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
      return m;
    },
    fit: { epochs: 2, batchSize: 64 },
  },
  {
    name: 'iris 4-8-3, 150 samples, batch 8, 50 epochs (tiny batches: the worst case)',
    data: () => loadIris(),
    build: () => {
      const m = new Sequential({ seed: 1 });
      m.add(layers.dense({ units: 8, activation: 'tanh', inputShape: [4] }));
      m.add(layers.dense({ units: 3, activation: 'softmax' }));
      m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.02 }), metrics: ['accuracy'] });
      return m;
    },
    fit: { epochs: 50, batchSize: 8 },
    roundsScale: 5,
  },
];

const modes = {
  'verbose 0': {},
  'verbose 2 (lines)': { verbose: /** @type {const} */ (2), progressStream: { write: tty.write } },
  'chunked, no bar': { callbacks: { onBatchEnd() {} } },
  'verbose 1, TTY bar': { verbose: /** @type {const} */ (1), progressStream: tty },
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

for (const s of setups) {
  const { x, y } = s.data();
  await s.build().fit(x, y, s.fit); // warm-up
  const times = Object.fromEntries(Object.keys(modes).map((k) => [k, []]));
  const entries = Object.entries(modes);
  for (let r = 0; r < rounds * (s.roundsScale ?? 1); r++) {
    for (let j = 0; j < entries.length; j++) {
      const [k, extra] = entries[(r + j) % entries.length];
      const model = s.build();
      const t0 = performance.now();
      await model.fit(x, y, { ...s.fit, ...extra });
      times[k].push(performance.now() - t0);
    }
  }
  const base = median(times['verbose 0']);
  console.log(s.name);
  for (const k of Object.keys(modes)) {
    const m = median(times[k]);
    console.log(`  ${k.padEnd(20)} median ${m.toFixed(2).padStart(8)} ms  ${(m / base).toFixed(3)}x verbose 0  (${times[k].length} rounds)`);
  }
}
closeSync(devnull);
