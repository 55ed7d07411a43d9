// Flatten / reshape: the flat NHWC buffer is already in order, so data passes through untouched.
import type { LayerSpec } from '../../types';
import { checkInt } from '../check';
import type { JsLayer, PassContext } from './types';

type ReshapeSpec = Extract<LayerSpec, { type: 'reshape' }>;

export class ReshapeLayer implements JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array[] = [];
  readonly grads: Float32Array[] = [];
  readonly state: Float32Array[] = [];
  readonly activation = null;
  private output: Float32Array = new Float32Array(0);

  constructor(spec: ReshapeSpec) {
    checkInt('reshape.size', spec.size);
    this.inputSize = spec.size;
    this.outputSize = spec.size;
  }

  forward(x: Float32Array, _batch: number, _ctx: PassContext): Float32Array {
    this.output = x;
    return x;
  }

  preActivation(): Float32Array {
    return this.output;
  }

  backward(dy: Float32Array, _batch: number, _fromPre: boolean, needInput: boolean): Float32Array | null {
    return needInput ? dy : null;
  }
}
