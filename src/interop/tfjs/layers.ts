// One tfjs layer ({ class_name, config } in Keras's snake_case) -> an oxnet layer, plus how its
// weight names map. Options a layer reads are converted; options that do not change what the
// layer computes (initializers: the weights come from the file; regularizers: a training-time
// penalty oxnet does not have, dropped; dtype float32) are accepted; anything else, and any value
// oxnet cannot reproduce, is refused with E_CONFIG naming the layer and the option.
import { isPlainObject } from '../../args';
import { OxnetError, showValue } from '../../errors';
import { type Layer, layerFromConfig, type LayerType } from '../../layers';

/** Keys every layer may carry that do not change the mapped layer (checked or ignored below). */
const COMMON = ['name', 'trainable', 'dtype', 'batch_input_shape', 'batch_size', 'input_dtype', 'activity_regularizer'];

interface Mapping {
  type: LayerType;
  /** The tfjs config keys this mapping reads (with COMMON, *_initializer and *_regularizer); the rest are refused. */
  keys: string[];
  /** `rank`: the rank of one input sample (Keras's axis numbers count the batch too). */
  convert(c: Record<string, unknown>, unsupported: (key: string, why: string) => never, rank: number): Record<string, unknown>;
  /** tfjs weight name (after `layer/`) -> oxnet parameter or state name; the default is the same name. */
  weights?: Record<string, string>;
}

const ACTIVATIONS: Record<string, string> = { linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax' };

function activation(c: Record<string, unknown>, unsupported: (key: string, why: string) => never): string {
  const a = c.activation ?? 'linear';
  if (typeof a !== 'string' || !Object.hasOwn(ACTIVATIONS, a)) unsupported('activation', `${showValue(a)} (oxnet has ${Object.keys(ACTIVATIONS).join(', ')})`);
  return ACTIVATIONS[a as string];
}

function padding(c: Record<string, unknown>, unsupported: (key: string, why: string) => never): string {
  const p = c.padding ?? 'valid';
  if (p !== 'valid' && p !== 'same') unsupported('padding', `${showValue(p)} (oxnet has 'valid' and 'same')`);
  return p as string;
}

const CONV = ['kernel_size', 'strides', 'padding', 'dilation_rate', 'activation', 'use_bias', 'data_format'];

const window = (c: Record<string, unknown>, u: (key: string, why: string) => never) => ({
  kernelSize: c.kernel_size,
  strides: c.strides ?? 1,
  padding: padding(c, u),
  dilationRate: c.dilation_rate ?? 1,
  activation: activation(c, u),
  useBias: c.use_bias ?? true,
});

const pool = (type: LayerType): Mapping => ({
  type,
  keys: ['pool_size', 'strides', 'padding', 'data_format'],
  convert: (c, u) => ({ poolSize: c.pool_size ?? 2, strides: c.strides ?? c.pool_size ?? 2, padding: padding(c, u) }),
});

const plain = (type: LayerType, keys: string[] = []): Mapping => ({ type, keys, convert: () => ({}) });

/** One axis, as Keras writes it (a number, or a list of one). */
function oneAxis(c: Record<string, unknown>, fallback: number, u: (key: string, why: string) => never): number {
  const raw = Array.isArray(c.axis) && c.axis.length === 1 ? c.axis[0] : (c.axis ?? fallback);
  if (typeof raw !== 'number' || !Number.isInteger(raw)) u('axis', `${showValue(c.axis)} (oxnet works over one axis, the last)`);
  return raw as number;
}

/** Keras's axis counts the batch: the last axis of a sample of rank r is -1 or r. */
const isLast = (axis: number, rank: number) => axis === -1 || axis === rank;

const MAPPINGS: Record<string, Mapping> = {
  Dense: {
    type: 'dense',
    keys: ['units', 'activation', 'use_bias'],
    convert: (c, u) => ({ units: c.units, activation: activation(c, u), useBias: c.use_bias ?? true }),
  },
  Conv2D: {
    type: 'conv2d',
    keys: ['filters', ...CONV],
    convert: (c, u) => ({ filters: c.filters, ...window(c, u) }),
  },
  Conv2DTranspose: {
    type: 'conv2dTranspose',
    keys: ['filters', ...CONV],
    convert: (c, u) => ({ filters: c.filters, ...window(c, u) }),
  },
  DepthwiseConv2D: {
    type: 'depthwiseConv2d',
    keys: ['depth_multiplier', ...CONV],
    convert: (c, u) => ({ depthMultiplier: c.depth_multiplier ?? 1, ...window(c, u) }),
    weights: { depthwise_kernel: 'depthwiseKernel' },
  },
  SeparableConv2D: {
    type: 'separableConv2d',
    keys: ['filters', 'depth_multiplier', ...CONV],
    convert: (c, u) => ({ filters: c.filters, depthMultiplier: c.depth_multiplier ?? 1, ...window(c, u) }),
    weights: { depthwise_kernel: 'depthwiseKernel', pointwise_kernel: 'pointwiseKernel' },
  },
  MaxPooling2D: pool('maxPooling2d'),
  AveragePooling2D: pool('averagePooling2d'),
  GlobalAveragePooling2D: plain('globalAveragePooling2d', ['data_format']),
  GlobalMaxPooling2D: plain('globalMaxPooling2d', ['data_format']),
  BatchNormalization: {
    type: 'batchNormalization',
    keys: ['axis', 'momentum', 'epsilon', 'center', 'scale'],
    convert(c, u, rank) {
      if (c.center === false || c.scale === false) u(c.center === false ? 'center' : 'scale', 'false (oxnet batch norm always has gamma and beta)');
      if (!isLast(oneAxis(c, -1, u), rank)) u('axis', `${showValue(c.axis)} (oxnet's batch norm is over the last axis, -1 or ${rank} here)`);
      return { momentum: c.momentum ?? 0.99, epsilon: c.epsilon ?? 1e-3 };
    },
    weights: { moving_mean: 'runningMean', moving_variance: 'runningVar' },
  },
  LayerNormalization: {
    type: 'layerNormalization',
    keys: ['axis', 'epsilon', 'center', 'scale'],
    convert: (c, u) => ({ axis: oneAxis(c, -1, u), epsilon: c.epsilon ?? 1e-3, center: c.center ?? true, scale: c.scale ?? true }),
  },
  Dropout: {
    type: 'dropout',
    keys: ['rate', 'noise_shape', 'seed'],
    convert(c, u) {
      if (c.noise_shape !== undefined && c.noise_shape !== null) u('noise_shape', showValue(c.noise_shape));
      return { rate: c.rate };
    },
  },
  Flatten: plain('flatten', ['data_format']),
  Reshape: { type: 'reshape', keys: ['target_shape'], convert: (c) => ({ targetShape: c.target_shape }) },
  Activation: { type: 'activation', keys: ['activation'], convert: (c, u) => ({ activation: activation(c, u) }) },
  ReLU: {
    type: 'activation',
    keys: ['max_value'],
    convert(c, u) {
      if (c.max_value !== undefined && c.max_value !== null) u('max_value', `${showValue(c.max_value)} (oxnet's relu is not capped)`);
      return { activation: 'relu' };
    },
  },
  LeakyReLU: { type: 'activation', keys: ['alpha'], convert: (c) => ({ activation: 'leakyRelu', alpha: c.alpha ?? 0.3 }) },
  Softmax: {
    type: 'activation',
    keys: ['axis'],
    convert(c, u, rank) {
      // tfjs's Softmax layer defaults to axis 1 (Keras: -1); on a flat input both are the last axis.
      if (!isLast(oneAxis(c, 1, u), rank)) u('axis', `${showValue(c.axis ?? 1)} (oxnet's softmax is over the last axis, -1 or ${rank} here)`);
      return { activation: 'softmax' };
    },
  },
  Add: plain('add'),
  Multiply: plain('multiply'),
  Average: plain('average'),
  Maximum: plain('maximum'),
  Subtract: plain('subtract'),
  Concatenate: { type: 'concatenate', keys: ['axis'], convert: (c) => ({ axis: c.axis ?? -1 }) },
  UpSampling2D: {
    type: 'upSampling2d',
    keys: ['size', 'interpolation', 'data_format'],
    convert(c, u) {
      // tfjs resizes with resizeBilinear (no half-pixel centers); oxnet's bilinear is TensorFlow's
      // half-pixel one: the same weights would give other outputs (up to 0.78 apart on a test input).
      if (c.interpolation === 'bilinear') u('interpolation', "'bilinear' (tfjs's bilinear samples without half-pixel centers, oxnet's with)");
      return { size: c.size ?? 2, interpolation: c.interpolation ?? 'nearest' };
    },
  },
  ZeroPadding2D: { type: 'zeroPadding2d', keys: ['padding', 'data_format'], convert: (c) => ({ padding: c.padding ?? 1 }) },
  Cropping2D: { type: 'cropping2d', keys: ['cropping', 'data_format'], convert: (c) => ({ cropping: c.cropping ?? 0 }) },
};

export const SUPPORTED_LAYERS = ['InputLayer', ...Object.keys(MAPPINGS)];

export interface MappedLayer {
  layer: Layer;
  /** tfjs weight suffix -> oxnet parameter/state suffix. */
  weightNames: Record<string, string>;
}

/** Builds the oxnet layer for one tfjs layer entry, first applied to samples of rank `rank`. */
export function mapLayer(className: string, config: Record<string, unknown>, name: string, rank: number): MappedLayer {
  const where = `tfjs layer '${name}' (${className})`;
  const unsupported = (key: string, why: string): never => {
    throw new OxnetError('E_CONFIG', `${where}: ${key} ${why} is not supported by oxnet`);
  };
  const m = Object.hasOwn(MAPPINGS, className) ? MAPPINGS[className] : undefined;
  if (!m) throw new OxnetError('E_CONFIG', `${where}: oxnet has no ${className} layer; importTfjs maps ${SUPPORTED_LAYERS.join(', ')}`);
  if (!isPlainObject(config)) throw new OxnetError('E_FORMAT', `${where}: config must be an object, got ${showValue(config)}`);
  for (const key of Object.keys(config)) {
    if (key.endsWith('_constraint')) {
      if (config[key] !== null && config[key] !== undefined) unsupported(key, `${showValue(config[key])} (oxnet has no weight constraints)`);
    } else if (!COMMON.includes(key) && !m.keys.includes(key) && !key.endsWith('_initializer') && !key.endsWith('_regularizer')) {
      unsupported(`option '${key}'`, `= ${showValue(config[key])}`);
    }
  }
  if (config.data_format !== undefined && config.data_format !== 'channels_last')
    unsupported('data_format', `${showValue(config.data_format)} (oxnet layers are channels_last)`);
  if (config.dtype !== undefined && config.dtype !== 'float32') unsupported('dtype', showValue(config.dtype));
  if (config.trainable === false) unsupported('trainable', 'false (oxnet trains every layer of a model)');
  const converted = { ...m.convert(config, unsupported, rank), name };
  try {
    return { layer: layerFromConfig(m.type, converted, 'E_CONFIG'), weightNames: m.weights ?? {} };
  } catch (e) {
    if (e instanceof OxnetError) throw new OxnetError(e.code, `${where}: ${e.message}`, { cause: e });
    throw e;
  }
}
