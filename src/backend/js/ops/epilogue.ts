// The activation after a linear kernel (conv2dTranspose, depthwiseConv2d), as the dense and conv2d
// ops do it inline: forward keeps the pre-activation when the activation is not linear (a
// from-logits loss reads it), backward turns dL/dy into dL/d(pre-activation) unless it already is.
import type { ActivationSpec, FloatArray } from '../../spec';
import { activationBackwardInto, activationForwardInto, checkActivation } from '../activation';
import { alloc } from '../check';

export class Epilogue {
  private readonly linear: boolean;
  private pre: FloatArray = new Float32Array(0);
  private dpre: FloatArray = new Float32Array(0);

  /** `width`: the channels of a pixel (softmax runs over them). */
  constructor(
    private readonly act: ActivationSpec,
    private readonly width: number,
  ) {
    checkActivation(act);
    this.linear = act.kind === 'linear';
  }

  /** out = f(z); z (as long as out) is the pre-activation, kept for backward. */
  forward(z: FloatArray, out: FloatArray): void {
    if (this.linear) {
      out.set(z);
      return;
    }
    if (this.pre.length < out.length || this.pre.constructor !== out.constructor) this.pre = alloc(out, out.length);
    this.pre.set(z.subarray(0, out.length));
    activationForwardInto(this.act, z, out, out.length, this.width);
  }

  /** The pre-activation of the last forward (y itself when linear). */
  preActivation(out: FloatArray): FloatArray {
    return this.linear ? out : this.pre.subarray(0, out.length);
  }

  /** dL/d(pre-activation) for dout = dL/dy (or dL/d(pre-activation) already, when fromPre). */
  backward(out: FloatArray, dout: FloatArray, fromPre: boolean): FloatArray {
    if (this.linear || fromPre) return dout;
    if (this.dpre.length < dout.length || this.dpre.constructor !== dout.constructor) this.dpre = alloc(dout, dout.length);
    const d = this.dpre.subarray(0, dout.length);
    activationBackwardInto(this.act, this.pre.subarray(0, out.length), out, dout, d, dout.length, this.width);
    return d;
  }
}
