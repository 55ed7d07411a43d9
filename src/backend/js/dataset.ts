// A data set copied once into the js backend, so later changes to the caller's arrays do not leak in.
import type { Dataset } from '../types';
import { OxnetError } from '../../errors';
import { checkInt } from './check';

export class JsDataset implements Dataset {
  readonly inputSize: number;
  readonly targetSize: number;
  readonly x: Float32Array;
  readonly y: Float32Array;

  constructor(
    x: Float32Array,
    y: Float32Array,
    readonly count: number,
  ) {
    checkInt('count', count);
    if (x.length === 0 || x.length % count !== 0) {
      throw new OxnetError('E_SHAPE', `x length ${x.length} must be a positive multiple of count ${count}`);
    }
    if (y.length === 0 || y.length % count !== 0) {
      throw new OxnetError('E_SHAPE', `y length ${y.length} must be a positive multiple of count ${count}`);
    }
    this.inputSize = x.length / count;
    this.targetSize = y.length / count;
    this.x = Float32Array.from(x);
    this.y = Float32Array.from(y);
  }
}

export function createDataset(x: Float32Array, y: Float32Array, count: number): Dataset {
  return new JsDataset(x, y, count);
}
