// What evaluate() reports: each output's loss (the executor's, the one training minimizes),
// accuracy, misclassified count and MSE over the samples, and the weighted total loss.
import type { EvalStats } from '../backend/types';
import type { GraphOutput } from '../graph/graph';

export interface OutputEval {
  loss: number;
  /** Fraction of samples whose predicted class matched (argmax, or >= 0.5 for one output). */
  accuracy: number;
  /** The course's E(X): number of samples classified wrong. */
  misclassified: number;
  /** Mean over samples and outputs of (y - t)^2. */
  mse: number;
  count: number;
}

/** One output's figures (a single-output model), with `loss` the total Σ lossWeights · loss; `outputs` by name. */
export interface EvalResult extends OutputEval {
  outputs: Record<string, OutputEval>;
}

export function evalResult(s: EvalStats, weights: number[], outputs: GraphOutput[]): EvalResult {
  const n = s.count;
  const per = outputs.map((o, i) => ({
    loss: n ? s.lossSums[i] / n : NaN,
    accuracy: n ? s.correct[i] / n : NaN,
    misclassified: n - s.correct[i],
    mse: n ? s.sqErr[i] / (n * o.size) : NaN,
    count: n,
  }));
  const total = per.reduce((a, p, i) => a + weights[i] * p.loss, 0);
  return { ...per[0], loss: total, outputs: Object.fromEntries(outputs.map((o, i) => [o.name, per[i]])) };
}

/** argmax of row s (width > 1), or 1/0 for output >= 0.5 (width 1), as docs/kernels.md counts `correct`. */
export function predictedClass(y: ArrayLike<number>, s: number, width: number): number {
  if (width === 1) return y[s] >= 0.5 ? 1 : 0;
  let best = 0;
  for (let k = 1; k < width; k++) if (y[s * width + k] > y[s * width + best]) best = k;
  return best;
}
