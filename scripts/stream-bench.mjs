// W2 (MLP 784-128-64-10, Adam 1e-3, batch 64, ../shared/workloads.md) trained from resident arrays
// (fit) and streamed from float32 files (fitDataset over rawSource, a 2048-sample shuffle buffer,
// prefetch 8; and without the shuffle buffer), in alternating rounds: training samples/s of each (median of the rounds, after a
// warm-up epoch) and the event-loop lag p99 (monitorEventLoopDelay, 1 ms resolution) while each
// trains. Targets: streamed >= 0.8x resident, lag p99 < 20 ms.
// Usage: npm run build:ts && node scripts/stream-bench.mjs [rounds] [epochs per round] [kernel threads]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const { Sequential, layers, adam, loadMnist, rawSource, zip, setThreads, getThreads } = require('../dist/index.js');

const rounds = Number(process.argv[2] ?? 3);
const epochs = Number(process.argv[3] ?? 2);
if (process.argv[4]) setThreads(Number(process.argv[4]));

function w2() {
  const m = new Sequential({ seed: 7, backend: 'native' });
  m.add(layers.dense({ units: 128, activation: 'relu', inputShape: [784] }));
  m.add(layers.dense({ units: 64, activation: 'relu' }));
  m.add(layers.dense({ units: 10, activation: 'softmax' }));
  return m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
}

async function timed(f) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await new Promise((r) => setTimeout(r, 5)); // the first tick sets the baseline
  const t0 = performance.now();
  await f();
  const secs = (performance.now() - t0) / 1000;
  h.disable();
  return { secs, lagP99: h.count > 0 ? h.percentile(99) / 1e6 : Number.NaN };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const dir = mkdtempSync(join(tmpdir(), 'oxnet-stream-bench-'));
try {
  const d = loadMnist();
  const n = 8000; // the workload's training part
  const x = d.trainX.subarray(0, n * 784);
  const y = d.trainY.subarray(0, n * 10);
  writeFileSync(join(dir, 'x.f32'), x);
  writeFileSync(join(dir, 'y.f32'), y);
  const xs = await rawSource(join(dir, 'x.f32'), { shape: [784] });
  const ys = await rawSource(join(dir, 'y.f32'), { shape: [10] });
  const stream = zip({ x: xs, y: ys }).shuffle(2048, 1).batch(64).prefetch(8);
  const sequential = zip({ x: xs, y: ys }).batch(64).prefetch(8); // data shuffled once when it was written

  const modes = {
    resident: async () => {
      const m = w2();
      await m.fit(x, y, { epochs: 1, batchSize: 64 });
      return timed(() => m.fit(x, y, { epochs, batchSize: 64 }));
    },
    streamed: async () => {
      const m = w2();
      await m.fitDataset(stream, { epochs: 2 }); // warm-up: the pipeline's code gets compiled too
      return timed(() => m.fitDataset(stream, { epochs }));
    },
    sequential: async () => {
      const m = w2();
      await m.fitDataset(sequential, { epochs: 2 });
      return timed(() => m.fitDataset(sequential, { epochs }));
    },
  };
  const results = { resident: [], streamed: [], sequential: [] };
  const orders = [
    ['resident', 'streamed', 'sequential'],
    ['sequential', 'streamed', 'resident'],
  ];
  for (let r = 0; r < rounds; r++) {
    for (const name of orders[r % 2]) {
      const { secs, lagP99 } = await modes[name]();
      results[name].push({ rate: (n * epochs) / secs, lagP99 });
      console.log(`round ${r + 1} ${name.padEnd(10)} ${Math.round((n * epochs) / secs).toLocaleString('en-US')} samples/s, lag p99 ${lagP99.toFixed(1)} ms`);
    }
  }
  const res = median(results.resident.map((v) => v.rate));
  const str = median(results.streamed.map((v) => v.rate));
  const lag = median(results.streamed.map((v) => v.lagP99));
  console.log(`CPU: ${cpus()[0].model}, ${cpus().length} cores; kernel threads ${getThreads()}`);
  console.log(
    `W2 resident ${Math.round(res).toLocaleString('en-US')} samples/s, streamed ${Math.round(str).toLocaleString('en-US')} samples/s: ${(str / res).toFixed(2)}x (target >= 0.8x)`,
  );
  const seq = median(results.sequential.map((v) => v.rate));
  console.log(`without the shuffle buffer (the file read in order): ${Math.round(seq).toLocaleString('en-US')} samples/s, ${(seq / res).toFixed(2)}x`);
  console.log(
    `event-loop lag p99 while streaming: ${lag.toFixed(1)} ms (target < 20 ms); resident ${median(results.resident.map((v) => v.lagP99)).toFixed(1)} ms`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
