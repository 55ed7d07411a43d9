// Thread control of the native kernels: OXNET_THREADS read at first use, setThreads/getThreads
// from the package root, and GEMM results bitwise identical whatever the thread count.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getBackend, getThreads, setBackend, setThreads } from '../../src';
import { loadNativeBackend } from '../../src/backend/native';

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
