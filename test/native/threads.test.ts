// Thread control of the native kernels: OXNET_THREADS read at first use, whatever native call
// comes first, setThreads/getThreads from the package root, and GEMM results bitwise identical
// whatever the thread count.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequential, getBackend, getThreads, layers, setBackend, setThreads } from '../../src';
import { loadNativeBackend } from '../../src/backend/native';
import { bundleChild } from '../hardening/childBundle';

const native = loadNativeBackend();
const root = path.resolve(__dirname, '../..');
const initial = getThreads();

/** Values in [-1, 1] with 1/64 steps from a multiplicative hash (no repeats along rows). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (((Math.imul(i + 1, 2654435761) + seed * 97) >>> 7) % 129) / 64 - 1;
  return out;
}

/** getThreads() in a fresh Node process started with OXNET_THREADS set. */
function threadsFromEnv(value: string): number {
  const env = { ...process.env, OXNET_THREADS: value };
  const out = execFileSync(process.execPath, ['-e', "console.log(require('./index.js').getThreads())"], { cwd: root, env });
  return Number(out.toString().trim());
}

describe('native thread count', () => {
  afterAll(() => {
    setThreads(initial);
  });

  it('reads OXNET_THREADS once at first use', () => {
    expect(threadsFromEnv('1')).toBe(1);
    expect(threadsFromEnv('3')).toBe(3);
  });

  it('setThreads changes getThreads and refuses counts outside [1, 256]', () => {
    expect(getBackend()).toBe('native');
    expect(setThreads(1)).toBe(1);
    expect(getThreads()).toBe(1);
    expect(setThreads(2)).toBe(2);
    for (const bad of [0, -1, 1.5, 257, Number.NaN]) {
      expect(() => setThreads(bad)).toThrowError(expect.objectContaining({ code: 'E_ARG', message: expect.stringContaining('setThreads: n must be') }));
    }
    expect(getThreads()).toBe(2);
  });

  it('gives bitwise-identical matmul results with 1, 2 and 3 threads', () => {
    // Big enough for the parallel path (tiles of C over the pool), ragged at every tile edge.
    const [m, k, n] = [301, 517, 263];
    const a = values(m * k, 1);
    const b = values(k * n, 2);
    const runs = [1, 2, 3].map((t) => {
      setThreads(t);
      return native.matmul(a, b, m, k, n);
    });
    expect(Buffer.from(runs[1].buffer).equals(Buffer.from(runs[0].buffer))).toBe(true);
    expect(Buffer.from(runs[2].buffer).equals(Buffer.from(runs[0].buffer))).toBe(true);
    // One element by hand (f64 dot product) so the shared result is also right.
    let want = 0;
    for (let p = 0; p < k; p++) want += a[5 * k + p] * b[p * n + 7];
    expect(runs[0][5 * n + 7]).toBeCloseTo(want, 3);
  });

  it('is a no-op returning 1 on the js backend', () => {
    setBackend('js');
    try {
      expect(setThreads(4)).toBe(1);
      expect(getThreads()).toBe(1);
    } finally {
      setBackend('native');
    }
  });
});

// Each child starts with OXNET_THREADS set and makes one kind of first native call. Pooling and
// the direct convolution used to reach rayon's global pool before oxnet sized it: the pool then
// had one thread per core, getThreads() said so, and OXNET_THREADS was ignored without a word.
describe('OXNET_THREADS sizes the pool whatever native call comes first (child processes)', () => {
  let child = '';
  let dir = '';
  let modelFile = '';

  beforeAll(async () => {
    child = await bundleChild('threadsFirstCall');
    dir = mkdtempSync(path.join(tmpdir(), 'oxnet-threads-'));
    modelFile = path.join(dir, 'conv.oxnet');
    const m = new Sequential({ seed: 1, backend: 'js' });
    m.add(layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }));
    m.add(layers.maxPooling2d({ poolSize: 2 }));
    m.add(layers.flatten());
    m.add(layers.dense({ units: 2 }));
    m.save(modelFile);
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function firstCall(mode: string, threads: string): any {
    // RAYON_NUM_THREADS is cleared: it must not stand in for OXNET_THREADS.
    const env: Record<string, string | undefined> = { ...process.env, OXNET_THREADS: threads };
    delete env.RAYON_NUM_THREADS;
    const out = execFileSync(process.execPath, [child, mode, modelFile], { cwd: root, env, timeout: 60_000, stdio: ['ignore', 'pipe', 'inherit'] });
    return JSON.parse(out.toString().trim().split('\n').pop()!);
  }

  for (const mode of ['predict', 'fit', 'maxPool', 'conv', 'loadModel']) {
    it(`OXNET_THREADS=1, first call ${mode}: one pool thread, getThreads() 1`, () => {
      const r = firstCall(mode, '1');
      expect(r.error).toBeUndefined();
      expect(r.threads).toBe(1);
      // The pool's threads carry oxnet's names; the process gains no other thread over the call
      // (libuv's pool is already running before the first snapshot).
      expect(r.pool).toBe(1);
      expect(r.gained).toBeLessThanOrEqual(1);
    });
  }

  it('OXNET_THREADS=2, first call predict: two pool threads, getThreads() 2', () => {
    const r = firstCall('predict', '2');
    expect(r.error).toBeUndefined();
    expect(r.threads).toBe(2);
    expect(r.pool).toBe(2);
    expect(r.gained).toBeLessThanOrEqual(2);
  });

  for (const bad of ['abc', '0', '257', '1.5']) {
    it(`OXNET_THREADS=${bad}: a typed E_ARG on first native use (predict and getThreads), no pool`, () => {
      const r = firstCall('predict', bad);
      const want = { name: 'OxnetError', code: 'E_ARG', message: expect.stringContaining(`OXNET_THREADS must be an integer in [1, 256], got "${bad}"`) };
      expect(r.error).toEqual(want);
      expect(r.threadsError).toEqual(want);
      expect(r.pool).toBe(0);
    });
  }
});
