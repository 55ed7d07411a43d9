// Global average pooling: [h, w, c] -> [c], the mean of each channel over all positions.
import type { LayerSpec } from '../../types';
import { globalAvgPool2dBackward, globalAvgPool2dForward, planGlobalPool } from '../pool';
import { Workspace } from '../workspace';
import type { JsLayer, PassContext } from './types';

type GlobalPoolSpec = Extract<LayerSpec, { type: 'globalAvgPool2d' }>;

export class GlobalAvgPool2dLayer implements JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array[] = [];
  readonly grads: Float32Array[] = [];
  readonly state: Float32Array[] = [];
  readonly activation = null;
  private readonly inShape: [number, number, number];
  private output: Float32Array = new Float32Array(0);
  /** Kernel outputs and scratch, reused from batch to batch. */
  private readonly ws = new Workspace();

  constructor(spec: GlobalPoolSpec) {
    this.inShape = spec.inShape;
    this.inputSize = planGlobalPool(1, spec.inShape).count;
    this.outputSize = spec.inShape[2];
  }

  forward(x: Float32Array, batch: number, _ctx: PassContext): Float32Array {
    this.output = globalAvgPool2dForward(x, batch, this.inShape, this.ws);
    return this.output;
  }

  preActivation(): Float32Array {
    return this.output;
  }

  backward(dy: Float32Array, batch: number, _fromPre: boolean, needInput: boolean): Float32Array | null {
    return needInput ? globalAvgPool2dBackward(dy, batch, this.inShape, this.ws) : null;
  }
}
