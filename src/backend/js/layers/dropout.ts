// Inverted dropout: active in training only, mask drawn per docs/kernels.md from the network seed,
// the global step and this layer's index, so both backends drop the same elements.
import type { LayerSpec } from '../../types';
import { checkInt } from '../check';
import { checkDropoutRate, dropoutBackward, dropoutForward } from '../norm';
import { dropoutSeed } from '../rng';
import { Workspace } from '../workspace';
import type { JsLayer, LayerContext, PassContext } from './types';

type DropoutSpec = Extract<LayerSpec, { type: 'dropout' }>;

export class DropoutLayer implements JsLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly params: Float32Array[] = [];
  readonly grads: Float32Array[] = [];
  readonly state: Float32Array[] = [];
  readonly activation = null;
  private readonly rate: number;
  private readonly seed: number;
  private readonly index: number;
  /** Keep flags of the last training forward, or null when it ran in inference (identity). */
  private keep: Uint8Array | null = null;
  private output: Float32Array = new Float32Array(0);
  /** Kernel outputs and scratch, reused from batch to batch. */
  private readonly ws = new Workspace();

  constructor(spec: DropoutSpec, ctx: LayerContext) {
    checkInt('dropout.size', spec.size);
    checkDropoutRate(spec.rate);
    this.inputSize = spec.size;
    this.outputSize = spec.size;
    this.rate = spec.rate;
    this.seed = ctx.network.seed;
    this.index = ctx.index;
  }

  forward(x: Float32Array, _batch: number, ctx: PassContext): Float32Array {
    if (!ctx.training || this.rate === 0) {
      this.keep = null;
      this.output = x;
      return x;
    }
    const { y, keep } = dropoutForward(x, this.rate, dropoutSeed(this.seed, ctx.step, this.index), this.ws);
    this.keep = keep;
    this.output = y;
    return y;
  }

  preActivation(): Float32Array {
    return this.output;
  }

  backward(dy: Float32Array, _batch: number, _fromPre: boolean, needInput: boolean): Float32Array | null {
    if (!needInput) return null;
    return this.keep === null ? dy : dropoutBackward(dy, this.keep, this.rate, this.ws);
  }
}
