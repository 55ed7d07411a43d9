// Chains of ops written the short way (the old NetworkSpec: inputSize, layers, loss, optimizer,
// seed, clipNorm) turned into the GraphSpec TypeScript would send and the initial state, like
// chain() in crates/oxnet-core/tests/common/mod.rs. Parameter lengths, state and output sizes are
// computed here per op from the docs/kernels.md formulas (not by the code under test); the output
// is paired as compile() pairs it: from logits when the loss is a from-logits one and the last op
// ends in a non-linear activation (a sigmoid's beta scales binaryCrossEntropy).
import type { Backend, GraphSpec, LossSpec, NetworkRunner, OpSpec, OptimizerSpec, OutputSpec } from '../../src/backend/types';
import type { ActivationOp } from '../../src/layers/activation';
import type { MergeOp } from '../../src/layers/merge';

/** An op of a chain: any single-input op; an activation's width defaults to its size (softmax over the sample). */
export type ChainLayer = Exclude<OpSpec, ActivationOp | MergeOp> | (Omit<ActivationOp, 'width'> & { width?: number });

export interface ChainSpec {
  inputSize: number;
  layers: ChainLayer[];
  loss: LossSpec;
  optimizer: OptimizerSpec;
  seed: number;
  clipNorm?: number;
}

export interface Chain {
  spec: GraphSpec;
  /** Initial state in GraphSpec.state order: batch norm running mean 0, variance 1. */
  state: Float32Array[];
  /** Parameter lengths in GraphSpec.params order (layer by layer: kernel, bias / gamma, beta). */
  paramSizes: number[];
  /** Floats per sample of the chain's output. */
  outputSize: number;
}

const FROM_LOGITS = ['softmaxCrossEntropy', 'binaryCrossEntropy', 'perceptron'];

/** Output size of a window over [h, w] (docs/kernels.md); 1 when the geometry is invalid, so the op's own check refuses it. */
function windowOut(inShape: number[], kernel: number[], strides: number[], padding: number[], dilation: number[], channels: number): number {
  const [h, w] = inShape;
  const oh = Math.floor((h + padding[0] + padding[1] - (dilation[0] * (kernel[0] - 1) + 1)) / strides[0]) + 1;
  const ow = Math.floor((w + padding[2] + padding[3] - (dilation[1] * (kernel[1] - 1) + 1)) / strides[1]) + 1;
  const size = oh * ow * channels;
  return Number.isInteger(size) && size > 0 ? size : 1;
}

/** Parameter lengths, initial state and output size of one op. */
export function opLayout(op: ChainLayer | OpSpec): { params: number[]; state: Float32Array[]; size: number } {
  switch (op.type) {
    case 'dense':
      return { params: op.useBias ? [op.inputs * op.units, op.units] : [op.inputs * op.units], state: [], size: op.units };
    case 'conv2d': {
      const kernel = op.kernel[0] * op.kernel[1] * op.inShape[2] * op.filters;
      const size = windowOut(op.inShape, op.kernel, op.strides, op.padding, op.dilation, op.filters);
      return { params: op.useBias ? [kernel, op.filters] : [kernel], state: [], size };
    }
    case 'maxPool2d':
    case 'avgPool2d':
      return { params: [], state: [], size: windowOut(op.inShape, op.pool, op.strides, op.padding, [1, 1], op.inShape[2]) };
    case 'globalAvgPool2d':
    case 'globalMaxPool2d':
      return { params: [], state: [], size: Number.isInteger(op.inShape[2]) && op.inShape[2] > 0 ? op.inShape[2] : 1 };
    case 'batchNorm':
      return { params: [op.channels, op.channels], state: [new Float32Array(op.channels), new Float32Array(op.channels).fill(1)], size: op.size };
    case 'layerNorm':
      return { params: [op.scale, op.center].filter(Boolean).map(() => op.width), state: [], size: op.size };
    case 'merge':
    case 'activation':
    case 'dropout':
    case 'reshape':
      return { params: [], state: [], size: op.size };
    default:
      // The chain-era tests never build these; their layouts are checked through layerCheck.
      throw new Error(`chain(): op type '${op.type}' has no layout here`);
  }
}

/** The activation a chain's last op ends in, if it has one. */
function finalActivation(op: ChainLayer) {
  return op.type === 'dense' || op.type === 'conv2d' || op.type === 'activation' ? op.activation : undefined;
}

/** The chain as a one-input, one-output GraphSpec (node j reads value j; its value is j + 1). */
export function chain(c: ChainSpec): Chain {
  const spec: GraphSpec = {
    inputs: [{ name: 'input_0', size: c.inputSize }],
    nodes: [],
    params: [],
    state: [],
    outputs: [],
    optimizer: c.optimizer,
    seed: c.seed,
    ...(c.clipNorm !== undefined ? { clipNorm: c.clipNorm } : {}),
  };
  const state: Float32Array[] = [];
  c.layers.forEach((layer, j) => {
    const op = (layer.type === 'activation' ? { ...layer, width: layer.width ?? layer.size } : layer) as OpSpec;
    const layout = opLayout(op);
    const name = `${op.type}_${j}`;
    const params = layout.params.map((size, k) => spec.params.push({ name: `${name}/p${k}`, size }) - 1);
    const st = layout.state.map((init, k) => {
      state.push(init);
      return spec.state.push({ name: `${name}/s${k}`, size: init.length }) - 1;
    });
    spec.nodes.push({ name, op, inputs: [j], params, state: st, size: layout.size });
  });
  const last = c.layers[c.layers.length - 1];
  const outputSize = spec.nodes.length ? spec.nodes[spec.nodes.length - 1].size : c.inputSize;
  if (last) {
    const act = finalActivation(last);
    const output: OutputSpec = {
      name: spec.nodes[spec.nodes.length - 1].name,
      value: c.layers.length,
      loss: c.loss.kind,
      weight: 1,
      fromLogits: FROM_LOGITS.includes(c.loss.kind) && act !== undefined && act.kind !== 'linear',
      logitScale: c.loss.kind === 'binaryCrossEntropy' && act?.kind === 'sigmoid' ? (act.beta ?? 1) : 1,
      correct: outputSize === 1 ? 'threshold' : 'argmax',
    };
    spec.outputs.push(output);
  }
  return { spec, state, paramSizes: spec.params.map((p) => p.size), outputSize };
}

/** backend.createNetwork of the chain with these parameters (and its initial state unless given). */
export function createChain(backend: Backend, c: ChainSpec, params: Float32Array[], state?: Float32Array[]): NetworkRunner {
  const ch = chain(c);
  return backend.createNetwork(ch.spec, params, state ?? ch.state);
}

/** Zero-filled parameters of the chain's lengths (for tests about wiring, not values). */
export function zeroParams(c: ChainSpec): Float32Array[] {
  return chain(c).paramSizes.map((n) => new Float32Array(n));
}
