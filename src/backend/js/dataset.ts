// A data set copied once into the js backend, so later changes to the caller's arrays do not leak
// in: rows of every model input and every target; a target that is one of the inputs (the same
// array object, as an autoencoder's) is held once.
import { OxnetError } from '../../errors';
import type { Dataset } from '../types';
import { checkInt } from './check';

export class JsDataset implements Dataset {
  readonly inputSizes: number[];
  readonly targetSizes: number[];
  readonly inputs: Float32Array[];
  readonly targets: Float32Array[];

  constructor(
    inputs: Float32Array[],
    targets: Float32Array[],
    readonly count: number,
  ) {
    checkInt('count', count);
    const rows = (name: string, a: unknown) => {
      if (!(a instanceof Float32Array)) throw new OxnetError('E_ARG', `createDataset: ${name} must be a Float32Array, got ${a === null ? 'null' : typeof a}`);
      if (a.length === 0 || a.length % count !== 0) {
        throw new OxnetError('E_SHAPE', `createDataset: ${name} has ${a.length} floats, expected a non-empty multiple of count = ${count}`);
      }
      return a.length / count;
    };
    if (!Array.isArray(inputs) || !Array.isArray(targets) || inputs.length === 0 || targets.length === 0) {
      throw new OxnetError('E_SHAPE', 'createDataset: needs arrays of at least one input and one target');
    }
    this.inputSizes = inputs.map((x, i) => rows(`inputs[${i}]`, x));
    this.targetSizes = targets.map((t, o) => rows(`targets[${o}]`, t));
    this.inputs = inputs.map((x) => Float32Array.from(x));
    this.targets = targets.map((t) => {
      const i = inputs.indexOf(t);
      return i >= 0 ? this.inputs[i] : Float32Array.from(t);
    });
  }
}

export function createDataset(inputs: Float32Array[], targets: Float32Array[], count: number): Dataset {
  return new JsDataset(inputs, targets, count);
}
