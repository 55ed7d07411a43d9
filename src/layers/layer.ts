// What a layer is: a definition (LayerDef: config check, output shape, parameter shapes and
// initializers, the backend op(s) it runs) and a Layer object users hold, apply to symbolic
// tensors and save. A layer has no weights of its own: the model built from a graph holds them,
// and a Layer applied twice in one model shares them.
import type { ActivationSpec } from '../backend/spec';
import { describe, isPlainObject } from '../args';
import { OxnetError, showValue } from '../errors';
import type { BuildContext, Built, ParamInfo, SampleShape, StateInfo } from '../graph/built';
import { applyLayer, type SymbolicTensor } from '../graph/symbolic';

export type { BuildContext, Built, BuiltNode, NodeRef, ParamInfo, SampleShape, StateInfo } from '../graph/built';

export interface LayerDef<C> {
  /** The type string saved in model files. */
  readonly type: string;
  /** 'one' input, or 'many' (two or more: the merges). */
  readonly inputs: 'one' | 'many';
  /** The config keys it knows besides name / inputShape / inputDim (others are refused). */
  readonly keys: readonly string[];
  /** Checks and completes a config (defaults filled in); refuses bad values with E_CONFIG. */
  config(raw: Record<string, unknown>): C;
  /** Output shape, parameters and backend nodes for inputs of `shapes`; E_CONFIG naming ctx.where. */
  build(config: C, shapes: SampleShape[], ctx: BuildContext): Built;
}

export interface CommonLayerConfig {
  name?: string;
  /** Shape of one input sample; only meaningful on the first layer of a Sequential. */
  inputShape?: number[];
  /** Keras shorthand for inputShape: [inputDim]. */
  inputDim?: number;
}

const COMMON_KEYS = ['name', 'inputShape', 'inputDim'];

export class Layer<C = unknown> {
  readonly type: string;
  /** The layer's settings with every default filled in (what save writes, with the name). */
  readonly config: Readonly<C>;
  name: string | undefined;
  readonly declaredInputShape: SampleShape | undefined;
  readonly def: LayerDef<C>;

  constructor(def: LayerDef<C>, raw: unknown) {
    const d = def as Partial<LayerDef<C>> | null;
    if (
      !isPlainObject(d) ||
      typeof d.type !== 'string' ||
      (d.inputs !== 'one' && d.inputs !== 'many') ||
      !Array.isArray(d.keys) ||
      typeof d.config !== 'function' ||
      typeof d.build !== 'function'
    ) {
      throw new OxnetError(
        'E_ARG',
        `Layer takes a layer definition { type, inputs, keys, config, build } (or use layers.dense(...) and the other factories), got ${describe(def)}`,
      );
    }
    this.def = def;
    this.type = def.type;
    if (raw !== undefined && !isPlainObject(raw)) {
      throw new OxnetError('E_CONFIG', `${def.type} takes a config object, got ${describe(raw)}`);
    }
    const all = (raw ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(all).filter((k) => !COMMON_KEYS.includes(k) && !def.keys.includes(k));
    if (unknown.length) {
      throw new OxnetError(
        'E_CONFIG',
        `${def.type}: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; known: ${[...def.keys, ...COMMON_KEYS].join(', ')}`,
      );
    }
    const { name, inputShape, inputDim, ...rest } = all;
    if (name !== undefined && (typeof name !== 'string' || name === '' || name.includes('/'))) {
      throw new OxnetError('E_CONFIG', `${def.type} name must be a non-empty string without '/', got ${showValue(name)}`);
    }
    this.name = name as string | undefined;
    if (inputShape !== undefined && inputDim !== undefined) {
      throw new OxnetError('E_CONFIG', `give inputShape or inputDim, not both (inputShape ${showValue(inputShape)}, inputDim ${showValue(inputDim)})`);
    }
    if (inputDim !== undefined) this.declaredInputShape = [positiveInt(inputDim, 'inputDim')];
    else if (inputShape !== undefined) this.declaredInputShape = checkShape(inputShape, 'inputShape');
    this.config = Object.freeze(def.config(rest));
  }

  /** Applies the layer to a symbolic tensor (or several, for a merge): a new symbolic tensor. */
  apply(x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
    return applyLayer(this, x);
  }

  /** The layer's configuration as plain JSON, enough to rebuild it (name and inputShape included). */
  getConfig(): Record<string, unknown> {
    const c: Record<string, unknown> = structuredClone(this.config) as Record<string, unknown>;
    if (this.name !== undefined) c.name = this.name;
    if (this.declaredInputShape !== undefined) c.inputShape = [...this.declaredInputShape];
    return c;
  }

  /** Resolves the layer for inputs of these shapes (shape checks name `ctx.where`). */
  build(shapes: SampleShape[], ctx: BuildContext): Built {
    if (this.def.inputs === 'one' && shapes.length !== 1) {
      throw new OxnetError('E_CONFIG', `${ctx.where} (${this.type}) takes one input, got ${shapes.length}`);
    }
    if (this.def.inputs === 'many' && shapes.length < 2) {
      throw new OxnetError('E_CONFIG', `${ctx.where} (${this.type}) merges at least two inputs, got ${shapes.length}`);
    }
    return this.def.build(this.config as C, shapes, ctx);
  }
}

/** One node reading every input of the layer and using all its parameters and state. */
export function single(
  op: { readonly type: string },
  shape: SampleShape,
  params: ParamInfo[],
  state: StateInfo[],
  inputs: number,
  activation?: ActivationSpec,
): Built {
  return {
    outputShape: shape,
    params,
    state,
    nodes: [{ op, inputs: Array.from({ length: inputs }, (_, i) => ({ input: i })), params: params.map((_, i) => i), state: state.map((_, i) => i), shape }],
    activation,
  };
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

/** A finite number in the range `ok` accepts, or E_CONFIG naming the parameter and the rule. */
export function numberIn(value: unknown, param: string, ok: (v: number) => boolean, rule: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) {
    throw new OxnetError('E_CONFIG', `${param} must be ${rule}, got ${showValue(value)}`);
  }
  return value;
}

export function bool(value: unknown, param: string): boolean {
  if (typeof value !== 'boolean') throw new OxnetError('E_CONFIG', `${param} must be true or false, got ${showValue(value)}`);
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
    throw new OxnetError('E_CONFIG', `${param} must be a non-empty array of positive integers, got ${showValue(shape)}`);
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

export function requireRank(inputShape: SampleShape, rank: number, ctx: BuildContext, hint: string): void {
  if (inputShape.length !== rank) {
    throw new OxnetError('E_CONFIG', `${ctx.where} expects an input of rank ${rank} (${hint}), got shape ${JSON.stringify(inputShape)}`);
  }
}

/** Floats per sample of a shape (already checked). */
export function size(shape: readonly number[]): number {
  return shape.reduce((a, d) => a * d, 1);
}
