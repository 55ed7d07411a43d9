// Activations and their derivatives (docs/kernels.md): element-wise, softmax per row of `width`.
import type { ActivationSpec, FloatArray } from '../types';
import { OxnetError } from '../../errors';
import { alloc, checkInt, checkLength } from './check';

const KINDS = new Set(['linear', 'step', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'softmax']);

/** Throws E_ARG for an unknown kind or a non-finite beta / alpha. */
export function checkActivation(act: ActivationSpec): void {
  if (!act || !KINDS.has(act.kind)) {
    throw new OxnetError('E_ARG', `activation.kind must be one of ${[...KINDS].join(', ')}, got '${act?.kind}'`);
  }
  if (act.beta !== undefined && !Number.isFinite(act.beta)) {
    throw new OxnetError('E_ARG', `activation.beta must be finite, got ${act.beta}`);
  }
  if (act.alpha !== undefined && !Number.isFinite(act.alpha)) {
    throw new OxnetError('E_ARG', `activation.alpha must be finite, got ${act.alpha}`);
  }
}

/** Stable logistic of z: never evaluates exp of a large positive number. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** y = f(x) over the first `count` elements (count a multiple of width for softmax). */
export function activationForwardInto(act: ActivationSpec, x: FloatArray, y: FloatArray, count: number, width: number): void {
  switch (act.kind) {
    case 'linear':
      if (x !== y) for (let i = 0; i < count; i++) y[i] = x[i];
      return;
    case 'step':
      for (let i = 0; i < count; i++) y[i] = x[i] >= 0 ? 1 : 0;
      return;
    case 'sigmoid': {
      const beta = act.beta ?? 1;
      for (let i = 0; i < count; i++) y[i] = sigmoid(beta * x[i]);
      return;
    }
    case 'tanh':
      for (let i = 0; i < count; i++) y[i] = Math.tanh(x[i]);
      return;
    case 'relu':
      for (let i = 0; i < count; i++) y[i] = Math.max(x[i], 0);
      return;
    case 'leakyRelu': {
      const alpha = act.alpha ?? 0.01;
      for (let i = 0; i < count; i++) y[i] = x[i] > 0 ? x[i] : alpha * x[i];
      return;
    }
    case 'softmax':
      for (let row = 0; row < count; row += width) softmaxRow(x, y, row, width);
      return;
  }
}

/** y[row..row+width) = softmax of x's row, shifted by its max. */
export function softmaxRow(x: FloatArray, y: FloatArray, row: number, width: number): void {
  let max = -Infinity;
  for (let k = 0; k < width; k++) if (x[row + k] > max) max = x[row + k];
  let sum = 0;
  for (let k = 0; k < width; k++) {
    const e = Math.exp(x[row + k] - max);
    y[row + k] = e;
    sum += e;
  }
  for (let k = 0; k < width; k++) y[row + k] /= sum;
}

/** dx = dL/dx from y = f(x) and dy = dL/dy (dx may alias dy). */
export function activationBackwardInto(act: ActivationSpec, x: FloatArray, y: FloatArray, dy: FloatArray, dx: FloatArray, count: number, width: number): void {
  switch (act.kind) {
    case 'linear':
      if (dx !== dy) for (let i = 0; i < count; i++) dx[i] = dy[i];
      return;
    case 'step':
      dx.fill(0, 0, count);
      return;
    case 'sigmoid': {
      const beta = act.beta ?? 1;
      for (let i = 0; i < count; i++) dx[i] = dy[i] * beta * y[i] * (1 - y[i]);
      return;
    }
    case 'tanh':
      for (let i = 0; i < count; i++) dx[i] = dy[i] * (1 - y[i] * y[i]);
      return;
    case 'relu':
      for (let i = 0; i < count; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
      return;
    case 'leakyRelu': {
      const alpha = act.alpha ?? 0.01;
      for (let i = 0; i < count; i++) dx[i] = x[i] > 0 ? dy[i] : alpha * dy[i];
      return;
    }
    case 'softmax':
      for (let row = 0; row < count; row += width) {
        let dot = 0;
        for (let k = 0; k < width; k++) dot += y[row + k] * dy[row + k];
        for (let k = 0; k < width; k++) dx[row + k] = y[row + k] * (dy[row + k] - dot);
      }
      return;
  }
}

function checkWidth(x: FloatArray, width: number): void {
  checkInt('width', width);
  if (x.length % width !== 0) {
    throw new OxnetError('E_SHAPE', `x length ${x.length} is not a multiple of width ${width}`);
  }
}

export function activationForward<T extends FloatArray>(act: ActivationSpec, x: T, width: number): T {
  checkActivation(act);
  checkWidth(x, width);
  const y = alloc(x, x.length);
  activationForwardInto(act, x, y, x.length, width);
  return y;
}

export function activationBackward<T extends FloatArray>(act: ActivationSpec, x: T, y: T, dy: T, width: number): T {
  checkActivation(act);
  checkWidth(x, width);
  checkLength('y', y, x.length, 'x.length');
  checkLength('dy', dy, x.length, 'x.length');
  const dx = alloc(x, x.length);
  activationBackwardInto(act, x, y, dy, dx, x.length, width);
  return dx;
}
