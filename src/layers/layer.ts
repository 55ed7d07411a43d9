// What every layer provides: a JSON config (what save/load writes), and build(inputShape), which
// resolves shapes and returns the backend's LayerSpec with the parameter shapes and initial values.
import type { ActivationSpec, LayerSpec } from '../backend/types';
import { OxnetError, showValue } from '../errors';

/** Shape of one sample, without the batch axis: [features] or [height, width, channels]. */
export type SampleShape = number[];

export interface ParamInfo {
  /** 'kernel', 'bias', 'gamma', 'beta'. */
  name: string;
  shape: number[];
  /** Initial values; `next` is the model's uniform [0, 1) stream. */
  init(next: () => number): Float32Array;
}

export interface StateInfo {
  name: string;
  shape: number[];
  init(): Float32Array;
}

export interface BuiltLayer {
  spec: LayerSpec;
  outputShape: SampleShape;
  params: ParamInfo[];
  state: StateInfo[];
  /** The layer's own activation (dense, conv2d, activation), used for the loss pairing rules. */
  activation?: ActivationSpec;
  /** channelsFirst conv2d: the model transposes its NCHW input to NHWC once, on the way in. */
  transposeInputFromChannelsFirst?: boolean;
}

/** The layer types save/load knows. Nothing else is ever rebuilt from a file. */
export type LayerType =
  | 'dense'
  | 'conv2d'
  | 'maxPooling2d'
  | 'averagePooling2d'
  | 'globalAveragePooling2d'
  | 'flatten'
  | 'reshape'
  | 'dropout'
  | 'batchNormalization'
  | 'activation';

export interface CommonLayerConfig {
  name?: string;
  /** Shape of one input sample; only meaningful on the first layer. */
  inputShape?: number[];
  /** Keras shorthand for inputShape: [inputDim]. */
  inputDim?: number;
}

export abstract class Layer {
  abstract readonly type: LayerType;
  name: string | undefined;
  readonly declaredInputShape: SampleShape | undefined;

  constructor(common: CommonLayerConfig) {
    this.name = common.name;
    if (common.inputShape !== undefined && common.inputDim !== undefined) {
      throw new OxnetError('E_CONFIG', `give inputShape or inputDim, not both (inputShape ${JSON.stringify(common.inputShape)}, inputDim ${common.inputDim})`);
    }
    if (common.inputDim !== undefined) this.declaredInputShape = [positiveInt(common.inputDim, 'inputDim')];
    else if (common.inputShape !== undefined) this.declaredInputShape = checkShape(common.inputShape, 'inputShape');
  }

  /** The layer's configuration as plain JSON, enough to rebuild it (name and inputShape included). */
  abstract getConfig(): Record<string, unknown>;

  abstract build(inputShape: SampleShape, layerIndex: number): BuiltLayer;

  protected commonConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = {};
    if (this.name !== undefined) c.name = this.name;
    if (this.declaredInputShape !== undefined) c.inputShape = [...this.declaredInputShape];
    return c;
  }
}

/** A positive integer, or E_CONFIG naming the parameter and the value. */
export function positiveInt(value: unknown, param: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new OxnetError('E_CONFIG', `${param} must be a positive integer, got ${showValue(value)}`);
  }
  return value;
}

export function nonNegativeInt(value: unknown, param: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new OxnetError('E_CONFIG', `${param} must be a non-negative integer, got ${showValue(value)}`);
  }
  return value;
}

// Buffers are indexed with 32-bit integers in both backends: one sample must stay below 2^31.
const MAX_ELEMENTS = 2 ** 31 - 1;

/** Element count of a shape, refusing counts that overflow. */
export function elementCount(shape: readonly number[], param: string): number {
  let n = 1;
  for (const d of shape) {
    n *= d;
    if (n > MAX_ELEMENTS) {
      throw new OxnetError('E_CONFIG', `${param} ${JSON.stringify(shape)} has more than ${MAX_ELEMENTS} elements`);
    }
  }
  return n;
}

export function checkShape(shape: unknown, param: string): number[] {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new OxnetError('E_CONFIG', `${param} must be a non-empty array of positive integers, got ${JSON.stringify(shape)}`);
  }
  shape.forEach((d, i) => {
    positiveInt(d, `${param}[${i}]`);
  });
  elementCount(shape, param);
  return [...shape];
}

/** n or [h, w] -> [h, w], each a positive integer. */
export function pair(value: unknown, param: string): [number, number] {
  if (typeof value === 'number') return [positiveInt(value, param), value];
  if (Array.isArray(value) && value.length === 2) return [positiveInt(value[0], `${param}[0]`), positiveInt(value[1], `${param}[1]`)];
  throw new OxnetError('E_CONFIG', `${param} must be a positive integer or [h, w], got ${showValue(value)}`);
}

export function requireRank(inputShape: SampleShape, rank: number, layer: string, hint: string): void {
  if (inputShape.length !== rank) {
    throw new OxnetError('E_CONFIG', `${layer} expects an input of rank ${rank} (${hint}), got shape ${JSON.stringify(inputShape)}`);
  }
}
