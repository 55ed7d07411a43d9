// A standalone activation layer (no parameters): y = f(x), softmax over each sample.
import type { LayerSpec } from '../../types';
import { checkActivation } from '../activation';
import { checkInt } from '../check';
import { ActivationStage } from './activationStage';
import type { JsLayer, PassContext } from './types';

type ActivationLayerSpec = Extract<LayerSpec, { type: 'activation' }>;

export class ActivationLayer implements JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array[] = [];
  readonly grads: Float32Array[] = [];
  readonly state: Float32Array[] = [];
  readonly activation;
  private readonly stage: ActivationStage;

  constructor(spec: ActivationLayerSpec) {
    checkInt('activation.size', spec.size);
    checkActivation(spec.activation);
    this.inputSize = spec.size;
    this.outputSize = spec.size;
    this.activation = spec.activation;
    this.stage = new ActivationStage(spec.activation, spec.size);
  }

  forward(x: Float32Array, _batch: number, _ctx: PassContext): Float32Array {
    return this.stage.forward(x);
  }

  preActivation(): Float32Array {
    return this.stage.preActivation();
  }

  backward(dy: Float32Array, _batch: number, fromPre: boolean, needInput: boolean): Float32Array | null {
    return needInput ? this.stage.backward(dy, fromPre) : null;
  }
}
