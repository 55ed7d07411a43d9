// activation: y = f(x) element-wise (softmax over the last axis), no parameters.
import type { ActivationSpec } from '../backend/spec';
import { OxnetError } from '../errors';
import { resolveActivation, type ActivationArg } from './activations';
import { elementCount, Layer, single, type CommonLayerConfig, type LayerDef } from './layer';

export interface ActivationLayerConfig extends CommonLayerConfig {
  activation: ActivationArg;
  beta?: number;
  alpha?: number;
}

/** The backend op; `width` is the softmax row (the last axis). */
export interface ActivationOp {
  type: 'activation';
  size: number;
  width: number;
  activation: ActivationSpec;
}

export const activationDef: LayerDef<{ activation: ActivationSpec }> = {
  type: 'activation',
  inputs: 'one',
  keys: ['activation', 'beta', 'alpha'],
  config(raw) {
    if (raw.activation === undefined) throw new OxnetError('E_CONFIG', 'activation layer needs an activation');
    return { activation: resolveActivation(raw.activation as ActivationArg, raw.beta as number | undefined, raw.alpha as number | undefined, 'activation') };
  },
  build(c, [shape], ctx) {
    const op: ActivationOp = {
      type: 'activation',
      size: elementCount(shape, `${ctx.where} input shape`),
      width: shape[shape.length - 1],
      activation: { ...c.activation },
    };
    return single(op, [...shape], [], [], 1, c.activation);
  },
};

export function activation(config: ActivationLayerConfig): Layer<{ activation: ActivationSpec }> {
  return new Layer(activationDef, config);
}
