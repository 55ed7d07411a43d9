// compile()'s arguments as users write them -> the backend's LossSpec and OptimizerSpec, and the
// loss/last-activation pairing rules of docs/kernels.md.
import type { ActivationSpec, LossKind, OptimizerSpec } from '../backend/types';
import { OxnetError, showValue } from '../errors';

export type LossName = LossKind | 'meanSquaredError' | 'binaryCrossentropy' | 'categoricalCrossentropy' | 'sse';

const LOSS_ALIASES: Record<LossName, LossKind> = {
  halfSse: 'halfSse',
  sse: 'halfSse',
  mse: 'mse',
  meanSquaredError: 'mse',
  binaryCrossEntropy: 'binaryCrossEntropy',
  binaryCrossentropy: 'binaryCrossEntropy',
  softmaxCrossEntropy: 'softmaxCrossEntropy',
  categoricalCrossentropy: 'softmaxCrossEntropy',
  perceptron: 'perceptron',
};

export function resolveLoss(loss: unknown): LossKind {
  if (typeof loss === 'string' && Object.hasOwn(LOSS_ALIASES, loss)) return LOSS_ALIASES[loss as LossName];
  if (loss && typeof loss === 'object' && 'kind' in loss) return resolveLoss((loss as { kind: unknown }).kind);
  throw new OxnetError('E_CONFIG', `loss must be one of ${Object.keys(LOSS_ALIASES).join(', ')}, got ${JSON.stringify(loss)}`);
}

/** Refuses a loss the executor cannot pair with the last layer's activation. */
export function checkLossPairing(loss: LossKind, last: ActivationSpec | undefined, lastLayer: string): void {
  const allowed: Partial<Record<LossKind, string[]>> = {
    softmaxCrossEntropy: ['softmax', 'linear'],
    binaryCrossEntropy: ['sigmoid', 'linear'],
    perceptron: ['step', 'linear'],
  };
  const kinds = allowed[loss];
  if (kinds) {
    if (!last || !kinds.includes(last.kind)) {
      throw new OxnetError(
        'E_CONFIG',
        `loss '${loss}' needs the last layer to end in ${kinds.join(' or ')}, got ${last ? `activation '${last.kind}'` : `a ${lastLayer} layer without activation`}`,
      );
    }
  } else if (last?.kind === 'step') {
    throw new OxnetError('E_CONFIG', `loss '${loss}' cannot train a step output (its derivative is 0); use loss 'perceptron'`);
  }
}

export type OptimizerName = 'sgd' | 'adam' | 'adamw';

export interface SgdOptions {
  lr?: number;
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export interface AdamOptions {
  lr?: number;
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
  decoupled?: boolean;
}

export function sgd(opts: SgdOptions = {}): OptimizerSpec {
  return resolveOptimizer({ kind: 'sgd', ...opts });
}

export function adam(opts: AdamOptions = {}): OptimizerSpec {
  return resolveOptimizer({ kind: 'adam', ...opts });
}

/** AdamW: Adam with decoupled weight decay (default 0.004, as Keras). */
export function adamw(opts: AdamOptions = {}): OptimizerSpec {
  return resolveOptimizer({ kind: 'adamw', ...opts });
}

function num(value: unknown, param: string, ok: (v: number) => boolean, rule: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new OxnetError('E_CONFIG', `optimizer ${param} must be ${rule}, got ${showValue(value)}`);
  }
  return value;
}

export function resolveOptimizer(arg: unknown): OptimizerSpec {
  const o = (typeof arg === 'string' ? { kind: arg } : arg) as Record<string, unknown> | undefined;
  if (!o || typeof o !== 'object') throw new OxnetError('E_CONFIG', `optimizer must be 'sgd', 'adam', 'adamw' or an object, got ${JSON.stringify(arg)}`);
  const kind = o.kind;
  const lrIn = o.lr ?? o.learningRate;
  const positive = (v: number) => v > 0;
  const nonNeg = (v: number) => v >= 0;
  const unit = (v: number) => v >= 0 && v < 1;
  if (kind === 'sgd') {
    const spec: OptimizerSpec = { kind: 'sgd', lr: num(lrIn ?? 0.01, 'lr', positive, 'a positive number') };
    if (o.momentum !== undefined) spec.momentum = num(o.momentum, 'momentum', unit, 'in [0, 1)');
    if (o.nesterov !== undefined) spec.nesterov = Boolean(o.nesterov);
    if (o.weightDecay !== undefined) spec.weightDecay = num(o.weightDecay, 'weightDecay', nonNeg, '>= 0');
    return spec;
  }
  if (kind === 'adam' || kind === 'adamw') {
    const spec: OptimizerSpec = { kind: 'adam', lr: num(lrIn ?? 1e-3, 'lr', positive, 'a positive number') };
    if (o.beta1 !== undefined) spec.beta1 = num(o.beta1, 'beta1', unit, 'in [0, 1)');
    if (o.beta2 !== undefined) spec.beta2 = num(o.beta2, 'beta2', unit, 'in [0, 1)');
    if (o.epsilon !== undefined) spec.epsilon = num(o.epsilon, 'epsilon', positive, 'a positive number');
    const wd = o.weightDecay ?? (kind === 'adamw' ? 0.004 : undefined);
    if (wd !== undefined) spec.weightDecay = num(wd, 'weightDecay', nonNeg, '>= 0');
    const decoupled = o.decoupled ?? kind === 'adamw';
    if (decoupled) spec.decoupled = true;
    return spec;
  }
  throw new OxnetError('E_CONFIG', `optimizer kind must be 'sgd', 'adam' or 'adamw', got ${JSON.stringify(kind)}`);
}

export type MetricName = 'accuracy' | 'acc' | 'misclassified' | 'mse';

export function resolveMetrics(metrics: unknown): Set<'acc' | 'misclassified' | 'mse'> {
  const out = new Set<'acc' | 'misclassified' | 'mse'>();
  if (metrics === undefined) return out;
  if (!Array.isArray(metrics)) throw new OxnetError('E_CONFIG', `metrics must be an array, got ${JSON.stringify(metrics)}`);
  for (const m of metrics) {
    if (m === 'accuracy' || m === 'acc') out.add('acc');
    else if (m === 'misclassified' || m === 'mse') out.add(m);
    else throw new OxnetError('E_CONFIG', `metrics: unknown metric ${JSON.stringify(m)}; known: accuracy, misclassified, mse`);
  }
  return out;
}
