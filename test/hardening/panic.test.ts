// No Rust panic aborts Node (issue 7): the test-only exports panic on purpose, on the JS thread
// (debugPanic) and on a libuv worker (debugPanicAsync); both must surface as E_NATIVE errors and
// the addon must keep computing afterwards.
import { describe, expect, it } from 'vitest';
import { loadNativeBinding, toOxnetError } from '../../src/backend/native';
import { nativeOrNull } from '../helpers/backends';
import { chain } from '../helpers/chain';

const { native } = nativeOrNull();

describe.runIf(native)('panics become errors', () => {
  const binding = native ? loadNativeBinding() : null;
  const stillComputes = () => expect(Array.from(native!.matmul(new Float32Array([2, 1]), new Float32Array([3, 4]), 1, 2, 1))).toEqual([10]); // 2*3 + 1*4

  it('sync: repeated panics on the JS thread each throw E_NATIVE', () => {
    for (let i = 0; i < 20; i++) {
      let caught: unknown = null;
      try {
        binding!.debugPanic();
      } catch (e) {
        caught = e;
      }
      const e = toOxnetError(caught);
      expect(e.code).toBe('E_NATIVE');
      expect(e.message).toContain('Rust panic: debugPanic was called');
    }
    stillComputes();
  });

  it('async: panics on worker threads reject their promises, many at once', async () => {
    const results = await Promise.allSettled(Array.from({ length: 16 }, () => binding!.debugPanicAsync!()));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const e = toOxnetError((r as PromiseRejectedResult).reason);
      expect(e.code).toBe('E_NATIVE');
      expect(e.message).toContain('Rust panic: debugPanicAsync was called');
    }
    stillComputes();
  });

  it('a spec asking for 10^10 parameters is refused before any allocation (it used to abort)', () => {
    const { spec, state } = chain({
      inputSize: 100000,
      layers: [{ type: 'dense', inputs: 100000, units: 100000, useBias: true, activation: { kind: 'relu' } }],
      loss: { kind: 'mse' },
      optimizer: { kind: 'sgd', lr: 0.1 },
      seed: 1,
    });
    expect(() => native!.createNetwork(spec, [], state)).toThrow(
      expect.objectContaining({ code: 'E_SHAPE', message: 'createNetwork: params has 0 arrays, expected 2' }),
    );
    expect(() => native!.createNetwork(spec, [new Float32Array(1), new Float32Array(100000)], state)).toThrow(
      expect.objectContaining({ code: 'E_SHAPE', message: "createNetwork: params[0] has 1 floats, expected its shape's size = 10000000000" }),
    );
    // matmul with k = 0 would return m*n zeros: 2^40 floats is over the limit (it used to abort).
    expect(() => native!.matmul(new Float32Array(0), new Float32Array(0), 2 ** 20, 0, 2 ** 20)).toThrow(expect.objectContaining({ code: 'E_ARG' }));
    // denseForward checked x and w only after allocating y = batch*units (it used to abort).
    expect(() => native!.denseForward(new Float32Array(1), new Float32Array(1), null, 1, 1, 2 ** 40)).toThrow(expect.objectContaining({ code: 'E_SHAPE' }));
    stillComputes();
  });
});
