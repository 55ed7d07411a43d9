// Tiny conv and pooling cases whose every number is computed by hand (worked out in the comments),
// run on every available backend.
import { expect, it } from 'vitest';
import type { Conv2dGeometry, Pool2dGeometry } from '../../src/backend/types';
import { describeBackends } from '../helpers/backends';

const f32 = (v: number[]) => Float32Array.from(v);
/** x = 1..9 as a 3x3x1 image (x[r][c] = 3r + c + 1). */
const nine = f32([1, 2, 3, 4, 5, 6, 7, 8, 9]);

function conv(inShape: [number, number, number], filters: number, kernel: [number, number], extra: Partial<Conv2dGeometry> = {}): Conv2dGeometry {
  return { batch: 1, inShape, filters, kernel, strides: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], ...extra };
}
function pool(inShape: [number, number, number], p: [number, number], extra: Partial<Pool2dGeometry> = {}): Pool2dGeometry {
  return { batch: 1, inShape, pool: p, strides: p, padding: [0, 0, 0, 0], ...extra };
}
const close = (a: ArrayLike<number>, b: number[]) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
};

describeBackends((k) => {
  it('conv x=[3,3,1] f=[2,2,1,1] s=1 valid: x[r][c] - x[r+1][c+1] + 0.5 = -3.5 everywhere', () => {
    // kernel HWIO: w[0][0] = 1, w[1][1] = -1; bias 0.5. x[r][c] - x[r+1][c+1] = -4 for 1..9.
    const y = k.conv2dForward(nine, f32([1, 0, 0, -1]), f32([0.5]), conv([3, 3, 1], 1, [2, 2]));
    close(y, [-3.5, -3.5, -3.5, -3.5]);
  });

  it('conv x=[1,1,2] f=[1,1,2,2]: a 1x1 conv is x·W per pixel', () => {
    // W = [[1, 2], [3, 4]] (cin x filters); x = [5, 6]: y = [5+18, 10+24] = [23, 34], plus b = [1, -1].
    const y = k.conv2dForward(f32([5, 6]), f32([1, 2, 3, 4]), f32([1, -1]), conv([1, 1, 2], 2, [1, 1]));
    close(y, [24, 33]);
  });

  it('conv x=[3,3,1] f=[3,3,1,1] ones s=2 p=1 (same): clipped 3x3 sums, and its gradients', () => {
    const g = conv([3, 3, 1], 1, [3, 3], { strides: [2, 2], padding: [1, 1, 1, 1] });
    const ones = f32(new Array(9).fill(1));
    // Windows centred on (0,0), (0,2), (2,0), (2,2): 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9.
    close(k.conv2dForward(nine, ones, null, g), [12, 16, 24, 28]);
    const { dx, dw, db } = k.conv2dBackward(nine, ones, f32([1, 1, 1, 1]), g);
    // dx counts the windows covering each cell (corners 1, edges 2, centre 4).
    close(dx, [1, 2, 1, 2, 4, 2, 1, 2, 1]);
    // dw[ky][kx] = sum over outputs of x[2 oy - 1 + ky][2 ox - 1 + kx]: valid rows for ky are
    // {1}, {0, 2}, {1}, the same for columns; e.g. dw[1][1] = 1 + 3 + 7 + 9 = 20.
    close(dw, [5, 10, 5, 10, 20, 10, 5, 10, 5]);
    close(db, [4]);
  });

  it('conv x=[3,3,1] f=[2,2,1,1] ones dilation=2: the four corners 1 + 3 + 7 + 9 = 20', () => {
    const y = k.conv2dForward(nine, f32([1, 1, 1, 1]), null, conv([3, 3, 1], 1, [2, 2], { dilation: [2, 2] }));
    close(y, [20]);
  });

  it('maxPool x=[4,4,1] p=2 s=2: [6, 8, 14, 16], dy routed to those cells', () => {
    const x = f32(Array.from({ length: 16 }, (_, i) => i + 1));
    const g = pool([4, 4, 1], [2, 2]);
    close(k.maxPool2dForward(x, g), [6, 8, 14, 16]);
    const dx = k.maxPool2dBackward(x, f32([1, 2, 3, 4]), g);
    const expected = new Array(16).fill(0);
    expected[5] = 1; // 6 is x[1][1]
    expected[7] = 2; // 8 is x[1][3]
    expected[13] = 3; // 14 is x[3][1]
    expected[15] = 4; // 16 is x[3][3]
    close(dx, expected);
  });

  it('maxPool ignores padding: x=-(1..9) [3,3,1] p=2 s=2 pad=[0,1,0,1] gives [-1, -3, -7, -9], not 0', () => {
    const x = f32([-1, -2, -3, -4, -5, -6, -7, -8, -9]);
    close(k.maxPool2dForward(x, pool([3, 3, 1], [2, 2], { padding: [0, 1, 0, 1] })), [-1, -3, -7, -9]);
  });

  it('maxPool ties route dy to the first max in row-major window order', () => {
    // One 2x2 window of equal values: the top-left cell takes it all.
    const dx = k.maxPool2dBackward(f32([7, 7, 7, 7]), f32([5]), pool([2, 2, 1], [2, 2]));
    close(dx, [5, 0, 0, 0]);
  });

  it('avgPool x=1..9 [3,3,1] p=2 s=2 pad=[0,1,0,1] divides by valid cells only', () => {
    const g = pool([3, 3, 1], [2, 2], { padding: [0, 1, 0, 1] });
    // (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1.
    close(k.avgPool2dForward(nine, g), [3, 4.5, 7.5, 9]);
    // Each cell receives 1/count of its window's dy (dy = 1): 1/4 in the full window, 1/2, 1.
    close(k.avgPool2dBackward(nine, f32([1, 1, 1, 1]), g), [0.25, 0.25, 0.5, 0.25, 0.25, 0.5, 0.5, 0.5, 1]);
  });

  it('per-channel pooling: x=[1,2,2] channels are pooled independently', () => {
    // Channel 0: 1, 3, 5, 7; channel 1: 8, 6, 4, 2 (interleaved NHWC).
    const x = f32([1, 8, 3, 6, 5, 4, 7, 2]);
    close(k.maxPool2dForward(x, pool([2, 2, 2], [2, 2])), [7, 8]);
    close(k.avgPool2dForward(x, pool([2, 2, 2], [2, 2])), [4, 5]);
  });
});
