// compile()'s arguments as users write them -> the backend's losses and optimizer, and the one
// place the loss/activation pairing of docs/kernels.md is decided: which activations a loss
// accepts, whether it reads the pre-activation (from logits) and with what scale, and how a
// sample counts as correct. The executors only apply what this writes into each OutputSpec.
import { type ActivationSpec, type LossKind, type OptimizerSpec, PRECISIONS, type Precision } from '../backend/spec';
import type { OutputSpec } from '../backend/types';
import { OxnetError, showValue } from '../errors';
import type { GraphOutput } from '../graph/graph';

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
  if (loss && typeof loss === 'object' && !Array.isArray(loss) && Object.keys(loss).length === 1 && 'kind' in loss) return resolveLoss(loss.kind);
  throw new OxnetError('E_CONFIG', `loss must be one of ${Object.keys(LOSS_ALIASES).join(', ')}, got ${JSON.stringify(loss)}`);
}

/** The losses computed from logits, and the activations each accepts before it (linear: the value is the logits). */
const FROM_LOGITS: Partial<Record<LossKind, ActivationSpec['kind'][]>> = {
  softmaxCrossEntropy: ['softmax', 'linear'],
  binaryCrossEntropy: ['sigmoid', 'linear'],
  perceptron: ['step', 'linear'],
};

/** The classification losses (computed from logits): a model trained with one is a classifier. */
export function isClassificationLoss(loss: LossKind): boolean {
  return FROM_LOGITS[loss] !== undefined;
}

/** Refuses a loss the executor cannot pair with the activation its output ends in. */
export function checkLossPairing(loss: LossKind, last: ActivationSpec | undefined, lastLayer: string): void {
  const kinds = FROM_LOGITS[loss];
  if (kinds) {
    if (!last || !kinds.includes(last.kind)) {
      throw new OxnetError(
        'E_CONFIG',
        `loss '${loss}' needs the output to end in ${kinds.join(' or ')}, got ${last ? `activation '${last.kind}'` : `a ${lastLayer} layer without activation`}`,
      );
    }
  } else if (last?.kind === 'step') {
    throw new OxnetError('E_CONFIG', `loss '${loss}' cannot train a step output (its derivative is 0); use loss 'perceptron'`);
  }
}

/**
 * The loss of one output, paired: checked against the activation it ends in; from logits when the
 * loss is a from-logits one and that activation is not linear (the loss then reads the
 * pre-activation, scaled by a sigmoid's beta); 'correct' by argmax, or by 0.5 for one unit.
 */
export function outputSpec(out: GraphOutput, loss: LossKind, weight: number): OutputSpec {
  checkLossPairing(loss, out.activation, out.layerType);
  const act = out.activation;
  const fromLogits = FROM_LOGITS[loss] !== undefined && act !== undefined && act.kind !== 'linear';
  const logitScale = loss === 'binaryCrossEntropy' && act?.kind === 'sigmoid' ? (act.beta ?? 1) : 1;
  return { name: out.name, value: out.value, loss, weight, fromLogits, logitScale, correct: out.size === 1 ? 'threshold' : 'argmax' };
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

/** compile's precision option: 'float32' (default) or 'bfloat16'. */
export function resolvePrecision(value: unknown): Precision {
  if (value === undefined) return 'float32';
  if (typeof value === 'string' && (PRECISIONS as readonly string[]).includes(value)) return value as Precision;
  throw new OxnetError('E_CONFIG', `compile precision must be ${PRECISIONS.map((p) => `'${p}'`).join(' or ')}, got ${showValue(value)}`);
}

export type MetricName = 'accuracy' | 'acc' | 'misclassified' | 'mse';
export type Metric = 'acc' | 'misclassified' | 'mse';

export function resolveMetrics(metrics: unknown, param = 'metrics'): Set<Metric> {
  const out = new Set<Metric>();
  if (metrics === undefined) return out;
  if (!Array.isArray(metrics)) throw new OxnetError('E_CONFIG', `${param} must be an array, got ${showValue(metrics)}`);
  for (const m of metrics) {
    if (m === 'accuracy' || m === 'acc') out.add('acc');
    else if (m === 'misclassified' || m === 'mse') out.add(m);
    else throw new OxnetError('E_CONFIG', `${param}: unknown metric ${showValue(m)}; known: accuracy, misclassified, mse`);
  }
  return out;
}

/**
 * A compile option given once for all outputs, as an array (by position) or as an object (by
 * output name): the value for each output, `fallback` where none is given.
 */
export function perOutput<T>(
  arg: unknown,
  names: string[],
  what: string,
  fallback: () => T,
  isOne: (v: unknown) => boolean,
  resolve: (v: unknown, param: string) => T,
): T[] {
  if (arg === undefined) return names.map(fallback);
  if (isOne(arg)) return names.map((n) => resolve(arg, `${what} (output '${n}')`));
  if (Array.isArray(arg)) {
    if (arg.length !== names.length) {
      throw new OxnetError('E_CONFIG', `${what} has ${arg.length} entries, the model has ${names.length} outputs (${names.join(', ')})`);
    }
    return arg.map((v, i) => resolve(v, `${what}[${i}] (output '${names[i]}')`));
  }
  if (arg && typeof arg === 'object') {
    const extra = Object.keys(arg).filter((k) => !names.includes(k));
    if (extra.length)
      throw new OxnetError('E_CONFIG', `${what} names ${extra.map((k) => `'${k}'`).join(', ')}, not outputs of the model (${names.join(', ')})`);
    return names.map((n) => (Object.hasOwn(arg, n) ? resolve((arg as Record<string, unknown>)[n], `${what}.${n}`) : fallback()));
  }
  throw new OxnetError('E_CONFIG', `${what} must be given once, as an array or as an object by output name, got ${showValue(arg)}`);
}

/** compile()'s result: each output's loss paired with its activation, once. */
export interface Compiled {
  losses: LossKind[];
  weights: number[];
  outputs: OutputSpec[];
  optimizer: OptimizerSpec;
  metrics: Set<Metric>[];
  /** The products' arithmetic (see Precision). */
  precision: Precision;
}
