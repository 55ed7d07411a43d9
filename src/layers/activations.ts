// Activation names and options as users write them -> the backend's ActivationSpec.
import type { ActivationKind, ActivationSpec } from '../backend/spec';
import { OxnetError } from '../errors';

export type ActivationName = ActivationKind;
export type ActivationArg = ActivationName | ActivationSpec;

const KINDS: ActivationKind[] = ['linear', 'step', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'softmax'];

/** Resolves an activation, with optional top-level beta (sigmoid) and alpha (leakyRelu) overrides. */
export function resolveActivation(arg: ActivationArg | undefined, beta: number | undefined, alpha: number | undefined, param = 'activation'): ActivationSpec {
  // Only a missing activation means linear: 0, '' or false in a config (or an edited model file) is refused.
  if (arg !== undefined && arg !== null && typeof arg !== 'string' && typeof arg !== 'object') {
    throw new OxnetError('E_CONFIG', `${param} must be one of ${KINDS.join(', ')}, got ${JSON.stringify(arg)}`);
  }
  const spec: ActivationSpec = typeof arg === 'string' ? { kind: arg } : arg ? { ...arg } : { kind: 'linear' };
  if (!KINDS.includes(spec.kind)) {
    throw new OxnetError('E_CONFIG', `${param} must be one of ${KINDS.join(', ')}, got ${JSON.stringify(arg)}`);
  }
  if (beta !== undefined) spec.beta = beta;
  if (alpha !== undefined) spec.alpha = alpha;
  if (spec.beta !== undefined) {
    if (spec.kind !== 'sigmoid') throw new OxnetError('E_CONFIG', `beta applies to sigmoid only, got beta ${spec.beta} with ${spec.kind}`);
    if (!(Number.isFinite(spec.beta) && spec.beta > 0)) throw new OxnetError('E_CONFIG', `beta must be a positive number, got ${spec.beta}`);
  }
  if (spec.alpha !== undefined) {
    if (spec.kind !== 'leakyRelu') throw new OxnetError('E_CONFIG', `alpha applies to leakyRelu only, got alpha ${spec.alpha} with ${spec.kind}`);
    if (!Number.isFinite(spec.alpha)) throw new OxnetError('E_CONFIG', `alpha must be a finite number, got ${spec.alpha}`);
  }
  return spec;
}
