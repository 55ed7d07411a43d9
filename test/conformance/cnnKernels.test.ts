// Native CNN kernels against the js reference on the same float32 inputs:
// |native - js| <= 1e-5 + 1e-4 |js| element-wise. A kernel the native backend does not provide yet
// is skipped visibly (its test name says so) rather than failed.
import { expect, it } from 'vitest';
import type { Backend, Conv2dGeometry, Pool2dGeometry } from '../../src/backend/types';
import { closeness, describeNativeVsJs } from '../helpers/backends';
import { randomF32, seeded } from '../helpers/random';

type KernelName = 'conv2dForward' | 'conv2dBackward' | 'maxPool2dForward' | 'maxPool2dBackward' | 'avgPool2dForward' | 'avgPool2dBackward';

const conv = (
  batch: number,
  inShape: [number, number, number],
  filters: number,
  kernel: [number, number],
  extra: Partial<Conv2dGeometry> = {},
): Conv2dGeometry => ({
  batch,
  inShape,
  filters,
  kernel,
  strides: [1, 1],
  padding: [0, 0, 0, 0],
  dilation: [1, 1],
  ...extra,
});
const pool = (batch: number, inShape: [number, number, number], p: [number, number], extra: Partial<Pool2dGeometry> = {}): Pool2dGeometry => ({
  batch,
  inShape,
  pool: p,
  strides: p,
  padding: [0, 0, 0, 0],
  ...extra,
});

const CONV_CASES: Conv2dGeometry[] = [
  conv(2, [5, 4, 2], 3, [3, 2]),
  conv(1, [7, 6, 3], 2, [3, 3], { strides: [2, 2], padding: [1, 1, 0, 1] }),
  conv(3, [4, 5, 1], 4, [2, 3], { strides: [1, 2], padding: [2, 0, 1, 1] }),
  conv(2, [6, 5, 2], 2, [2, 2], { dilation: [2, 1], padding: [1, 1, 0, 0] }),
  conv(2, [7, 7, 1], 1, [2, 2], { strides: [3, 3] }),
  conv(4, [28, 28, 1], 8, [5, 5], { padding: [2, 2, 2, 2] }), // the W3 benchmark's first layer
  conv(2, [14, 14, 8], 16, [5, 5], { padding: [2, 2, 2, 2] }), // and its second
  // Deep patches on small images: native runs these through im2col + GEMM (conv::Paths).
  conv(2, [4, 4, 128], 64, [3, 3], { padding: [1, 1, 1, 1] }), // forward and backward
  conv(2, [9, 9, 64], 64, [3, 3], { padding: [1, 1, 1, 1] }), // backward only
];

const POOL_CASES: Pool2dGeometry[] = [
  pool(2, [4, 4, 3], [2, 2]),
  pool(1, [5, 7, 2], [3, 2], { strides: [2, 3] }),
  pool(3, [5, 5, 1], [2, 2], { padding: [0, 1, 0, 1] }),
  pool(2, [4, 6, 2], [3, 3], { strides: [1, 1], padding: [1, 1, 1, 1] }),
  pool(4, [28, 28, 8], [2, 2]),
];

const convName = (g: Conv2dGeometry) =>
  `n=${g.batch} x=[${g.inShape}] f=[${g.kernel},${g.inShape[2]},${g.filters}] s=[${g.strides}] p=[${g.padding}] d=[${g.dilation}]`;
const poolName = (g: Pool2dGeometry) => `n=${g.batch} x=[${g.inShape}] pool=[${g.pool}] s=[${g.strides}] p=[${g.padding}]`;

/** Whether `backend` really implements `kernel` (present and not answering "not implemented"). */
function provides(backend: Backend, kernel: KernelName): boolean {
  const fn = (backend as unknown as Record<string, unknown>)[kernel];
  if (typeof fn !== 'function') return false;
  const tinyConv = conv(1, [1, 1, 1], 1, [1, 1]);
  const tinyPool = pool(1, [1, 1, 1], [1, 1]);
  const one = new Float32Array([1]);
  try {
    if (kernel === 'conv2dForward') backend.conv2dForward(one, one, null, tinyConv);
    else if (kernel === 'conv2dBackward') backend.conv2dBackward(one, one, one, tinyConv);
    else if (kernel.endsWith('Forward')) (backend[kernel] as Backend['maxPool2dForward'])(one, tinyPool);
    else (backend[kernel] as Backend['maxPool2dBackward'])(one, one, tinyPool);
    return true;
  } catch (err) {
    return !/not implemented/i.test(String((err as Error)?.message ?? err));
  }
}

function expectClose(label: string, native: ArrayLike<number>, js: ArrayLike<number>): void {
  const miss = closeness(native, js);
  expect(miss, `${label}: ${miss}`).toBeNull();
}

describeNativeVsJs('CNN kernels', (native, js) => {
  const has = (k: KernelName) => provides(native, k);
  const title = (k: KernelName, name: string) => (has(k) ? `${k} ${name}` : `${k} ${name} (SKIPPED: native lacks ${k})`);

  CONV_CASES.forEach((g, i) => {
    it.skipIf(!has('conv2dForward'))(title('conv2dForward', convName(g)), () => {
      const rng = seeded(1100 + i);
      const x = randomF32(rng, g.batch * g.inShape[0] * g.inShape[1] * g.inShape[2]);
      const w = randomF32(rng, g.kernel[0] * g.kernel[1] * g.inShape[2] * g.filters);
      const b = randomF32(rng, g.filters);
      expectClose('y', native.conv2dForward(x, w, b, g), js.conv2dForward(x, w, b, g));
      expectClose('y (no bias)', native.conv2dForward(x, w, null, g), js.conv2dForward(x, w, null, g));
    });
    it.skipIf(!has('conv2dBackward'))(title('conv2dBackward', convName(g)), () => {
      const rng = seeded(1200 + i);
      const x = randomF32(rng, g.batch * g.inShape[0] * g.inShape[1] * g.inShape[2]);
      const w = randomF32(rng, g.kernel[0] * g.kernel[1] * g.inShape[2] * g.filters);
      const ySize = js.conv2dForward(x, w, null, g).length;
      const dy = randomF32(rng, ySize);
      const a = native.conv2dBackward(x, w, dy, g);
      const b = js.conv2dBackward(x, w, dy, g);
      expectClose('dx', a.dx, b.dx);
      expectClose('dw', a.dw, b.dw);
      expectClose('db', a.db, b.db);
    });
  });

  POOL_CASES.forEach((g, i) => {
    for (const kind of ['max', 'avg'] as const) {
      const fwd: KernelName = `${kind}Pool2dForward`;
      const bwd: KernelName = `${kind}Pool2dBackward`;
      it.skipIf(!has(fwd))(title(fwd, poolName(g)), () => {
        const x = randomF32(seeded(1300 + i), g.batch * g.inShape[0] * g.inShape[1] * g.inShape[2]);
        expectClose('y', native[fwd](x, g), js[fwd](x, g));
      });
      it.skipIf(!has(bwd))(title(bwd, poolName(g)), () => {
        const rng = seeded(1400 + i);
        const x = randomF32(rng, g.batch * g.inShape[0] * g.inShape[1] * g.inShape[2]);
        const dy = randomF32(rng, js[fwd](x, g).length);
        expectClose('dx', native[bwd](x, dy, g), js[bwd](x, dy, g));
      });
    }
  });

  it.skipIf(!has('maxPool2dBackward'))(title('maxPool2dBackward', 'ties go to the first max on both backends'), () => {
    // Every window of this 4x4 image holds equal values, so only the tie rule decides where dy goes.
    const x = new Float32Array(16).fill(0.5);
    const dy = Float32Array.from([1, 2, 3, 4]);
    const g = pool(1, [4, 4, 1], [2, 2]);
    expectClose('dx', native.maxPool2dBackward(x, dy, g), js.maxPool2dBackward(x, dy, g));
  });
});
