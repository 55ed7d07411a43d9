// Fully connected layer: y = f(x W + b), W [inputs x units] (docs/kernels.md).
import type { ActivationSpec } from '../backend/types';
import { OxnetError } from '../errors';
import { defaultInitializerFor, initialize, resolveInitializer, type InitializerName, type InitializerSpec } from '../initializers';
import { resolveActivation, type ActivationArg } from './activations';
import { Layer, positiveInt, elementCount, type BuiltLayer, type CommonLayerConfig, type SampleShape } from './layer';

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

export class Dense extends Layer {
  readonly type = 'dense' as const;
  readonly units: number;
  readonly activation: ActivationSpec;
  readonly useBias: boolean;
  readonly kernelInitializer: InitializerSpec;
  readonly biasInitializer: InitializerSpec;

  constructor(config: DenseConfig) {
    super(config);
    if (!config || typeof config !== 'object') throw new OxnetError('E_CONFIG', `dense needs a config object, got ${JSON.stringify(config)}`);
    this.units = positiveInt(config.units, 'dense units');
    this.activation = resolveActivation(config.activation, config.beta, config.alpha, 'dense activation');
    this.useBias = config.useBias ?? true;
    this.kernelInitializer = resolveInitializer(config.kernelInitializer ?? defaultInitializerFor(this.activation.kind), 'kernelInitializer');
    const biasDefault = this.kernelInitializer.kind === 'smallUniform' ? this.kernelInitializer : 'zeros';
    this.biasInitializer = resolveInitializer(config.biasInitializer ?? biasDefault, 'biasInitializer');
  }

  getConfig(): Record<string, unknown> {
    return {
      ...this.commonConfig(),
      units: this.units,
      activation: { ...this.activation },
      useBias: this.useBias,
      kernelInitializer: { ...this.kernelInitializer },
      biasInitializer: { ...this.biasInitializer },
    };
  }

  build(inputShape: SampleShape): BuiltLayer {
    if (inputShape.length !== 1) {
      throw new OxnetError('E_CONFIG', `dense expects a flat input [features], got shape ${JSON.stringify(inputShape)}; add flatten() before it`);
    }
    const inputs = inputShape[0];
    elementCount([inputs, this.units], 'dense kernel shape');
    const fans = { fanIn: inputs, fanOut: this.units };
    const params: BuiltLayer['params'] = [
      { name: 'kernel', shape: [inputs, this.units], init: (next) => initialize(this.kernelInitializer, inputs * this.units, fans, next) },
    ];
    if (this.useBias) {
      params.push({ name: 'bias', shape: [this.units], init: (next) => initialize(this.biasInitializer, this.units, fans, next) });
    }
    return {
      spec: { type: 'dense', inputs, units: this.units, useBias: this.useBias, activation: { ...this.activation } },
      outputShape: [this.units],
      params,
      state: [],
      activation: this.activation,
    };
  }
}

export function dense(config: DenseConfig): Dense {
  return new Dense(config);
}

/**
 * A layer of step units (the course's perceptron: p = w.x + b >= 0), trained by the perceptron
 * rule: compile's default loss for a model ending in it is 'perceptron'.
 */
export function perceptron(config: Omit<DenseConfig, 'activation' | 'beta' | 'alpha'>): Dense {
  return new Dense({ ...config, activation: 'step' });
}
