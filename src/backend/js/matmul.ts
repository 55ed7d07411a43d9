// Row-major matrix products, the inner loops of dense layers. Loop orders keep the innermost
// loop on contiguous memory of both operands (i-k-j for A·B), and the k loop is unrolled by four
// so each pass over a row of C reads and writes it once for four rows of B.
import type { FloatArray } from '../types';
import { alloc, checkInt, checkLength } from './check';

/** C[m x n] (+)= A[m x k] · B[k x n]. Overwrites C unless `accumulate`. */
export function gemmInto(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number, accumulate: boolean): void {
  if (!accumulate) c.fill(0, 0, m * n);
  const k4 = k - (k % 4);
  for (let i = 0; i < m; i++) {
    const aRow = i * k;
    const cRow = i * n;
    let p = 0;
    for (; p < k4; p += 4) {
      const a0 = a[aRow + p];
      const a1 = a[aRow + p + 1];
      const a2 = a[aRow + p + 2];
      const a3 = a[aRow + p + 3];
      const b0 = p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        c[cRow + j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
      }
    }
    for (; p < k; p++) {
      const ap = a[aRow + p];
      const bRow = p * n;
      for (let j = 0; j < n; j++) c[cRow + j] += ap * b[bRow + j];
    }
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
 * C[m x n] = A^T · B where A is [k x m] and B is [k x n]: rank-one updates, four rows of A and B
 * per pass over C (C is the large operand here: dW of a dense layer).
 */
export function gemmTNInto(a: FloatArray, b: FloatArray, c: FloatArray, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  const k4 = k - (k % 4);
  let p = 0;
  for (; p < k4; p += 4) {
    const a0 = p * m;
    const b0 = p * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    for (let i = 0; i < m; i++) {
      const x0 = a[a0 + i];
      const x1 = a[a0 + m + i];
      const x2 = a[a0 + 2 * m + i];
      const x3 = a[a0 + 3 * m + i];
      const cRow = i * n;
      for (let j = 0; j < n; j++) c[cRow + j] += x0 * b[b0 + j] + x1 * b[b1 + j] + x2 * b[b2 + j] + x3 * b[b3 + j];
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
