// globalMaxPooling2d: the maximum of each channel on both backends (ties and -inf), the gradient
// going to the first maximum only, refusals naming the layer, and the layer check (float64
// gradient check on js, native against js).
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { layers } from '../../src/layers';
import { Model } from '../../src/model/model';
import { checkLayer } from '../helpers/layerCheck';
import { backends } from '../model/helpers';

function pool(shape: number[], backend: 'js' | 'native') {
  const x = input({ shape });
  return new Model({ inputs: x, outputs: layers.globalMaxPooling2d().apply(x), seed: 1, backend });
}

describe.each(backends())('globalMaxPooling2d (%s)', (backend) => {
  it('[2, 2, 2] -> the maximum of each channel', () => {
    // Channel 0: 1, -3, 5, 2 -> 5; channel 1: -1, -2, -7, -4 -> -1.
    const x = new Float32Array([1, -1, -3, -2, 5, -7, 2, -4]);
    expect(Array.from(pool([2, 2, 2], backend).predict(x) as Float32Array)).toEqual([5, -1]);
  });

  it('two samples; -inf and ties', () => {
    const x = new Float32Array([-Infinity, 3, -Infinity, 3, 7, 0, 7, -1]); // [2, 1, 2] per sample
    expect(Array.from(pool([2, 1, 2], backend).predict(x) as Float32Array)).toEqual([-Infinity, 3, 7, 0]);
  });

  it('the gradient goes to the first maximum of each channel, zero elsewhere', () => {
    // x -> pre (identity, 6 -> 6) -> [3, 1, 2] -> global max -> sum (kernel [1, 1]): dL/dpre's
    // kernel is x_i * dL/dz_j, non-zero only in the columns j of the maxima.
    const x = input({ shape: [6] });
    const z = layers.reshape({ targetShape: [3, 1, 2] }).apply(layers.dense({ units: 6, useBias: false, name: 'pre' }).apply(x));
    const out = layers.dense({ units: 1, useBias: false, name: 'sum' }).apply(layers.globalMaxPooling2d().apply(z));
    const m = new Model({ inputs: x, outputs: out, seed: 1, backend });
    m.compile({ loss: 'mse', optimizer: 'sgd' });
    m.setWeights([Float32Array.from({ length: 36 }, (_, k) => (k % 7 === 0 ? 1 : 0)), new Float32Array([1, 1])]);
    // Channel 0: 2, 9, 9 (a tie: pixel 1, z[2], wins); channel 1: 4, 1, 0 (pixel 0, z[1]). 9 + 4 = 13.
    const sample = new Float32Array([2, 4, 9, 1, 9, 0]);
    expect(Array.from(m.predict(sample) as Float32Array)).toEqual([13]);
    // mse against 12: dL/dout = 2 (13 - 12) = 2, so dL/dz = [0, 2, 2, 0, 0, 0].
    const g = m.computeGradients(sample, new Float32Array([12]));
    const dz = [0, 2, 2, 0, 0, 0];
    expect(Array.from(g.grads[g.names.indexOf('pre/kernel')])).toEqual(Array.from({ length: 36 }, (_, k) => sample[Math.floor(k / 6)] * dz[k % 6]));
    expect(Array.from(g.grads[g.names.indexOf('sum/kernel')])).toEqual([18, 8]);
  });
});

describe('globalMaxPooling2d shapes and refusals', () => {
  it('[h, w, c] -> [c], op globalMaxPool2d', () => {
    const b = layers.globalMaxPooling2d().build([[5, 4, 3]], { where: 'x', fromModelInput: [true] });
    expect(b.outputShape).toEqual([3]);
    expect(b.nodes[0].op).toEqual({ type: 'globalMaxPool2d', inShape: [5, 4, 3] });
  });

  it('refuses inputs that are not images, naming the layer', () => {
    expect(() => layers.globalMaxPooling2d({ name: 'gmp' }).apply(input({ shape: [8] }))).toThrow(
      /layer 'gmp' expects an input of rank 3 \(\[height, width, channels\]\), got shape \[8\]/,
    );
    expect(() => layers.globalMaxPooling2d({ keepdims: true } as never)).toThrow(/globalMaxPooling2d: unknown option 'keepdims'/);
  });
});

describe('globalMaxPooling2d layer check: float64 gradient check; native equals js', () => {
  it.each([[[3, 4, 2]], [[1, 1, 3]], [[5, 1, 1]]])('%j', (shape) => {
    checkLayer({ shapes: [shape], apply: ([x]) => layers.globalMaxPooling2d().apply(x) });
  });
});
