// Bad convolution and pooling geometry is refused before any memory is touched, with an
// OxnetError whose code and message name the parameter and its value. Both backends must give the
// same code and name the parameter; on the js backend the exact wording is checked too.
import { expect, it } from 'vitest';
import type { Backend, Conv2dGeometry, Pool2dGeometry } from '../../src/backend/types';
import { jsBackend } from '../../src/backend/js';
import { describeBackends } from '../helpers/backends';
import { type ChainLayer, type ChainSpec, createChain, zeroParams } from '../helpers/chain';

const goodConv: Conv2dGeometry = { batch: 1, inShape: [4, 4, 2], filters: 3, kernel: [3, 3], strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1] };
const goodPool: Pool2dGeometry = { batch: 1, inShape: [4, 4, 2], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] };

interface BadCase<G> {
  name: string;
  geometry: Partial<G>;
  /** What every backend's message must name (the parameter, or the limit). */
  param: RegExp;
  code: 'E_ARG' | 'E_SHAPE';
  /** The js backend's exact wording. */
  message: RegExp;
  /** Buffer lengths to pass instead of the ones the good geometry needs. */
  lengths?: { x?: number; w?: number; b?: number; dy?: number };
}

const CONV_BAD: BadCase<Conv2dGeometry>[] = [
  { name: 'zero stride', geometry: { strides: [0, 1] }, param: /strides\[0\]/, code: 'E_ARG', message: /strides\[0\] must be a positive integer.*got 0/ },
  { name: 'negative stride', geometry: { strides: [1, -2] }, param: /strides\[1\]/, code: 'E_ARG', message: /strides\[1\].*got -2/ },
  { name: 'fractional stride', geometry: { strides: [1.5, 1] }, param: /strides\[0\]/, code: 'E_ARG', message: /strides\[0\].*got 1\.5/ },
  { name: 'zero kernel', geometry: { kernel: [0, 3] }, param: /kernel\[0\]/, code: 'E_ARG', message: /kernel\[0\].*got 0/ },
  { name: 'NaN kernel', geometry: { kernel: [3, NaN] }, param: /kernel\[1\]/, code: 'E_ARG', message: /kernel\[1\].*got NaN/ },
  { name: 'zero dilation', geometry: { dilation: [1, 0] }, param: /dilation\[1\]/, code: 'E_ARG', message: /dilation\[1\].*got 0/ },
  { name: 'negative padding', geometry: { padding: [0, 0, -1, 0] }, param: /padding\[2\]/, code: 'E_ARG', message: /padding\[2\] \(left\).*got -1/ },
  { name: 'zero filters', geometry: { filters: 0 }, param: /filters/, code: 'E_ARG', message: /filters.*got 0/ },
  { name: 'zero batch', geometry: { batch: 0 }, param: /batch/, code: 'E_ARG', message: /batch.*got 0/ },
  { name: 'zero channels', geometry: { inShape: [4, 4, 0] }, param: /inShape\[2\]/, code: 'E_ARG', message: /inShape\[2\] \(channels\).*got 0/ },
  {
    name: 'kernel larger than input',
    geometry: { kernel: [5, 3] },
    param: /kernel/,
    code: 'E_SHAPE',
    message: /kernel \[5, 3\].*larger than the padded input \[4, 4\]/,
  },
  {
    name: 'dilated kernel larger than padded input',
    geometry: { kernel: [2, 2], dilation: [4, 1], padding: [0, 0, 0, 0] },
    param: /dilation/,
    code: 'E_SHAPE',
    message: /spans \[5, 2\].*padded input \[4, 4\]/,
  },
  { name: 'channel mismatch in x', geometry: {}, lengths: { x: 4 * 4 * 3 }, param: /\bx\b/, code: 'E_SHAPE', message: /x has length 48, expected 32/ },
  {
    name: 'channel mismatch in the kernel',
    geometry: {},
    lengths: { w: 3 * 3 * 1 * 3 },
    param: /\bw\b|kernel/,
    code: 'E_SHAPE',
    message: /w \(kernel\) has length 27, expected 54/,
  },
  { name: 'bias not [filters]', geometry: {}, lengths: { b: 2 }, param: /\bb\b|bias/, code: 'E_SHAPE', message: /b \(bias\) has length 2, expected 3/ },
  {
    name: 'x over 2^31 elements',
    geometry: { inShape: [65536, 65536, 1], kernel: [1, 1] },
    param: /2\^31|2147483647/,
    code: 'E_SHAPE',
    message: /x .*65536\*65536\*1 = 4294967296 elements, more than 2\^31 - 1/,
  },
  {
    name: 'output count past MAX_SAFE_INTEGER',
    geometry: { batch: 2 ** 30, inShape: [2 ** 30, 2 ** 30, 2], kernel: [1, 1] },
    param: /2\^31|2147483647/,
    code: 'E_SHAPE',
    message: /more than 2\^31 - 1/,
  },
  {
    name: 'dimension of 2^31',
    geometry: { inShape: [2 ** 31, 1, 1], kernel: [1, 1] },
    param: /inShape\[0\]/,
    code: 'E_ARG',
    message: /inShape\[0\] \(height\).*got 2147483648/,
  },
];

const POOL_BAD: BadCase<Pool2dGeometry>[] = [
  { name: 'zero pool', geometry: { pool: [0, 2] }, param: /pool\[0\]/, code: 'E_ARG', message: /pool\[0\].*got 0/ },
  { name: 'zero stride', geometry: { strides: [2, 0] }, param: /strides\[1\]/, code: 'E_ARG', message: /strides\[1\].*got 0/ },
  {
    name: 'pool larger than input',
    geometry: { pool: [5, 2] },
    param: /pool/,
    code: 'E_SHAPE',
    message: /pool \[5, 2\] is larger than the padded input \[4, 4\]/,
  },
  {
    name: 'padding as wide as the pool',
    geometry: { padding: [2, 0, 0, 0] },
    param: /padding/,
    code: 'E_ARG',
    message: /padding \[2, 0, 0, 0\] must be smaller than pool \[2, 2\]/,
  },
  { name: 'x of the wrong length', geometry: {}, lengths: { x: 30 }, param: /\bx\b/, code: 'E_SHAPE', message: /x has length 30, expected 32/ },
  { name: 'x over 2^31 elements', geometry: { inShape: [65536, 65536, 2] }, param: /2\^31|2147483647/, code: 'E_SHAPE', message: /more than 2\^31 - 1/ },
];

/** The error `fn` throws (fails the test if it returns). */
function thrown(fn: () => unknown): { code?: string; message: string } {
  try {
    fn();
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a refusal, but the call returned');
}

function expectRefusal(backend: Backend, err: { code?: string; message: string }, c: { code: string; param: RegExp; message: RegExp }): void {
  expect(err.code).toBe(c.code);
  expect(err.message).toMatch(c.param);
  if (backend.name === 'js') expect(err.message).toMatch(c.message);
}

describeBackends((backend) => {
  for (const c of CONV_BAD) {
    const g = { ...goodConv, ...c.geometry };
    const [h, w, cin] = goodConv.inShape;
    const x = new Float32Array(c.lengths?.x ?? h * w * cin);
    const k = new Float32Array(c.lengths?.w ?? 3 * 3 * cin * goodConv.filters);
    const b = new Float32Array(c.lengths?.b ?? goodConv.filters);
    const dy = new Float32Array(c.lengths?.dy ?? 2 * 2 * goodConv.filters);
    it(`conv2dForward refuses ${c.name} (${c.code})`, () => {
      expectRefusal(
        backend,
        thrown(() => backend.conv2dForward(x, k, b, g)),
        c,
      );
    });
    if (c.lengths?.b === undefined) {
      it(`conv2dBackward refuses ${c.name} (${c.code})`, () => {
        expectRefusal(
          backend,
          thrown(() => backend.conv2dBackward(x, k, dy, g)),
          c,
        );
      });
    }
  }

  it('conv2dBackward refuses dy of the wrong length (E_SHAPE)', () => {
    const err = thrown(() => backend.conv2dBackward(new Float32Array(32), new Float32Array(54), new Float32Array(11), goodConv));
    expectRefusal(backend, err, { code: 'E_SHAPE', param: /\bdy\b/, message: /dy has length 11, expected 12/ });
  });

  for (const c of POOL_BAD) {
    const g = { ...goodPool, ...c.geometry };
    const x = new Float32Array(c.lengths?.x ?? 32);
    for (const kind of ['max', 'avg'] as const) {
      it(`${kind}Pool2dForward and Backward refuse ${c.name} (${c.code})`, () => {
        expectRefusal(
          backend,
          thrown(() => backend[`${kind}Pool2dForward`](x, g)),
          c,
        );
        expectRefusal(
          backend,
          thrown(() => backend[`${kind}Pool2dBackward`](x, new Float32Array(8), g)),
          c,
        );
      });
    }
  }
});

it('js ops refuse bad CNN op specs when the network is built', () => {
  const net = (layer: ChainLayer, inputSize: number) => () => {
    const c: ChainSpec = { inputSize, layers: [layer], loss: { kind: 'mse' }, optimizer: { kind: 'sgd', lr: 0.1 }, seed: 1 };
    createChain(jsBackend, c, zeroParams(c));
  };
  const conv: ChainLayer = {
    type: 'conv2d',
    inShape: [4, 4, 1],
    filters: 2,
    kernel: [5, 5],
    strides: [1, 1],
    padding: [0, 0, 0, 0],
    dilation: [1, 1],
    useBias: true,
    activation: { kind: 'relu' },
  };
  expect(net(conv, 16)).toThrow(expect.objectContaining({ code: 'E_SHAPE', message: expect.stringMatching(/kernel \[5, 5\]/) }));
  expect(net({ type: 'maxPool2d', inShape: [4, 4, 1], pool: [2, 2], strides: [0, 2], padding: [0, 0, 0, 0] }, 16)).toThrow(
    expect.objectContaining({ code: 'E_ARG', message: expect.stringMatching(/strides\[0\]/) }),
  );
  expect(net({ type: 'dropout', size: 4, rate: 1 }, 4)).toThrow(expect.objectContaining({ code: 'E_ARG', message: expect.stringMatching(/rate.*got 1/) }));
  expect(net({ type: 'batchNorm', size: 10, channels: 4, momentum: 0.99, epsilon: 1e-3 }, 10)).toThrow(
    expect.objectContaining({ code: 'E_CONFIG', message: expect.stringMatching(/size 10 is not a multiple of batchNorm.channels 4/) }),
  );
  expect(net({ type: 'batchNorm', size: 8, channels: 4, momentum: 1.5, epsilon: 1e-3 }, 8)).toThrow(
    expect.objectContaining({ code: 'E_ARG', message: expect.stringMatching(/momentum.*1\.5/) }),
  );
  expect(net({ type: 'globalAvgPool2d', inShape: [0, 4, 2] }, 8)).toThrow(
    expect.objectContaining({ code: 'E_ARG', message: expect.stringMatching(/inShape\[0\]/) }),
  );
});
