// Losses averaged over the batch, and their gradients with respect to `pred` (docs/kernels.md).
import type { FloatArray, LossSpec } from '../types';
import { OxnetError } from '../../errors';
import { alloc, checkInt, checkLength } from './check';
import { sigmoid } from './activation';

const KINDS = new Set(['halfSse', 'mse', 'binaryCrossEntropy', 'softmaxCrossEntropy', 'perceptron']);

export function checkLoss(loss: LossSpec): void {
  if (!loss || !KINDS.has(loss.kind)) {
    throw new OxnetError('E_ARG', `loss.kind must be one of ${[...KINDS].join(', ')}, got '${loss?.kind}'`);
  }
}

/** Writes dL/dpred into grad (batch*width elements) and returns the mean loss. */
export function lossInto(loss: LossSpec, pred: FloatArray, target: FloatArray, grad: FloatArray, batch: number, width: number): number {
  const count = batch * width;
  let total = 0;
  switch (loss.kind) {
    case 'halfSse':
      for (let i = 0; i < count; i++) {
        const d = pred[i] - target[i];
        total += 0.5 * d * d;
        grad[i] = d / batch;
      }
      return total / batch;
    case 'mse': {
      const scale = 2 / count;
      for (let i = 0; i < count; i++) {
        const d = pred[i] - target[i];
        total += d * d;
        grad[i] = d * scale;
      }
      return total / count;
    }
    case 'binaryCrossEntropy':
      for (let i = 0; i < count; i++) {
        const z = pred[i];
        const t = target[i];
        total += Math.max(z, 0) - z * t + Math.log1p(Math.exp(-Math.abs(z)));
        grad[i] = (sigmoid(z) - t) / count;
      }
      return total / count;
    case 'softmaxCrossEntropy':
      for (let row = 0; row < count; row += width) {
        let max = -Infinity;
        for (let k = 0; k < width; k++) if (pred[row + k] > max) max = pred[row + k];
        let sumExp = 0;
        let sumT = 0;
        for (let k = 0; k < width; k++) {
          sumExp += Math.exp(pred[row + k] - max);
          sumT += target[row + k];
        }
        const logSum = max + Math.log(sumExp);
        for (let k = 0; k < width; k++) {
          const t = target[row + k];
          total += t * (logSum - pred[row + k]);
          grad[row + k] = (Math.exp(pred[row + k] - logSum) * sumT - t) / batch;
        }
      }
      return total / batch;
    case 'perceptron':
      for (let i = 0; i < count; i++) {
        const a = pred[i];
        const d = (a >= 0 ? 1 : 0) - target[i];
        total += a * d;
        grad[i] = d / batch;
      }
      return total / batch;
  }
}

export function loss<T extends FloatArray>(spec: LossSpec, pred: T, target: T, batch: number, width: number): { loss: number; grad: T } {
  checkLoss(spec);
  checkInt('batch', batch);
  checkInt('width', width);
  checkLength('pred', pred, batch * width, `batch*width = ${batch}*${width}`);
  checkLength('target', target, batch * width, `batch*width = ${batch}*${width}`);
  const grad = alloc(pred, batch * width);
  return { loss: lossInto(spec, pred, target, grad, batch, width), grad };
}
