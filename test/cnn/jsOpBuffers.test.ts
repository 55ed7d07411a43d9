// The js ops keep their kernel outputs and scratch in a per-op Workspace, and the js executor keeps
// its value and gradient buffers: a later batch reuses the first one's buffers (same ArrayBuffer),
// and the values still equal the kernels run without a workspace (fresh zeroed arrays) and a fresh
// network, also when a smaller batch follows a larger one, so nothing stale leaks from the
// previous batch.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FloatArray } from '../../src/backend/types';
import type { Conv2dOp } from '../../src/layers/conv2d';
import type { Pool2dOp } from '../../src/layers/pooling';
import { buildOp } from '../../src/backend/js/ops';
import { jsBackend } from '../../src/backend/js';
import { Workspace } from '../../src/backend/js/workspace';
import { conv2dForward, conv2dGrads } from '../../src/backend/js/conv';
import { maxPool2dBackward, maxPool2dForward } from '../../src/backend/js/pool';
import { type ChainSpec, createChain } from '../helpers/chain';
import { randomF32, seeded } from '../helpers/random';

const IN: [number, number, number] = [6, 5, 3];
const X_COUNT = IN[0] * IN[1] * IN[2];
const CONV: Conv2dOp = {
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
const POOL: Pool2dOp = { type: 'maxPool2d', inShape: IN, pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] };
const ctx = { training: true, step: 0, seed: 9, node: 0 };

/**
 * Records the ArrayBuffer behind every array the ops' workspaces hand out, by slot name, per
 * batch. The workspace-free reference kernels never call Workspace.take, so only the op is seen.
 */
function watchWorkspaces() {
  const batches: Map<string, ArrayBufferLike>[] = [];
  const take = Workspace.prototype.take;
  vi.spyOn(Workspace.prototype, 'take').mockImplementation(function <T extends FloatArray>(this: Workspace, like: T, name: string, length: number): T {
    const out = take.call(this, like, name, length) as T;
    batches[batches.length - 1].set(name, out.buffer);
    return out;
  });
  return {
    next: () => batches.push(new Map()),
    /** Every slot of batch k is the ArrayBuffer batch 0 used under that name. */
    reused: (k: number) => {
      expect(batches[0].size).toBeGreaterThan(0);
      expect([...batches[k].keys()].sort()).toEqual([...batches[0].keys()].sort());
      for (const [name, buf] of batches[k]) expect(buf === batches[0].get(name), `slot ${name} of batch ${k}`).toBe(true);
    },
  };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('js CNN ops reuse their buffers across batches', () => {
  const rng = seeded(11);

  it('conv2d: outputs and gradients equal the workspace-free kernels; later batches reuse batch 1 buffers', () => {
    const yCount = 6 * 5 * 4; // padding [1, 1, 0, 1] keeps 6 x 5
    const op = buildOp(CONV, { name: 'conv', inputs: [X_COUNT], output: yCount, params: [3 * 2 * 3 * 4, 4], state: [] });
    const params = [randomF32(rng, 72, -0.5, 0.5), randomF32(rng, 4, -0.5, 0.5)];
    const grads = [new Float32Array(72), new Float32Array(4)];
    const ws = watchWorkspaces();
    for (const batch of [3, 3, 2]) {
      ws.next();
      const x = randomF32(rng, batch * X_COUNT);
      const dy = randomF32(rng, batch * yCount);
      const g = { batch, inShape: IN, filters: 4, kernel: CONV.kernel, strides: CONV.strides, padding: CONV.padding, dilation: CONV.dilation };
      // The op must overwrite every element it is given: NaN shows any it forgets.
      const y = new Float32Array(batch * yCount).fill(NaN);
      op.forward({ inputs: [x], n: batch, params, state: [], ctx, out: y });
      const dx = new Float32Array(batch * X_COUNT).fill(NaN);
      for (const gr of grads) gr.fill(NaN);
      op.backward({ inputs: [x], out: y, dout: dy, fromPre: false, n: batch, params, grads, dinputs: [dx], ctx });
      expect(Array.from(y)).toEqual(Array.from(conv2dForward(x, params[0], params[1], g)));
      const ref = conv2dGrads(x, params[0], dy, g, true);
      expect(Array.from(dx)).toEqual(Array.from(ref.dx!));
      expect(Array.from(grads[0])).toEqual(Array.from(ref.dw));
      expect(Array.from(grads[1])).toEqual(Array.from(ref.db));
    }
    // Batches 2 and 3 (no larger than batch 1) run in batch 1's kernel buffers.
    ws.reused(1);
    ws.reused(2);
  });

  it('maxPool2d: the same for forward and backward', () => {
    const yCount = 3 * 2 * 3;
    const op = buildOp(POOL, { name: 'pool', inputs: [X_COUNT], output: yCount, params: [], state: [] });
    const ws = watchWorkspaces();
    for (const batch of [2, 1]) {
      ws.next();
      const x = randomF32(rng, batch * X_COUNT);
      const dy = randomF32(rng, batch * yCount);
      const g = {
        batch,
        inShape: IN,
        pool: [2, 2] as [number, number],
        strides: [2, 2] as [number, number],
        padding: [0, 0, 0, 0] as [number, number, number, number],
      };
      const y = new Float32Array(batch * yCount).fill(NaN);
      op.forward({ inputs: [x], n: batch, params: [], state: [], ctx, out: y });
      const dx = new Float32Array(batch * X_COUNT).fill(NaN);
      op.backward({ inputs: [x], out: y, dout: dy, fromPre: false, n: batch, params: [], grads: [], dinputs: [dx], ctx });
      expect(Array.from(y)).toEqual(Array.from(maxPool2dForward(x, g)));
      expect(Array.from(dx)).toEqual(Array.from(maxPool2dBackward(x, dy, g)));
    }
    ws.reused(1);
  });
});

describe('the js executor reuses its value and gradient buffers across batches', () => {
  // conv (relu) -> max pool -> flatten -> dense softmax, plain SGD: no optimizer state, so one
  // batch on a fresh network from the same parameters must land on the same parameters.
  const spec: ChainSpec = {
    inputSize: X_COUNT,
    layers: [
      { ...CONV, activation: { kind: 'relu' } },
      { ...POOL, inShape: [6, 5, 4] },
      { type: 'reshape', size: 24 },
      { type: 'dense', inputs: 24, units: 3, useBias: true, activation: { kind: 'softmax' } },
    ],
    loss: { kind: 'softmaxCrossEntropy' },
    optimizer: { kind: 'sgd', lr: 0.1 },
    seed: 4,
  };

  it('batches of 4, 4, 3, 1: same buffers after the first, parameters equal a fresh network per batch, bit for bit', () => {
    const rng = seeded(12);
    const count = 12;
    const x = randomF32(rng, count * X_COUNT);
    const y = new Float32Array(count * 3).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
    const data = jsBackend.createDataset([x], [y], count);
    let params = [randomF32(rng, 72, -0.5, 0.5), randomF32(rng, 4, -0.1, 0.1), randomF32(rng, 72, -0.5, 0.5), randomF32(rng, 3, -0.1, 0.1)];
    const runner = createChain(jsBackend, spec, params);
    const held = runner as unknown as { bufs: FloatArray[]; gbufs: FloatArray[] };
    let first: { bufs: FloatArray[]; gbufs: FloatArray[] } | null = null;
    let start = 0;
    [4, 4, 3, 1].forEach((batch, b) => {
      const order = Uint32Array.from({ length: batch }, (_, i) => start + i);
      start += batch;
      const stats = runner.trainSync(data, order, batch, 0.1, b);
      const fresh = createChain(jsBackend, spec, params);
      const freshStats = fresh.trainSync(data, order, batch, 0.1, b);
      expect(Array.from(stats.losses)).toEqual(Array.from(freshStats.losses));
      expect(Array.from(stats.correct)).toEqual(Array.from(freshStats.correct));
      const got = runner.getParams();
      got.forEach((p, i) => {
        expect(Array.from(p), `batch ${b}, param ${i}`).toEqual(Array.from(fresh.getParams()[i]));
      });
      params = got;
      if (first === null) first = { bufs: [...held.bufs], gbufs: [...held.gbufs] };
      else {
        expect(held.bufs.length).toBe(first.bufs.length);
        held.bufs.forEach((buf, k) => {
          expect(buf === first!.bufs[k], `value buffer ${k} after batch ${b}`).toBe(true);
        });
        held.gbufs.forEach((buf, k) => {
          expect(buf === first!.gbufs[k], `gradient buffer ${k} after batch ${b}`).toBe(true);
        });
      }
    });
    // The buffers are shared by liveness: fewer than one per value.
    const m = runner.memory();
    expect(m.training).toBeLessThan(m.trainingNaive);
    expect(first!.bufs.length).toBeGreaterThan(0);
  });
});
