// Dense (fully connected) kernels: y = x·W + b with W [inputs x units] (docs/kernels.md).
import type { DenseGrads, FloatArray } from '../types';
import { alloc, checkInt, checkLength } from './check';
import { gemmInto, gemmNTInto, gemmTNInto } from './matmul';

/** y[batch x units] = x·W + b, written into y. */
export function denseForwardInto(x: FloatArray, w: FloatArray, b: FloatArray | null, y: FloatArray, batch: number, inputs: number, units: number): void {
  if (b) {
    for (let r = 0; r < batch; r++) y.set(b, r * units);
  }
  gemmInto(x, w, y, batch, inputs, units, b !== null);
}

/** dx = dy·W^T, dW = x^T·dy, db = column sums of dy (no 1/n: the loss gradient has it). */
export function denseBackwardInto(
  x: FloatArray,
  w: FloatArray,
  dy: FloatArray,
  dx: FloatArray | null,
  dw: FloatArray,
  db: FloatArray | null,
  batch: number,
  inputs: number,
  units: number,
): void {
  if (dx) gemmNTInto(dy, w, dx, batch, units, inputs);
  gemmTNInto(x, dy, dw, inputs, batch, units);
  if (db) biasGradInto(dy, db, batch, units);
}

/** db = column sums of dy [batch x units], overwritten. */
export function biasGradInto(dy: FloatArray, db: FloatArray, batch: number, units: number): void {
  db.fill(0, 0, units);
  for (let r = 0; r < batch; r++) {
    const row = r * units;
    for (let j = 0; j < units; j++) db[j] += dy[row + j];
  }
}

function checkDims(batch: number, inputs: number, units: number): void {
  checkInt('batch', batch);
  checkInt('inputs', inputs);
  checkInt('units', units);
}

export function denseForward<T extends FloatArray>(x: T, w: T, b: T | null, batch: number, inputs: number, units: number): T {
  checkDims(batch, inputs, units);
  checkLength('x', x, batch * inputs, `batch*inputs = ${batch}*${inputs}`);
  checkLength('w', w, inputs * units, `inputs*units = ${inputs}*${units}`);
  if (b) checkLength('b', b, units, 'units');
  const y = alloc(x, batch * units);
  denseForwardInto(x, w, b, y, batch, inputs, units);
  return y;
}

export function denseBackward<T extends FloatArray>(x: T, w: T, dy: T, batch: number, inputs: number, units: number): DenseGrads<T> {
  checkDims(batch, inputs, units);
  checkLength('x', x, batch * inputs, `batch*inputs = ${batch}*${inputs}`);
  checkLength('w', w, inputs * units, `inputs*units = ${inputs}*${units}`);
  checkLength('dy', dy, batch * units, `batch*units = ${batch}*${units}`);
  const dx = alloc(x, batch * inputs);
  const dw = alloc(x, inputs * units);
  const db = alloc(x, units);
  denseBackwardInto(x, w, dy, dx, dw, db, batch, inputs, units);
  return { dx, dw, db };
}
