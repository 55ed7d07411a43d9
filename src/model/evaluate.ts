// Loss and metrics of a model's outputs, computed with the backend's own loss kernel so evaluate()
// reports the number training minimizes. The from-logits losses need the last pre-activation:
// the model runs a twin network whose last activation is linear (see Sequential.logits).
import type { ActivationSpec, Backend, LossKind } from '../backend/types';

export interface EvalResult {
  loss: number;
  /** Fraction of samples whose predicted class matched (argmax, or >= 0.5 for one output). */
  accuracy: number;
  /** The course's E(X): number of samples classified wrong. */
  misclassified: number;
  /** Mean over samples and outputs of (y - t)^2. */
  mse: number;
  count: number;
}

export class EvalAccumulator {
  private lossSum = 0;
  private correct = 0;
  private sqSum = 0;
  private count = 0;

  constructor(
    private readonly be: Backend,
    private readonly loss: LossKind,
    private readonly last: ActivationSpec | undefined,
    private readonly width: number,
  ) {}

  /** Adds n samples: `z` the last pre-activation (or the output when the last layer has no activation). */
  add(z: Float32Array, target: Float32Array, n: number): void {
    if (n === 0) return;
    const w = this.width;
    const y = this.last && this.last.kind !== 'linear' ? this.be.activationForward(this.last, z, w) : z;
    let lossInput = y;
    if (this.loss === 'softmaxCrossEntropy' || this.loss === 'perceptron') lossInput = z;
    if (this.loss === 'binaryCrossEntropy') {
      const beta = this.last?.kind === 'sigmoid' ? (this.last.beta ?? 1) : 1;
      lossInput = beta === 1 ? z : z.map((v) => v * beta);
    }
    this.lossSum += this.be.loss({ kind: this.loss }, lossInput, target, n, w).loss * n;
    for (let s = 0; s < n; s++) {
      if (predictedClass(y, s, w) === predictedClass(target, s, w)) this.correct++;
      for (let k = 0; k < w; k++) this.sqSum += (y[s * w + k] - target[s * w + k]) ** 2;
    }
    this.count += n;
  }

  result(): EvalResult {
    const n = this.count;
    return {
      loss: n ? this.lossSum / n : NaN,
      accuracy: n ? this.correct / n : NaN,
      misclassified: n - this.correct,
      mse: n ? this.sqSum / (n * this.width) : NaN,
      count: n,
    };
  }
}

/** argmax of row s (width > 1), or 1/0 for output >= 0.5 (width 1), as docs/kernels.md counts `correct`. */
export function predictedClass(y: ArrayLike<number>, s: number, width: number): number {
  if (width === 1) return y[s] >= 0.5 ? 1 : 0;
  let best = 0;
  for (let k = 1; k < width; k++) if (y[s * width + k] > y[s * width + best]) best = k;
  return best;
}
