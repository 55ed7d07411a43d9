// Layers without a kernel: activation, dropout, batch normalization.
import type { ActivationSpec } from '../backend/types';
import { OxnetError } from '../errors';
import { resolveActivation, type ActivationArg } from './activations';
import { Layer, elementCount, type BuiltLayer, type CommonLayerConfig, type SampleShape } from './layer';

export interface ActivationLayerConfig extends CommonLayerConfig {
  activation: ActivationArg;
  beta?: number;
  alpha?: number;
}

export class Activation extends Layer {
  readonly type = 'activation' as const;
  readonly activation: ActivationSpec;

  constructor(config: ActivationLayerConfig) {
    super(config);
    if (config?.activation === undefined) throw new OxnetError('E_CONFIG', `activation layer needs an activation, got ${JSON.stringify(config)}`);
    this.activation = resolveActivation(config.activation, config.beta, config.alpha, 'activation');
  }

  getConfig(): Record<string, unknown> {
    return { ...this.commonConfig(), activation: { ...this.activation } };
  }

  build(inputShape: SampleShape): BuiltLayer {
    const size = elementCount(inputShape, 'activation input shape');
    if (this.activation.kind === 'softmax' && inputShape.length !== 1) {
      throw new OxnetError('E_CONFIG', `softmax activation layer expects a flat input, got shape ${JSON.stringify(inputShape)}`);
    }
    return {
      spec: { type: 'activation', size, activation: { ...this.activation } },
      outputShape: [...inputShape],
      params: [],
      state: [],
      activation: this.activation,
    };
  }
}

export function activation(config: ActivationLayerConfig): Activation {
  return new Activation(config);
}

export interface DropoutConfig extends CommonLayerConfig {
  /** Fraction of inputs zeroed during training, in [0, 1). */
  rate: number;
}

export class Dropout extends Layer {
  readonly type = 'dropout' as const;
  readonly rate: number;

  constructor(config: DropoutConfig) {
    super(config);
    const rate = config?.rate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw new OxnetError('E_CONFIG', `dropout rate must be a number in [0, 1), got ${JSON.stringify(rate)}`);
    }
    this.rate = rate;
  }

  getConfig(): Record<string, unknown> {
    return { ...this.commonConfig(), rate: this.rate };
  }

  build(inputShape: SampleShape): BuiltLayer {
    const size = elementCount(inputShape, 'dropout input shape');
    return { spec: { type: 'dropout', size, rate: this.rate }, outputShape: [...inputShape], params: [], state: [] };
  }
}

export function dropout(config: DropoutConfig): Dropout {
  return new Dropout(config);
}

export interface BatchNormalizationConfig extends CommonLayerConfig {
  /** Running statistics: r = momentum r + (1 - momentum) batch. Default 0.99. */
  momentum?: number;
  /** Default 1e-3, as Keras. */
  epsilon?: number;
}

/** Normalizes over the last (channel) axis; parameters gamma, beta; state running mean, variance. */
export class BatchNormalization extends Layer {
  readonly type = 'batchNormalization' as const;
  readonly momentum: number;
  readonly epsilon: number;

  constructor(config: BatchNormalizationConfig = {}) {
    super(config);
    this.momentum = config.momentum ?? 0.99;
    this.epsilon = config.epsilon ?? 1e-3;
    if (!(this.momentum >= 0 && this.momentum < 1)) {
      throw new OxnetError('E_CONFIG', `batchNormalization momentum must be in [0, 1), got ${JSON.stringify(config.momentum)}`);
    }
    if (!(this.epsilon > 0 && Number.isFinite(this.epsilon))) {
      throw new OxnetError('E_CONFIG', `batchNormalization epsilon must be a positive number, got ${JSON.stringify(config.epsilon)}`);
    }
  }

  getConfig(): Record<string, unknown> {
    return { ...this.commonConfig(), momentum: this.momentum, epsilon: this.epsilon };
  }

  build(inputShape: SampleShape): BuiltLayer {
    const size = elementCount(inputShape, 'batchNormalization input shape');
    const channels = inputShape[inputShape.length - 1];
    const filled = (v: number) => () => new Float32Array(channels).fill(v);
    return {
      spec: { type: 'batchNorm', size, channels, momentum: this.momentum, epsilon: this.epsilon },
      outputShape: [...inputShape],
      params: [
        { name: 'gamma', shape: [channels], init: filled(1) },
        { name: 'beta', shape: [channels], init: filled(0) },
      ],
      state: [
        { name: 'runningMean', shape: [channels], init: filled(0) },
        { name: 'runningVar', shape: [channels], init: filled(1) },
      ],
    };
  }
}

export function batchNormalization(config: BatchNormalizationConfig = {}): BatchNormalization {
  return new BatchNormalization(config);
}
