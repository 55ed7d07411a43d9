// dense: y = f(x W + b), W [inputs x units] (docs/kernels.md). Params [kernel, bias?].
// `perceptron` is dense with step units, trained by the perceptron rule.
import type { ActivationSpec, Precision } from '../backend/spec';
import { OxnetError } from '../errors';
import { defaultInitializerFor, initialize, resolveInitializer, type InitializerName, type InitializerSpec } from '../initializers';
import { resolveActivation, type ActivationArg } from './activations';
import {
  bool,
  elementCount,
  Layer,
  positiveInt,
  single,
  type BuildContext,
  type Built,
  type CommonLayerConfig,
  type LayerDef,
  type SampleShape,
} from './layer';

export interface DenseConfig extends CommonLayerConfig {
  units: number;
  activation?: ActivationArg;
  /** Sigmoid steepness (the course's beta). */
  beta?: number;
  /** Leaky ReLU slope. */
  alpha?: number;
  useBias?: boolean;
  /** Default: smallUniform for sigmoid/tanh/step, heNormal for relu, glorotUniform otherwise. */
  kernelInitializer?: InitializerName | InitializerSpec;
  /** Default: zeros, except smallUniform when the kernel is smallUniform (course: small random weights). */
  biasInitializer?: InitializerName | InitializerSpec;
}

/** The backend op: y = f(x W + b) for `inputs` -> `units`. */
export interface DenseOp {
  type: 'dense';
  inputs: number;
  units: number;
  useBias: boolean;
  activation: ActivationSpec;
  /** Set by compile({ precision: 'bfloat16' }) (graphSpec); absent: float32. */
  precision?: Precision;
}

export interface DenseSettings {
  units: number;
  activation: ActivationSpec;
  useBias: boolean;
  kernelInitializer: InitializerSpec;
  biasInitializer: InitializerSpec;
}

/** The activation and initializers of dense and conv layers, with their course defaults. */
export function unitSettings(raw: Record<string, unknown>, layer: string): Omit<DenseSettings, 'units'> {
  const activation = resolveActivation(
    raw.activation as ActivationArg | undefined,
    raw.beta as number | undefined,
    raw.alpha as number | undefined,
    `${layer} activation`,
  );
  const kernelInitializer = resolveInitializer((raw.kernelInitializer as InitializerSpec) ?? defaultInitializerFor(activation.kind), 'kernelInitializer');
  const biasDefault = kernelInitializer.kind === 'smallUniform' ? kernelInitializer : 'zeros';
  const biasInitializer = resolveInitializer((raw.biasInitializer as InitializerSpec) ?? biasDefault, 'biasInitializer');
  return { activation, useBias: raw.useBias === undefined ? true : bool(raw.useBias, `${layer} useBias`), kernelInitializer, biasInitializer };
}

export const denseDef: LayerDef<DenseSettings> = {
  type: 'dense',
  inputs: 'one',
  keys: ['units', 'activation', 'beta', 'alpha', 'useBias', 'kernelInitializer', 'biasInitializer'],
  config: (raw) => ({ units: positiveInt(raw.units, 'dense units'), ...unitSettings(raw, 'dense') }),
  build(c, [shape], ctx: BuildContext): Built {
    if (shape.length !== 1) {
      throw new OxnetError('E_CONFIG', `${ctx.where} (dense) expects a flat input [features], got shape ${JSON.stringify(shape)}; add flatten() before it`);
    }
    const inputs = shape[0];
    elementCount([inputs, c.units], 'dense kernel shape');
    const fans = { fanIn: inputs, fanOut: c.units };
    const params: Built['params'] = [
      { name: 'kernel', shape: [inputs, c.units], init: (next) => initialize(c.kernelInitializer, inputs * c.units, fans, next) },
    ];
    if (c.useBias) params.push({ name: 'bias', shape: [c.units], init: (next) => initialize(c.biasInitializer, c.units, fans, next) });
    const op: DenseOp = { type: 'dense', inputs, units: c.units, useBias: c.useBias, activation: { ...c.activation } };
    return single(op, [c.units] as SampleShape, params, [], 1, c.activation);
  },
};

export function dense(config: DenseConfig): Layer<DenseSettings> {
  return new Layer(denseDef, config);
}

/**
 * A layer of step units (the course's perceptron: p = w.x + b >= 0), trained by the perceptron
 * rule: compile's default loss for a model ending in it is 'perceptron'.
 */
export function perceptron(config: Omit<DenseConfig, 'activation' | 'beta' | 'alpha'>): Layer<DenseSettings> {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return new Layer(denseDef, config);
  if ('activation' in config) throw new OxnetError('E_CONFIG', 'perceptron units are step units: give no activation');
  return new Layer(denseDef, { ...config, activation: 'step' });
}
