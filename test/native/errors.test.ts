// The native backend's error surface: typed OxnetErrors naming the parameter, float32 only, and
// a Rust panic that becomes a JS error while the process lives on.
import { describe, expect, it } from 'vitest';
import { loadNativeBackend, loadNativeBinding, toOxnetError } from '../../src/backend/native';
import { OxnetError } from '../../src/errors';
import { type ChainSpec, createChain } from '../helpers/chain';

const native = loadNativeBackend();

function thrown(f: () => unknown): OxnetError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(OxnetError);
    return err as OxnetError;
  }
  throw new Error('expected a throw');
}

const spec: ChainSpec = {
  inputSize: 2,
  layers: [{ type: 'dense', inputs: 2, units: 1, useBias: true, activation: { kind: 'sigmoid' } }],
  loss: { kind: 'halfSse' },
  optimizer: { kind: 'sgd', lr: 0.1 },
  seed: 1,
};

describe('native backend errors', () => {
  it('computes a 2x2 matmul (closed form [[19,22],[43,50]])', () => {
    const c = native.matmul(new Float32Array([1, 2, 3, 4]), new Float32Array([5, 6, 7, 8]), 2, 2, 2);
    expect(Array.from(c)).toEqual([19, 22, 43, 50]);
  });

  it('shape errors carry E_SHAPE and name the parameter and values', () => {
    const e = thrown(() => native.denseForward(new Float32Array(5), new Float32Array(3), null, 2, 3, 1));
    expect(e.code).toBe('E_SHAPE');
    expect(e.message).toBe('denseForward: x has 5 floats, expected batch*inputs = 6');
  });

  it('bad sizes and hyperparameters are E_ARG', () => {
    const e = thrown(() => native.matmul(new Float32Array(2), new Float32Array(2), -1, 2, 1));
    expect(e.code).toBe('E_ARG');
    expect(e.message).toContain('m must be a non-negative integer, got -1');
    const p = new Float32Array(1);
    const adam = { kind: 'adam', lr: 0.1, beta1: 1.5 } as const;
    const e2 = thrown(() => native.optimizerStep(adam, p, new Float32Array(1), [new Float32Array(1), new Float32Array(1)], 1));
    expect(e2.code).toBe('E_ARG');
    expect(e2.message).toContain('optimizer.beta1 must be in [0, 1), got 1.5');
  });

  it('refuses Float64Array (native is float32 only) naming the argument', () => {
    const e = thrown(() => native.activationForward({ kind: 'relu' }, new Float64Array(3), 3));
    expect(e.code).toBe('E_ARG');
    expect(e.message).toContain('activationForward: x must be a Float32Array');
  });

  it('bad network configurations are E_CONFIG / E_SHAPE', () => {
    const wrongChain = { ...spec, inputSize: 3 };
    const e = thrown(() => createChain(native, wrongChain, [new Float32Array(2), new Float32Array(1)]));
    expect(e.code).toBe('E_CONFIG');
    expect(e.message).toBe("node 'dense_0' (dense): input sizes are [3], its spec implies [2]");
    const e2 = thrown(() => createChain(native, spec, [new Float32Array(3), new Float32Array(1)]));
    expect(e2.code).toBe('E_SHAPE');
    expect(e2.message).toContain('params[0] has 3 floats');
  });

  it('a dataset from another backend is refused', () => {
    const net = createChain(native, spec, [new Float32Array(2), new Float32Array(1)]);
    const fake = { count: 1, inputSizes: [2], targetSizes: [1] };
    const e = thrown(() => net.trainSync(fake, new Uint32Array([0]), 1, 0.1, 0));
    expect(e.code).toBe('E_ARG');
    expect(e.message).toContain('data must be a Dataset created by the native backend');
  });

  it('async errors reject with a typed OxnetError', async () => {
    const net = createChain(native, spec, [new Float32Array(2), new Float32Array(1)]);
    const data = native.createDataset([new Float32Array(4)], [new Float32Array(2)], 2);
    await expect(net.train(data, new Uint32Array([0, 7]), 1, 0.1, 0)).rejects.toMatchObject({
      code: 'E_ARG',
      message: 'train: order[1] = 7 is out of range for a dataset of 2',
    });
    // An n past the inputs is refused before the outputs are allocated (n = 2^40 aborted the process).
    await expect(net.predictAsync([new Float32Array(4)], 2 ** 40)).rejects.toMatchObject({
      code: 'E_SHAPE',
      message: "predict: inputs[0] ('input_0') has 4 floats, expected n*inputSize = 2199023255552",
    });
    await expect(net.predictAsync([], 2 ** 40)).rejects.toMatchObject({ code: 'E_SHAPE' });
    expect((await net.predictAsync([new Float32Array(4)], 2))[0].length).toBe(2);
  });

  it('debugPanic() throws a JS error and the process lives on', () => {
    const binding = loadNativeBinding();
    let caught: unknown;
    try {
      binding.debugPanic();
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(Error);
    const e = toOxnetError(caught);
    expect(e.code).toBe('E_NATIVE');
    expect(e.message).toContain('debugPanic was called');
    // Still alive and computing.
    expect(Array.from(native.matmul(new Float32Array([2]), new Float32Array([3]), 1, 1, 1))).toEqual([6]);
  });

  it('maps unknown messages to E_NATIVE', () => {
    expect(toOxnetError(new Error('boom')).code).toBe('E_NATIVE');
    expect(toOxnetError(new Error('E_STATE: busy')).message).toBe('busy');
  });
});
