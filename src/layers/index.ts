// The layer factories (Keras-style: layers.dense({units: 8})) and the registry save/load uses.
import { OxnetError } from '../errors';
import { Conv2d, conv2d, type Conv2dConfig } from './conv2d';
import { Dense, dense, perceptron, type DenseConfig } from './dense';
import type { Layer, LayerType } from './layer';
import { Activation, BatchNormalization, Dropout, activation, batchNormalization, dropout, type ActivationLayerConfig, type DropoutConfig } from './misc';
import { GlobalAveragePooling2d, Pooling2d, averagePooling2d, globalAveragePooling2d, maxPooling2d, type Pooling2dConfig } from './pooling';
import { Flatten, Reshape, flatten, reshape, type ReshapeConfig } from './shape';

export * from './layer';
export { Dense, Conv2d, Pooling2d, GlobalAveragePooling2d, Flatten, Reshape, Activation, Dropout, BatchNormalization };
export type { DenseConfig, Conv2dConfig, Pooling2dConfig, ReshapeConfig, DropoutConfig, ActivationLayerConfig };
export type { PaddingArg } from './padding';

export const layers = {
  dense,
  perceptron,
  conv2d,
  maxPooling2d,
  averagePooling2d,
  globalAveragePooling2d,
  flatten,
  reshape,
  dropout,
  batchNormalization,
  activation,
};

// Only these are ever rebuilt from a file: a type string maps to a known constructor, nothing else.
const FROM_CONFIG: Record<LayerType, (config: never) => Layer> = {
  dense: (c: DenseConfig) => new Dense(c),
  conv2d: (c: Conv2dConfig) => new Conv2d(c),
  maxPooling2d: (c: Pooling2dConfig) => new Pooling2d('maxPooling2d', c),
  averagePooling2d: (c: Pooling2dConfig) => new Pooling2d('averagePooling2d', c),
  globalAveragePooling2d: (c: object) => new GlobalAveragePooling2d(c),
  flatten: (c: object) => new Flatten(c),
  reshape: (c: ReshapeConfig) => new Reshape(c),
  dropout: (c: DropoutConfig) => new Dropout(c),
  batchNormalization: (c: object) => new BatchNormalization(c),
  activation: (c: ActivationLayerConfig) => new Activation(c),
};

/** Rebuilds a layer from {type, config}; unknown types are refused with `code`. */
export function layerFromConfig(type: unknown, config: unknown, code: 'E_FORMAT' | 'E_CONFIG' = 'E_FORMAT'): Layer {
  if (typeof type !== 'string' || !Object.hasOwn(FROM_CONFIG, type)) {
    throw new OxnetError(code, `unknown layer type ${JSON.stringify(type)}; known: ${Object.keys(FROM_CONFIG).join(', ')}`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw new OxnetError(code, `layer ${type}: config must be an object, got ${JSON.stringify(config)}`);
  }
  try {
    return FROM_CONFIG[type as LayerType](config as never);
  } catch (e) {
    if (e instanceof OxnetError && code !== e.code) throw new OxnetError(code, `layer ${type}: ${e.message}`, { cause: e });
    throw e;
  }
}
