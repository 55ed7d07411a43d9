// Conv2d layer: y = f(conv(x, K) + b), NHWC in and out, K [kh, kw, cin, filters]. Params [K, b?].
import type { Conv2dGeometry, LayerSpec } from '../../types';
import { checkActivation } from '../activation';
import { conv2dForward, conv2dGrads, planConv2d } from '../conv';
import { Workspace } from '../workspace';
import { ActivationStage } from './activationStage';
import type { JsLayer, PassContext } from './types';

type Conv2dSpec = Extract<LayerSpec, { type: 'conv2d' }>;

export class Conv2dLayer implements JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array[];
  readonly grads: Float32Array[];
  readonly state: Float32Array[] = [];
  readonly activation;
  private readonly stage: ActivationStage;
  private readonly geometry: Conv2dGeometry;
  private input: Float32Array = new Float32Array(0);
  /** Kernel outputs and scratch, reused from batch to batch. */
  private readonly ws = new Workspace();

  constructor(spec: Conv2dSpec) {
    checkActivation(spec.activation);
    this.geometry = {
      batch: 1,
      inShape: spec.inShape,
      filters: spec.filters,
      kernel: spec.kernel,
      strides: spec.strides,
      padding: spec.padding,
      dilation: spec.dilation,
    };
    const plan = planConv2d(this.geometry); // refuses a bad geometry when the network is built
    this.inputSize = plan.xCount;
    this.outputSize = plan.yCount;
    this.activation = spec.activation;
    // Softmax, if asked for, runs over the filters of each pixel.
    this.stage = new ActivationStage(spec.activation, spec.filters);
    const kernel = new Float32Array(plan.wCount);
    this.params = spec.useBias ? [kernel, new Float32Array(spec.filters)] : [kernel];
    this.grads = this.params.map((p) => new Float32Array(p.length));
  }

  forward(x: Float32Array, batch: number, _ctx: PassContext): Float32Array {
    this.input = x;
    const pre = conv2dForward(x, this.params[0], this.params[1] ?? null, { ...this.geometry, batch }, this.ws);
    return this.stage.forward(pre);
  }

  preActivation(): Float32Array {
    return this.stage.preActivation();
  }

  backward(dy: Float32Array, batch: number, fromPre: boolean, needInput: boolean): Float32Array | null {
    const dpre = this.stage.backward(dy, fromPre);
    const { dx, dw, db } = conv2dGrads(this.input, this.params[0], dpre, { ...this.geometry, batch }, needInput, this.ws);
    this.grads[0].set(dw);
    if (this.grads.length > 1) this.grads[1].set(db);
    return dx;
  }
}
