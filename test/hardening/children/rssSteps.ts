// Child: the W2 MNIST MLP (784-128-64-10, ReLU, softmax CE, Adam 1e-3, batch 64) on the native
// backend for `warmup` then `steps` training steps (one step = one batch). Prints one JSON line
// with resident memory after warm-up and at the end (after GC when --expose-gc is given).
import { Sequential, adam, layers } from '../../../src/index';
import { loadNativeBinding } from '../../../src/backend/native';

const warmup = Number(process.argv[2] ?? 500);
const steps = Number(process.argv[3] ?? 10_000);
const n = 2048;
const batch = 64;
const x = new Float32Array(n * 784).map((_, i) => ((Math.imul(i, 2654435761) >>> 8) % 256) / 255);
const y = new Float32Array(n * 10).map((_, i) => (i % 10 === Math.floor(i / 10) % 10 ? 1 : 0));
const m = new Sequential({ seed: 2, backend: 'native' });
m.add(layers.dense({ units: 128, activation: 'relu', inputDim: 784 }));
m.add(layers.dense({ units: 64, activation: 'relu' }));
m.add(layers.dense({ units: 10, activation: 'softmax' }));
m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }) });
const perEpoch = n / batch;
const gcNow = (globalThis as { gc?: () => void }).gc ?? (() => {});
const liveBytes = () => loadNativeBinding().liveAllocations!().bytes;

/** GC, then a few event-loop turns so N-API finalizers of dropped objects run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 6; i++) {
    gcNow();
    await new Promise((r) => setImmediate(r));
  }
}

/** Trains `batches` steps as fit() calls of one epoch each; returns RSS after each call (after GC). */
async function train(batches: number): Promise<number[]> {
  const rss: number[] = [];
  // Whole epochs of 32 batches, then a partial one over the first samples.
  for (let done = 0; done < batches; ) {
    const k = Math.min(perEpoch, batches - done);
    await m.fit(x.subarray(0, k * batch * 784), y.subarray(0, k * batch * 10), { epochs: 1, batchSize: batch });
    done += k;
    gcNow();
    rss.push(process.memoryUsage().rss);
  }
  return rss;
}

/** Median of the last 10 samples: RSS moves a few MB either way from one call to the next. */
function settledRss(samples: number[]): number {
  const last = samples.slice(-10).sort((a, b) => a - b);
  return last[Math.floor(last.length / 2)];
}

(async () => {
  const warm = await train(warmup);
  await settle();
  const before = settledRss(warm);
  const nativeBefore = liveBytes();
  const t0 = Date.now();
  const run = await train(steps);
  await settle();
  const after = settledRss(run);
  const nativeAfter = liveBytes();
  process.stdout.write(
    `${JSON.stringify({ warmup, steps, before, after, nativeBefore, nativeAfter, growth: (after - before) / before, seconds: (Date.now() - t0) / 1000 })}\n`,
  );
})();
