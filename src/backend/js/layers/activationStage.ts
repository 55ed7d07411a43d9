// The activation step at the end of dense and conv2d layers: keeps the pre-activation and the
// output, and turns dL/d(output) into dL/d(pre-activation) for the layer's own backward.
import type { ActivationSpec } from '../../types';
import { activationBackwardInto, activationForwardInto } from '../activation';
import { ScratchBuffer } from './buffer';

export class ActivationStage {
  private readonly outBuf = new ScratchBuffer();
  private readonly gradBuf = new ScratchBuffer();
  private pre: Float32Array = new Float32Array(0);
  private out: Float32Array = new Float32Array(0);

  /** `width`: softmax row length (the layer's output size per sample; channels for conv). */
  constructor(
    readonly activation: ActivationSpec,
    private readonly width: number,
  ) {}

  /** Applies the activation to `pre` (kept by reference); linear returns `pre` itself. */
  forward(pre: Float32Array): Float32Array {
    this.pre = pre;
    if (this.activation.kind === 'linear') {
      this.out = pre;
    } else {
      this.out = this.outBuf.view(pre.length);
      activationForwardInto(this.activation, pre, this.out, pre.length, this.width);
    }
    return this.out;
  }

  preActivation(): Float32Array {
    return this.pre;
  }

  /** dL/d(pre-activation) from dL/d(output), or dy itself when it already is that. */
  backward(dy: Float32Array, fromPre: boolean): Float32Array {
    if (fromPre || this.activation.kind === 'linear') return dy;
    const dpre = this.gradBuf.view(dy.length);
    activationBackwardInto(this.activation, this.pre, this.out, dy, dpre, dy.length, this.width);
    return dpre;
  }
}
