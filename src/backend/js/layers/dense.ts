// Dense layer: y = f(x·W + b), W [inputs x units]. Params [W, b?].
import type { LayerSpec } from '../../types';
import { denseBackwardInto, denseForwardInto } from '../dense';
import { checkActivation } from '../activation';
import { checkInt } from '../check';
import { ActivationStage } from './activationStage';
import { ScratchBuffer } from './buffer';
import type { JsLayer, PassContext } from './types';

type DenseSpec = Extract<LayerSpec, { type: 'dense' }>;

export class DenseLayer implements JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array[];
  readonly grads: Float32Array[];
  readonly state: Float32Array[] = [];
  readonly activation;
  private readonly stage: ActivationStage;
  private readonly preBuf = new ScratchBuffer();
  private readonly dxBuf = new ScratchBuffer();
  private input: Float32Array = new Float32Array(0);

  constructor(spec: DenseSpec) {
    checkInt('dense.inputs', spec.inputs);
    checkInt('dense.units', spec.units);
    checkActivation(spec.activation);
    this.inputSize = spec.inputs;
    this.outputSize = spec.units;
    this.activation = spec.activation;
    this.stage = new ActivationStage(spec.activation, spec.units);
    const w = new Float32Array(spec.inputs * spec.units);
    this.params = spec.useBias ? [w, new Float32Array(spec.units)] : [w];
    this.grads = this.params.map((p) => new Float32Array(p.length));
  }

  forward(x: Float32Array, batch: number, _ctx: PassContext): Float32Array {
    this.input = x;
    const pre = this.preBuf.view(batch * this.outputSize);
    denseForwardInto(x, this.params[0], this.params[1] ?? null, pre, batch, this.inputSize, this.outputSize);
    return this.stage.forward(pre);
  }

  preActivation(): Float32Array {
    return this.stage.preActivation();
  }

  backward(dy: Float32Array, batch: number, fromPre: boolean, needInput: boolean): Float32Array | null {
    const dpre = this.stage.backward(dy, fromPre);
    const dx = needInput ? this.dxBuf.view(batch * this.inputSize) : null;
    denseBackwardInto(this.input, this.params[0], dpre, dx, this.grads[0], this.grads[1] ?? null, batch, this.inputSize, this.outputSize);
    return dx;
  }
}
