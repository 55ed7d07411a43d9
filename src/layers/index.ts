// The layers: one definition per layer type (src/layers/<layer>.ts), registered here once. This
// table is what `layers.*` offers, what model files may name (nothing else is ever rebuilt from a
// file), and the union of backend ops the executors implement (OpSpec).
import { describe } from '../args';
import { OxnetError } from '../errors';
import { type ActivationOp, activation, activationDef } from './activation';
import { type BatchNormOp, batchNormalization, batchNormalizationDef } from './batchNormalization';
import { type ConcatenateOp, concatenate, concatenateDef } from './concatenate';
import { type Conv2dOp, conv2d, conv2dDef } from './conv2d';
import { type Conv2dTransposeOp, conv2dTranspose, conv2dTransposeDef } from './conv2dTranspose';
import { type DenseOp, dense, denseDef, perceptron } from './dense';
import { type DepthwiseConv2dOp, depthwiseConv2d, depthwiseConv2dDef } from './depthwiseConv2d';
import { type DropoutOp, dropout, dropoutDef } from './dropout';
import { Layer, type LayerDef } from './layer';
import { type LayerNormOp, layerNormalization, layerNormalizationDef } from './layerNormalization';
import { add, addDef, average, averageDef, maximum, maximumDef, type MergeOp, multiply, multiplyDef, subtract, subtractDef } from './merge';
import { cropping2d, cropping2dDef, type Pad2dOp, zeroPadding2d, zeroPadding2dDef } from './padding2d';
import {
  averagePooling2d,
  averagePooling2dDef,
  type GlobalPool2dOp,
  globalAveragePooling2d,
  globalAveragePooling2dDef,
  globalMaxPooling2d,
  globalMaxPooling2dDef,
  maxPooling2d,
  maxPooling2dDef,
  type Pool2dOp,
} from './pooling';
import { separableConv2d, separableConv2dDef } from './separableConv2d';
import { flatten, flattenDef, type ReshapeOp, reshape, reshapeDef } from './shape';
import { type UpSample2dOp, upSampling2d, upSampling2dDef } from './upSampling2d';

/** Every op a graph node can run: each backend has one kernel per `type` (src/backend/js/ops/, crates/oxnet-core/src/ops/). */
export type OpSpec =
  | DenseOp
  | Conv2dOp
  | Conv2dTransposeOp
  | DepthwiseConv2dOp
  | Pool2dOp
  | GlobalPool2dOp
  | ActivationOp
  | DropoutOp
  | BatchNormOp
  | LayerNormOp
  | ReshapeOp
  | MergeOp
  | UpSample2dOp
  | ConcatenateOp
  | Pad2dOp;

const DEFS = {
  dense: denseDef,
  conv2d: conv2dDef,
  conv2dTranspose: conv2dTransposeDef,
  depthwiseConv2d: depthwiseConv2dDef,
  separableConv2d: separableConv2dDef,
  maxPooling2d: maxPooling2dDef,
  averagePooling2d: averagePooling2dDef,
  globalAveragePooling2d: globalAveragePooling2dDef,
  globalMaxPooling2d: globalMaxPooling2dDef,
  zeroPadding2d: zeroPadding2dDef,
  cropping2d: cropping2dDef,
  flatten: flattenDef,
  reshape: reshapeDef,
  dropout: dropoutDef,
  batchNormalization: batchNormalizationDef,
  layerNormalization: layerNormalizationDef,
  upSampling2d: upSampling2dDef,
  activation: activationDef,
  add: addDef,
  subtract: subtractDef,
  multiply: multiplyDef,
  average: averageDef,
  maximum: maximumDef,
  concatenate: concatenateDef,
} satisfies Record<string, { type: string; inputs: 'one' | 'many' }>;

/** The layer types model files may name. */
export type LayerType = keyof typeof DEFS;

/** The layer factories, Keras-style: layers.dense({ units: 8 }), layers.add().apply([a, b]). */
export const layers = {
  dense,
  perceptron,
  conv2d,
  conv2dTranspose,
  depthwiseConv2d,
  separableConv2d,
  maxPooling2d,
  averagePooling2d,
  globalAveragePooling2d,
  globalMaxPooling2d,
  zeroPadding2d,
  cropping2d,
  flatten,
  reshape,
  dropout,
  batchNormalization,
  layerNormalization,
  upSampling2d,
  activation,
  add,
  subtract,
  multiply,
  average,
  maximum,
  concatenate,
};

export const LAYER_TYPES = Object.keys(DEFS) as LayerType[];

/** Rebuilds a layer from {type, config}; unknown types are refused with `code`. */
export function layerFromConfig(type: unknown, config: unknown, code: 'E_FORMAT' | 'E_CONFIG' = 'E_FORMAT'): Layer {
  if (code !== 'E_FORMAT' && code !== 'E_CONFIG')
    throw new OxnetError('E_ARG', `layerFromConfig: code must be 'E_FORMAT' or 'E_CONFIG', got ${describe(code)}`);
  if (typeof type !== 'string' || !Object.hasOwn(DEFS, type)) {
    throw new OxnetError(code, `unknown layer type ${JSON.stringify(type)}; known: ${LAYER_TYPES.join(', ')}`);
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) {
    throw new OxnetError(code, `layer ${type}: config must be an object, got ${describe(config)}`);
  }
  try {
    return new Layer(DEFS[type as LayerType] as LayerDef<unknown>, config);
  } catch (e) {
    if (e instanceof OxnetError && code !== e.code) throw new OxnetError(code, `layer ${type}: ${e.message}`, { cause: e });
    throw e;
  }
}

export * from './layer';
export type { ActivationLayerConfig } from './activation';
export type { BatchNormalizationConfig } from './batchNormalization';
export type { ConcatenateConfig } from './concatenate';
export type { Conv2dConfig, DataFormat } from './conv2d';
export type { Conv2dTransposeConfig } from './conv2dTranspose';
export type { DepthwiseConv2dConfig } from './depthwiseConv2d';
export type { DenseConfig } from './dense';
export type { DropoutConfig } from './dropout';
export type { LayerNormalizationConfig } from './layerNormalization';
export type { MergeKind } from './merge';
export type { PaddingArg } from './padding';
export type { Amounts2d, Cropping2dConfig, ZeroPadding2dConfig } from './padding2d';
export type { Pooling2dConfig } from './pooling';
export type { SeparableConv2dConfig } from './separableConv2d';
export type { ReshapeConfig } from './shape';
export type { Interpolation, UpSampling2dConfig } from './upSampling2d';
