// What a model is, for the report's test section: a classifier (a classification loss, or the
// accuracy / misclassified metric asked for, as the course's XOR with mse does), an autoencoder
// (not a classifier, its output the size of its input, and either shaped like it or trained to
// give the input back), or a regressor.
import type { Compiled } from '../model/compile';
import { isClassificationLoss } from '../model/compile';

export type ReportKind = 'classifier' | 'regressor' | 'autoencoder';

export interface KindFacts {
  compiled: Compiled;
  inputShape: number[];
  outputShape: number[];
  /** The prepared test inputs and targets, when there is a test set. */
  test?: { x: Float32Array; y: Float32Array };
}

export function modelKind(f: KindFacts): ReportKind {
  const loss = f.compiled.losses[0];
  const metrics = f.compiled.metrics[0];
  if (isClassificationLoss(loss) || metrics.has('acc') || metrics.has('misclassified')) return 'classifier';
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  if (size(f.inputShape) !== size(f.outputShape)) return 'regressor';
  const sameShape = f.inputShape.length > 1 && f.inputShape.join(',') === f.outputShape.join(',');
  return sameShape || (f.test !== undefined && sameValues(f.test.x, f.test.y)) ? 'autoencoder' : 'regressor';
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length || a.length === 0) return false;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > 1e-6 * (1 + Math.abs(a[i]))) return false;
  return true;
}
