// The js CNN layers keep their kernel outputs and scratch in a per-layer Workspace: a second batch
// reuses the first one's buffers (same ArrayBuffer), and the values still equal the kernels run
// without a workspace (fresh zeroed arrays), also when a smaller batch follows a larger one, so
// nothing stale leaks from the previous batch.
import { describe, expect, it } from 'vitest';
import type { LayerSpec, NetworkSpec } from '../../src/backend/types';
import { createLayer } from '../../src/backend/js/layers';
import { conv2dForward, conv2dGrads } from '../../src/backend/js/conv';
import { maxPool2dBackward, maxPool2dForward } from '../../src/backend/js/pool';
import { randomF32, seeded } from '../helpers/random';

const IN: [number, number, number] = [6, 5, 3];
const NET: NetworkSpec = { inputSize: 90, layers: [], loss: { kind: 'mse' }, optimizer: { kind: 'sgd', lr: 0.1 }, seed: 9 };
const CONV: Extract<LayerSpec, { type: 'conv2d' }> = {
  type: 'conv2d',
  inShape: IN,
  filters: 4,
  kernel: [3, 2],
  strides: [1, 1],
  padding: [1, 1, 0, 1],
  dilation: [1, 1],
  useBias: true,
  activation: { kind: 'linear' },
};
const POOL: LayerSpec = { type: 'maxPool2d', inShape: IN, pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] };
const train = { training: true, step: 0 };

describe('js CNN layers reuse their buffers across batches', () => {
  const rng = seeded(11);

  it('conv2d: outputs and gradients equal the workspace-free kernels; batch 2 reuses batch 1 buffers', () => {
    const layer = createLayer(CONV, { index: 0, network: NET });
    layer.params[0].set(randomF32(rng, layer.params[0].length, -0.5, 0.5));
    layer.params[1].set(randomF32(rng, layer.params[1].length, -0.5, 0.5));
    const seen: ArrayBufferLike[] = [];
    for (const batch of [3, 3, 2]) {
      const x = randomF32(rng, batch * layer.inputSize);
      const dy = randomF32(rng, batch * layer.outputSize);
      const g = { batch, inShape: IN, filters: 4, kernel: CONV.kernel, strides: CONV.strides, padding: CONV.padding, dilation: CONV.dilation };
      const y = layer.forward(x, batch, train);
      expect(Array.from(y)).toEqual(Array.from(conv2dForward(x, layer.params[0], layer.params[1], g)));
      const dx = layer.backward(dy, batch, false, true)!;
      const ref = conv2dGrads(x, layer.params[0], dy, g, true);
      expect(Array.from(dx)).toEqual(Array.from(ref.dx!));
      expect(Array.from(layer.grads[0])).toEqual(Array.from(ref.dw));
      expect(Array.from(layer.grads[1])).toEqual(Array.from(ref.db));
      seen.push(y.buffer, dx.buffer);
    }
    // Batches 2 and 3 (no larger than batch 1) write into batch 1's output and dx buffers.
    expect(seen[2]).toBe(seen[0]);
    expect(seen[4]).toBe(seen[0]);
    expect(seen[3]).toBe(seen[1]);
    expect(seen[5]).toBe(seen[1]);
  });

  it('maxPool2d: the same for forward and backward', () => {
    const layer = createLayer(POOL, { index: 0, network: NET });
    const buffers: ArrayBufferLike[] = [];
    for (const batch of [2, 1]) {
      const x = randomF32(rng, batch * layer.inputSize);
      const dy = randomF32(rng, batch * layer.outputSize);
      const g = {
        batch,
        inShape: IN,
        pool: [2, 2] as [number, number],
        strides: [2, 2] as [number, number],
        padding: [0, 0, 0, 0] as [number, number, number, number],
      };
      const y = layer.forward(x, batch, train);
      expect(Array.from(y)).toEqual(Array.from(maxPool2dForward(x, g)));
      const dx = layer.backward(dy, batch, false, true)!;
      expect(Array.from(dx)).toEqual(Array.from(maxPool2dBackward(x, dy, g)));
      buffers.push(y.buffer, dx.buffer);
    }
    expect(buffers[2]).toBe(buffers[0]);
    expect(buffers[3]).toBe(buffers[1]);
  });
});
