// Row-major matrix products, the inner loops of dense layers. Loop orders keep the innermost
// loop on contiguous memory of both operands (i-k-j for A·B). Speed: the k loop is unrolled by
// four and two rows of C are computed together, so each element of B loaded serves eight
// multiply-adds and each pass over a row of C covers four rows of B (about 2x over plain i-k-j).
import type { FloatArray } from '../types';
import { alloc, checkInt, checkLength } from './check';

/** C[m x n] (+)= A[m x k] · B[k x n]. Overwrites C unless `accumulate`. */
export function gemmInto(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number, accumulate: boolean): void {
  if (!accumulate) c.fill(0, 0, m * n);
  const k4 = k - (k % 4);
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const aR = i * k;
    const aS = aR + k;
    const cR = i * n;
    const cS = cR + n;
    let p = 0;
    for (; p < k4; p += 4) {
      const r0 = a[aR + p],
        r1 = a[aR + p + 1],
        r2 = a[aR + p + 2],
        r3 = a[aR + p + 3];
      const s0 = a[aS + p],
        s1 = a[aS + p + 1],
        s2 = a[aS + p + 2],
        s3 = a[aS + p + 3];
      const b0 = p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        const x0 = b[b0 + j],
          x1 = b[b1 + j],
          x2 = b[b2 + j],
          x3 = b[b3 + j];
        c[cR + j] += r0 * x0 + r1 * x1 + r2 * x2 + r3 * x3;
        c[cS + j] += s0 * x0 + s1 * x1 + s2 * x2 + s3 * x3;
      }
    }
    for (; p < k; p++) {
      const r = a[aR + p];
      const q = a[aS + p];
      const bRow = p * n;
      for (let j = 0; j < n; j++) {
        const x = b[bRow + j];
        c[cR + j] += r * x;
        c[cS + j] += q * x;
      }
    }
  }
  if (i < m) gemmRowInto(a, b, c, i, k, n);
}

/** The last odd row of gemmInto: C[i, :] += A[i, :] · B. */
function gemmRowInto(a: FloatArray, b: FloatArray, c: FloatArray, i: number, k: number, n: number): void {
  const aRow = i * k;
  const cRow = i * n;
  for (let p = 0; p < k; p++) {
    const ap = a[aRow + p];
    const bRow = p * n;
    for (let j = 0; j < n; j++) c[cRow + j] += ap * b[bRow + j];
  }
}

/** C[m x n] = A[m x k] · B^T where B is [n x k]: dot products of contiguous rows. */
export function gemmNTInto(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number): void {
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    for (let j = 0; j < n; j++) {
      const bRow = j * k;
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[aRow + p] * b[bRow + p];
      c[i * n + j] = sum;
    }
  }
}

/**
 * C[m x n] = A^T · B where A is [k x m] and B is [k x n]: rank-four updates (four rows of A and
 * B per pass over C, the large operand here: dW of a dense layer), two rows of C at a time.
 */
export function gemmTNInto(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  const k4 = k - (k % 4);
  let p = 0;
  for (; p < k4; p += 4) {
    const a0 = p * m;
    const a1 = a0 + m;
    const a2 = a1 + m;
    const a3 = a2 + m;
    const b0 = p * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    let i = 0;
    for (; i + 1 < m; i += 2) {
      const r0 = a[a0 + i],
        r1 = a[a1 + i],
        r2 = a[a2 + i],
        r3 = a[a3 + i];
      const s0 = a[a0 + i + 1],
        s1 = a[a1 + i + 1],
        s2 = a[a2 + i + 1],
        s3 = a[a3 + i + 1];
      const cR = i * n;
      const cS = cR + n;
      for (let j = 0; j < n; j++) {
        const x0 = b[b0 + j],
          x1 = b[b1 + j],
          x2 = b[b2 + j],
          x3 = b[b3 + j];
        c[cR + j] += r0 * x0 + r1 * x1 + r2 * x2 + r3 * x3;
        c[cS + j] += s0 * x0 + s1 * x1 + s2 * x2 + s3 * x3;
      }
    }
    if (i < m) {
      const r0 = a[a0 + i],
        r1 = a[a1 + i],
        r2 = a[a2 + i],
        r3 = a[a3 + i];
      const cR = i * n;
      for (let j = 0; j < n; j++) c[cR + j] += r0 * b[b0 + j] + r1 * b[b1 + j] + r2 * b[b2 + j] + r3 * b[b3 + j];
    }
  }
  for (; p < k; p++) {
    const aRow = p * m;
    const bRow = p * n;
    for (let i = 0; i < m; i++) {
      const api = a[aRow + i];
      const cRow = i * n;
      for (let j = 0; j < n; j++) c[cRow + j] += api * b[bRow + j];
    }
  }
}

/** The backend's matmul: validates, allocates C of A's element type. */
export function matmul<T extends FloatArray>(a: T, b: T, m: number, k: number, n: number): T {
  checkInt('m', m);
  checkInt('k', k);
  checkInt('n', n);
  checkLength('a', a, m * k, `m*k = ${m}*${k}`);
  checkLength('b', b, k * n, `k*n = ${k}*${n}`);
  const c = alloc(a, m * n);
  gemmInto(a, b, c, m, k, n, false);
  return c;
}
