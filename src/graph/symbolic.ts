// Symbolic tensors (Keras's functional API): input({ shape }) makes one, layer.apply(x) records a
// layer application and returns its output. Each is numbered at creation, and an application can
// only read tensors that exist already, so creation order is a topological order of any graph.
import { OxnetError, showValue } from '../errors';
import type { AppliedLayer, Built, SampleShape } from './built';

let created = 0;

/** One application of a layer: its inputs, its output and the layer resolved for them. */
export interface LayerNode {
  readonly id: number;
  readonly layer: AppliedLayer;
  readonly inputs: SymbolicTensor[];
  readonly output: SymbolicTensor;
  readonly built: Built;
}

export class SymbolicTensor {
  readonly id = created++;
  constructor(
    /** Shape of one sample. */
    readonly shape: SampleShape,
    /** The layer application producing it; null for a model input. */
    readonly node: LayerNode | null,
    /** A model input's name (given or made up when the model is built). */
    readonly name?: string,
  ) {}

  /** What it is, for error messages. */
  describe(): string {
    if (!this.node) return `input${this.name ? ` '${this.name}'` : ''} ${JSON.stringify(this.shape)}`;
    return `output of ${this.node.layer.name ? `layer '${this.node.layer.name}'` : `a ${this.node.layer.type} layer`} ${JSON.stringify(this.shape)}`;
  }
}

export interface InputConfig {
  /** Shape of one sample, e.g. [28, 28, 1] or [4]. */
  shape: number[];
  name?: string;
}

/** A model input: the start of a functional graph. */
export function input(config: InputConfig): SymbolicTensor {
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new OxnetError('E_ARG', `input takes { shape, name? }, got ${showValue(config)}`);
  const { shape, name, ...rest } = config as InputConfig & Record<string, unknown>;
  if (Object.keys(rest).length)
    throw new OxnetError(
      'E_ARG',
      `input: unknown option ${Object.keys(rest)
        .map((k) => `'${k}'`)
        .join(', ')}; known: shape, name`,
    );
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new OxnetError('E_ARG', `input shape must be a non-empty array of positive integers, got ${showValue(shape)}`);
  }
  if (shape.reduce((a, d) => a * d, 1) > 2 ** 31 - 1) throw new OxnetError('E_ARG', `input shape ${JSON.stringify(shape)} has more than 2^31 - 1 elements`);
  if (name !== undefined && (typeof name !== 'string' || name === '' || name.includes('/'))) {
    throw new OxnetError('E_ARG', `input name must be a non-empty string without '/', got ${showValue(name)}`);
  }
  return new SymbolicTensor([...shape], null, name);
}

/** The first application of each layer: later ones must give the same parameter shapes. */
const firstBuild = new WeakMap<AppliedLayer, Built>();

/** layer.apply(x): resolves the layer for x's shapes and records the application. */
export function applyLayer(layer: AppliedLayer, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor {
  const xs = Array.isArray(x) ? x : [x];
  const where = `layer '${layer.name ?? layer.type}'`;
  xs.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) {
      throw new OxnetError('E_ARG', `${where}: apply takes symbolic tensors (from input() or another layer's apply), got ${showValue(t)} at position ${i}`);
    }
  });
  if (Array.isArray(x) && layer.def.inputs === 'one') {
    if (xs.length !== 1) throw new OxnetError('E_CONFIG', `${where} (${layer.type}) takes one input, got ${xs.length}`);
  }
  const built = layer.build(
    xs.map((t) => t.shape),
    { where, fromModelInput: xs.map((t) => t.node === null) },
  );
  const first = firstBuild.get(layer);
  if (first) {
    const shapes = (b: Built) => JSON.stringify([b.params.map((p) => p.shape), b.state.map((s) => s.shape)]);
    if (shapes(first) !== shapes(built)) {
      throw new OxnetError(
        'E_CONFIG',
        `${where} applied again gives parameters ${JSON.stringify(built.params.map((p) => p.shape))}, its first application ${JSON.stringify(first.params.map((p) => p.shape))}: a shared layer needs inputs of the same shape`,
      );
    }
  } else firstBuild.set(layer, built);
  const node: { -readonly [K in keyof LayerNode]: LayerNode[K] } = { id: created++, layer, inputs: xs, output: undefined as never, built };
  node.output = new SymbolicTensor(built.outputShape, node);
  return node.output;
}
