// Max and average pooling layers (no parameters, no activation).
import type { LayerSpec, Pool2dGeometry } from '../../types';
import { avgPool2dBackward, avgPool2dForward, maxPool2dBackward, maxPool2dForward, planPool2d } from '../pool';
import { Workspace } from '../workspace';
import type { JsLayer, PassContext } from './types';

type Pool2dSpec = Extract<LayerSpec, { type: 'maxPool2d' | 'avgPool2d' }>;

export class Pool2dLayer implements JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array[] = [];
  readonly grads: Float32Array[] = [];
  readonly state: Float32Array[] = [];
  readonly activation = null;
  private readonly geometry: Pool2dGeometry;
  private readonly isMax: boolean;
  private input: Float32Array = new Float32Array(0);
  private output: Float32Array = new Float32Array(0);
  /** Kernel outputs and scratch, reused from batch to batch. */
  private readonly ws = new Workspace();

  constructor(spec: Pool2dSpec) {
    this.geometry = { batch: 1, inShape: spec.inShape, pool: spec.pool, strides: spec.strides, padding: spec.padding };
    const plan = planPool2d(this.geometry);
    this.inputSize = plan.xCount;
    this.outputSize = plan.yCount;
    this.isMax = spec.type === 'maxPool2d';
  }

  forward(x: Float32Array, batch: number, _ctx: PassContext): Float32Array {
    this.input = x;
    const g = { ...this.geometry, batch };
    this.output = this.isMax ? maxPool2dForward(x, g, this.ws) : avgPool2dForward(x, g, this.ws);
    return this.output;
  }

  preActivation(): Float32Array {
    return this.output;
  }

  backward(dy: Float32Array, batch: number, _fromPre: boolean, needInput: boolean): Float32Array | null {
    if (!needInput) return null;
    const g = { ...this.geometry, batch };
    return this.isMax ? maxPool2dBackward(this.input, dy, g, this.ws) : avgPool2dBackward(this.input, dy, g, this.ws);
  }
}
