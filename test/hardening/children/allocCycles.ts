// Child (run with --expose-gc): the native addon's live Rust allocations after repeated
// create / fit / predict / drop cycles must come back to the count after one warm-up cycle.
// Prints one JSON line: counts after warm-up, after `cycles` more cycles, and after as many again.
import { Sequential, adam, layers } from '../../../src/index';
import { loadNativeBinding } from '../../../src/backend/native';

const cycles = Number(process.argv[2] ?? 20);
const binding = loadNativeBinding();
const live = () => binding.liveAllocations!();
const gc = (globalThis as { gc?: () => void }).gc!;

async function settle(): Promise<void> {
  // Finalizers of dropped N-API objects run after GC, on later event-loop turns.
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

async function cycle(seed: number): Promise<void> {
  const m = new Sequential({ seed, backend: 'native' });
  m.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }));
  m.add(layers.batchNormalization({}));
  m.add(layers.maxPooling2d({ poolSize: 2 }));
  m.add(layers.flatten());
  m.add(layers.dropout({ rate: 0.2 }));
  m.add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
  const n = 64;
  const x = new Float32Array(n * 64).map((_, i) => Math.sin(i * 0.1));
  const y = new Float32Array(n * 3).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
  await m.fit(x, y, { epochs: 2, batchSize: 16, validationSplit: 0.25 });
  m.predict(x);
  await m.predictAsync(x);
  m.evaluate(x, y);
}

(async () => {
  for (let i = 0; i < 3; i++) await cycle(1000 + i); // warm-up: lazily created pools and caches
  await settle();
  const baseline = live();
  for (let i = 1; i <= cycles; i++) await cycle(i);
  await settle();
  const mid = live();
  for (let i = 1; i <= cycles; i++) await cycle(cycles + i);
  await settle();
  const after = live();
  process.stdout.write(`${JSON.stringify({ baseline, mid, after, cycles })}\n`);
})();
