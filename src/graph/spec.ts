// ModelGraph + the compiled losses -> the GraphSpec an executor runs; and the sub-graph from one
// value to the outputs (a decoder run on codes).
import type { OptimizerSpec, Precision } from '../backend/spec';
import type { GraphSpec, OutputSpec } from '../backend/types';
import { OxnetError } from '../errors';
import { type ModelGraph, valueShape, valueSize } from './graph';

/** The ops whose products the precision applies to (the others are float32 in any precision). */
const PRECISION_OPS = new Set(['dense', 'conv2d']);

/**
 * The spec of `g` with these outputs' losses (an inference-only runner: see inferenceOutputs). In
 * bfloat16 every dense and conv2d op carries `precision: 'bfloat16'`; float32 specs name none.
 */
export function graphSpec(
  g: ModelGraph,
  outputs: OutputSpec[],
  optimizer: OptimizerSpec,
  seed: number,
  clipNorm?: number,
  precision: Precision = 'float32',
): GraphSpec {
  const op = (o: ModelGraph['nodes'][number]['op']) =>
    precision === 'bfloat16' && PRECISION_OPS.has(o.type) ? { ...structuredClone(o), precision } : structuredClone(o);
  return {
    inputs: g.inputs.map((i) => ({ name: i.name, size: i.size })),
    nodes: g.nodes.map((n) => ({ name: n.name, op: op(n.op), inputs: [...n.inputs], params: [...n.params], state: [...n.state], size: n.size })),
    params: g.params.map((p) => ({ name: p.name, size: p.size })),
    state: g.state.map((s) => ({ name: s.name, size: s.size })),
    outputs: outputs.map((o) => ({ ...o })),
    optimizer: { ...optimizer },
    seed,
    ...(clipNorm !== undefined ? { clipNorm } : {}),
  };
}

/** Outputs of a runner that only predicts: any valid loss does, never from logits. */
export function inferenceOutputs(g: ModelGraph): OutputSpec[] {
  return g.outputs.map((o) => ({
    name: o.name,
    value: o.value,
    loss: 'mse',
    weight: 1,
    fromLogits: false,
    logitScale: 1,
    correct: o.size === 1 ? 'threshold' : 'argmax',
  }));
}

/** A graph whose one input is value `cut` of `g`, with the nodes after it, and where its tensors come from. */
export interface SubGraph {
  graph: ModelGraph;
  /** Index in g.params / g.state of each of the sub-graph's tensors. */
  params: number[];
  state: number[];
}

/** The nodes that compute `g`'s outputs from value `cut`; refused when an output needs a model input not through it. */
export function subGraphFrom(g: ModelGraph, cut: number, what: string): SubGraph {
  const nIn = g.inputs.length;
  const needed = new Set<number>();
  const stack = g.outputs.map((o) => o.value);
  while (stack.length) {
    const v = stack.pop()!;
    if (v === cut || needed.has(v)) continue;
    if (v < nIn) throw new OxnetError('E_ARG', `${what}: the outputs also depend on input '${g.inputs[v].name}', not only on the chosen layer's output`);
    needed.add(v);
    stack.push(...g.nodes[v - nIn].inputs);
  }
  if (needed.size === 0) throw new OxnetError('E_ARG', `${what}: the chosen layer's output is the model's output, nothing follows it`);
  const nodes = [...needed].sort((a, b) => a - b).map((v) => v - nIn);
  const remapValue = new Map<number, number>([[cut, 0]]);
  nodes.forEach((j, i) => {
    remapValue.set(nIn + j, 1 + i);
  });
  const params: number[] = [];
  const state: number[] = [];
  const remap = (ids: number[], into: number[]) =>
    ids.map((p) => {
      let k = into.indexOf(p);
      if (k < 0) k = into.push(p) - 1;
      return k;
    });
  const sub: ModelGraph = {
    inputs: [{ name: 'code', shape: [...valueShape(g, cut)], size: valueSize(g, cut), channelsFirst: false }],
    nodes: nodes.map((j) => {
      const n = g.nodes[j];
      return { ...n, inputs: n.inputs.map((v) => remapValue.get(v)!), params: remap(n.params, params), state: remap(n.state, state) };
    }),
    applications: [],
    params: [],
    state: [],
    layers: [],
    outputs: g.outputs.map((o) => ({ ...o, value: remapValue.get(o.value)! })),
  };
  sub.params = params.map((p) => g.params[p]);
  sub.state = state.map((s) => g.state[s]);
  return { graph: sub, params, state };
}
