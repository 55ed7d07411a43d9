// Optimizer updates in place (docs/kernels.md): sgd (momentum, nesterov, L2) and adam / adamw.
import type { OptimizerSpec } from '../types';
import { OxnetError } from '../../errors';
import { checkInt, checkLength } from './check';

/** Hyperparameters with defaults filled in, resolved once per training call. */
export interface ResolvedOptimizer {
  kind: 'sgd' | 'adam';
  lr: number;
  weightDecay: number;
  momentum: number;
  nesterov: boolean;
  beta1: number;
  beta2: number;
  epsilon: number;
  decoupled: boolean;
}

function finite(name: string, value: number): number {
  if (!Number.isFinite(value)) throw new OxnetError('E_ARG', `optimizer.${name} must be finite, got ${value}`);
  return value;
}

/** Validates `opt` and fills defaults; `lr` overrides opt.lr when given. */
export function resolveOptimizer(opt: OptimizerSpec, lr = opt?.lr): ResolvedOptimizer {
  if (!opt || (opt.kind !== 'sgd' && opt.kind !== 'adam')) {
    throw new OxnetError('E_ARG', `optimizer.kind must be 'sgd' or 'adam', got '${(opt as { kind?: string } | undefined)?.kind}'`);
  }
  const base = { lr: finite('lr', lr), weightDecay: finite('weightDecay', opt.weightDecay ?? 0) };
  if (opt.kind === 'sgd') {
    return {
      kind: 'sgd',
      ...base,
      momentum: finite('momentum', opt.momentum ?? 0),
      nesterov: opt.nesterov ?? false,
      beta1: 0,
      beta2: 0,
      epsilon: 0,
      decoupled: false,
    };
  }
  return {
    kind: 'adam',
    ...base,
    momentum: 0,
    nesterov: false,
    beta1: finite('beta1', opt.beta1 ?? 0.9),
    beta2: finite('beta2', opt.beta2 ?? 0.999),
    epsilon: finite('epsilon', opt.epsilon ?? 1e-7),
    decoupled: opt.decoupled ?? false,
  };
}

/** How many param-sized state slots the optimizer keeps: sgd with momentum 1, adam 2, else 0. */
export function stateSlots(opt: ResolvedOptimizer): number {
  if (opt.kind === 'adam') return 2;
  return opt.momentum > 0 ? 1 : 0;
}

/** One update of `param` from `grad` at step t (from 1); state slots updated in place. */
export function applyOptimizer(opt: ResolvedOptimizer, param: Float32Array, grad: Float32Array, state: Float32Array[], t: number): void {
  const n = param.length;
  const { lr, weightDecay } = opt;
  if (opt.kind === 'sgd') {
    const mu = opt.momentum;
    if (mu > 0) {
      const v = state[0];
      for (let i = 0; i < n; i++) {
        const g = grad[i] + weightDecay * param[i];
        const vi = mu * v[i] + g;
        v[i] = vi;
        param[i] -= lr * (opt.nesterov ? g + mu * vi : vi);
      }
    } else {
      for (let i = 0; i < n; i++) param[i] -= lr * (grad[i] + weightDecay * param[i]);
    }
    return;
  }
  const { beta1, beta2, epsilon, decoupled } = opt;
  const m = state[0];
  const v = state[1];
  const c1 = 1 - beta1 ** t;
  const c2 = 1 - beta2 ** t;
  for (let i = 0; i < n; i++) {
    let p = param[i];
    let g = grad[i];
    if (decoupled) p -= lr * weightDecay * p;
    else g += weightDecay * p;
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
  }
}

/** The backend's optimizerStep: validates shapes and the state slot count. */
export function optimizerStep(opt: OptimizerSpec, param: Float32Array, grad: Float32Array, state: Float32Array[], step: number): void {
  const resolved = resolveOptimizer(opt);
  checkInt('step', step);
  checkLength('grad', grad, param.length, 'param.length');
  const slots = stateSlots(resolved);
  if (!Array.isArray(state) || state.length < slots) {
    throw new OxnetError('E_SHAPE', `state must hold ${slots} slot(s) for ${opt.kind}, got ${Array.isArray(state) ? state.length : typeof state}`);
  }
  for (let s = 0; s < slots; s++) checkLength(`state[${s}]`, state[s], param.length, 'param.length');
  applyOptimizer(resolved, param, grad, state, step);
}
