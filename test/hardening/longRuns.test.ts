// Long runs (issue 7), each in a fresh child process:
// - the addon's live Rust allocations return to their baseline after create/fit/predict/drop
//   cycles (the count comes from the counting global allocator, liveAllocations());
// - resident memory grows < 5% over MLP training steps after warm-up;
// - the same seed gives bitwise-identical W3 CNN weights in two processes, and with 1 and 2
//   threads;
// - results of sync calls made in a loop that never yields are collected within the loop.
// HARDENING_LONG=1 (scripts/fuzz-longrun) runs the full sizes: 10,000 steps, a full MNIST epoch.
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { nativeOrNull } from '../helpers/backends';
import { bundleChild, root } from './childBundle';

const LONG = process.env.HARDENING_LONG === '1';
const { native } = nativeOrNull();
const bundles: Record<string, string> = {};

beforeAll(async () => {
  if (!native) return;
  for (const name of ['allocCycles', 'rssSteps', 'determinism', 'syncLoop']) bundles[name] = await bundleChild(name);
}, 120_000);

function runChild(name: string, args: string[], env: Record<string, string> = {}, flags: string[] = []): any {
  const out = execFileSync(process.execPath, [...flags, bundles[name], ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    timeout: LONG ? 900_000 : 120_000,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.toString().trim().split('\n').pop()!);
}

describe.runIf(native)('long runs (child processes)', () => {
  it('live native allocations return to the baseline after create/fit/predict/drop cycles', () => {
    const cycles = LONG ? 200 : 20;
    const r = runChild('allocCycles', [String(cycles)], {}, ['--expose-gc']);
    console.log('[hardening] live allocations', JSON.stringify(r));
    // Each cycle allocates thousands of blocks (network, dataset, scratch, results): a leak of
    // even one block per cycle shows as >= 20 between the two measurements. Measured: equal.
    expect(r.baseline.blocks).toBeGreaterThan(0);
    expect(r.after.blocks - r.mid.blocks).toBeLessThanOrEqual(1);
    expect(Math.abs(r.after.bytes - r.mid.bytes)).toBeLessThan(16 * 1024);
    // After warm-up, a block or two of lazily created per-thread state may still appear once
    // (measured: +1 block, 26 KB), never more.
    expect(r.after.blocks - r.baseline.blocks).toBeLessThanOrEqual(4);
    expect(r.after.bytes - r.baseline.bytes).toBeLessThan(64 * 1024);
  }, 180_000);

  it('resident memory grows < 5% over MLP training steps after warm-up', () => {
    // Warm-up until V8's heap and JIT have settled (measured: growth 30% after 300 steps of
    // warm-up, 0-3% after 1,500), then the measured steps.
    const r = runChild('rssSteps', LONG ? ['2000', '10000'] : ['2000', '2000'], {}, ['--expose-gc']);
    console.log(
      `[hardening] native live bytes ${r.nativeBefore} -> ${r.nativeAfter}; RSS ${(r.before / 2 ** 20).toFixed(1)} -> ${(r.after / 2 ** 20).toFixed(1)} MiB over ${r.steps} steps (${(100 * r.growth).toFixed(2)}%, ${r.seconds}s)`,
    );
    expect(r.steps).toBe(LONG ? 10_000 : 2000);
    // The native side holds the same bytes before and after (no leak behind the RSS), give or
    // take one GEMM packing buffer (~400 KB for W2): each thread keeps its own, allocated the first
    // time that thread runs a product, and which pool thread picks up a training job is not fixed
    // (seen once in CI: +409,600 bytes). A leak of 512 bytes per step would still show.
    expect(Math.abs(r.nativeAfter - r.nativeBefore)).toBeLessThan(1024 * 1024);
    expect(r.growth).toBeLessThan(0.05);
  }, 900_000);

  it('results of sync calls in a loop that never yields are collected within it (RSS bounded)', () => {
    // 400 calls x 1 MiB results each for matmul and for predict. Results handed over from Rust
    // were freed only by finalizers waiting for the event loop: the matmul loop alone then
    // peaked ~400 MiB higher. V8-owned results are collected as the loop goes.
    const r = runChild('syncLoop', ['400']);
    console.log('[hardening] sync loop peak RSS (MiB)', JSON.stringify(r));
    expect(r.finite).toBe(true);
    expect(r.afterMatmul - r.before).toBeLessThan(150);
    expect(r.afterPredict - r.before).toBeLessThan(150);
  }, 120_000);

  it('same seed -> bitwise-identical W3 weights: two processes, 1 thread vs 2', () => {
    const samples = LONG ? '8000' : '640';
    const a = runChild('determinism', [samples], { OXNET_THREADS: '2', RAYON_NUM_THREADS: '2' });
    const b = runChild('determinism', [samples], { OXNET_THREADS: '2', RAYON_NUM_THREADS: '2' });
    const c = runChild('determinism', [samples], { OXNET_THREADS: '1', RAYON_NUM_THREADS: '1' });
    expect([a.threads, b.threads, c.threads]).toEqual([2, 2, 1]);
    // perTensor first: on a mismatch it names the layer (0-1 conv1, 2-3 conv2, 4-5 dense).
    expect(b.perTensor).toEqual(a.perTensor);
    expect(c.perTensor).toEqual(a.perTensor);
    expect(c.hash).toBe(a.hash);
  }, 900_000);
});
