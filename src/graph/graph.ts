// A model's graph: the layer applications between its inputs and its outputs, checked (every
// output reachable from the inputs, every input used, names unique) and resolved into what the
// executors run: values numbered inputs first, backend nodes in topological order, parameters and
// state laid out layer by layer, and the outputs.
import type { ActivationSpec } from '../backend/spec';
import { OxnetError } from '../errors';
import type { OpSpec } from '../layers';
import type { Layer } from '../layers/layer';
import type { NodeRef, ParamInfo, SampleShape, StateInfo } from './built';
import { type LayerNode, SymbolicTensor } from './symbolic';

export interface GraphInput {
  name: string;
  shape: SampleShape;
  size: number;
  /** Read as [c, h, w] and transposed to NHWC on the way in (a channelsFirst conv2d reads it). */
  channelsFirst: boolean;
}

export interface GraphNode {
  name: string;
  /** Index into ModelGraph.layers. */
  layer: number;
  op: OpSpec;
  /** Value ids read. */
  inputs: number[];
  params: number[];
  state: number[];
  shape: SampleShape;
  size: number;
}

export interface GraphTensor {
  /** 'dense_1/kernel'. */
  name: string;
  shape: number[];
  size: number;
}

export interface GraphLayer {
  layer: Layer;
  name: string;
  /** First index and count of its tensors in ModelGraph.params / state. */
  params: [number, number];
  state: [number, number];
  /** Its applications: output value and shape of each. */
  applications: { value: number; shape: SampleShape }[];
  /** What its parameters are drawn from. */
  paramInfo: ParamInfo[];
  stateInfo: StateInfo[];
}

export interface GraphOutput {
  name: string;
  value: number;
  shape: SampleShape;
  size: number;
  /** The activation its producer ends in (the loss pairing reads it); undefined: none. */
  activation?: ActivationSpec;
  /** The producing layer's type, for messages. */
  layerType: string;
}

/** One application of a layer (what a model file stores): its layer and the values it reads and writes. */
export interface GraphApplication {
  layer: number;
  inputs: number[];
  output: number;
}

export interface ModelGraph {
  inputs: GraphInput[];
  /** Layer applications in topological order. */
  applications: GraphApplication[];
  nodes: GraphNode[];
  params: GraphTensor[];
  state: GraphTensor[];
  layers: GraphLayer[];
  outputs: GraphOutput[];
}

/** A value's size per sample. */
export function valueSize(g: ModelGraph, v: number): number {
  return v < g.inputs.length ? g.inputs[v].size : g.nodes[v - g.inputs.length].size;
}

export function valueShape(g: ModelGraph, v: number): SampleShape {
  return v < g.inputs.length ? g.inputs[v].shape : g.nodes[v - g.inputs.length].shape;
}

/**
 * The graph between `inputs` and `outputs`, refusing: an input that is not a model input, an
 * output not reachable from the inputs, an input no output uses, repeated tensors, and two
 * layers or inputs with one name.
 */
export function buildGraph(inputs: unknown, outputs: unknown): ModelGraph {
  const ins = tensorList(inputs, 'inputs');
  const outs = tensorList(outputs, 'outputs');
  ins.forEach((t, i) => {
    if (t.node) throw new OxnetError('E_CONFIG', `model inputs[${i}] is the ${t.describe()}, not a model input (make one with input({ shape }))`);
  });
  duplicates(ins, 'inputs');
  duplicates(outs, 'outputs');
  // Walk back from the outputs: every layer application they depend on, and the inputs reached.
  const nodes = new Map<number, LayerNode>();
  const reached = new Set<SymbolicTensor>();
  const stack = [...outs];
  while (stack.length) {
    const t = stack.pop()!;
    if (!t.node) {
      if (!ins.includes(t)) {
        const out = outs.find((o) => dependsOn(o, t));
        throw new OxnetError(
          'E_CONFIG',
          `model output ${out ? out.describe() : ''} is not reachable from the inputs: it depends on ${t.describe()}, which is not among the model's inputs`,
        );
      }
      reached.add(t);
      continue;
    }
    if (nodes.has(t.node.id)) continue;
    nodes.set(t.node.id, t.node);
    stack.push(...t.node.inputs);
  }
  ins.forEach((t, i) => {
    if (!reached.has(t)) throw new OxnetError('E_CONFIG', `model input ${i} (${t.describe()}) is used by no output`);
  });
  const order = [...nodes.values()].sort((a, b) => a.id - b.id);
  return resolve(ins, order, outs);
}

function tensorList(x: unknown, what: string): SymbolicTensor[] {
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0) throw new OxnetError('E_CONFIG', `model ${what} must hold at least one symbolic tensor`);
  list.forEach((t, i) => {
    if (!(t instanceof SymbolicTensor)) {
      throw new OxnetError('E_ARG', `model ${what}[${i}] must be a symbolic tensor (from input() or layer.apply()), got ${t === null ? 'null' : typeof t}`);
    }
  });
  return list as SymbolicTensor[];
}

function duplicates(list: SymbolicTensor[], what: string): void {
  list.forEach((t, i) => {
    const j = list.indexOf(t);
    if (j !== i) throw new OxnetError('E_CONFIG', `model ${what}[${i}] repeats ${what}[${j}] (${t.describe()})`);
  });
}

function dependsOn(from: SymbolicTensor, on: SymbolicTensor): boolean {
  const seen = new Set<SymbolicTensor>();
  const stack = [from];
  while (stack.length) {
    const t = stack.pop()!;
    if (t === on) return true;
    if (seen.has(t) || !t.node) continue;
    seen.add(t);
    stack.push(...t.node.inputs);
  }
  return false;
}

/** Names, values, backend nodes and the parameter layout of checked applications in order. */
function resolve(ins: SymbolicTensor[], order: LayerNode[], outs: SymbolicTensor[]): ModelGraph {
  // Symbolic applications are made by Layer objects (src/layers/layer.ts), the only AppliedLayer.
  const layerOf = (n: LayerNode) => n.layer as Layer;
  const layerOrder: Layer[] = [];
  for (const n of order) if (!layerOrder.includes(layerOf(n))) layerOrder.push(layerOf(n));
  const names = layerNames(layerOrder);
  const inputNames = uniqueNames(
    ins.map((t) => t.name),
    'input',
    'input',
  );
  const clash = inputNames.find((n) => [...names.values()].includes(n));
  if (clash) throw new OxnetError('E_CONFIG', `the name '${clash}' is used by an input and a layer`);
  const value = new Map<SymbolicTensor, number>();
  const inputs: GraphInput[] = ins.map((t, i) => {
    value.set(t, i);
    return { name: inputNames[i], shape: [...t.shape], size: t.shape.reduce((a, d) => a * d, 1), channelsFirst: false };
  });
  const graph: ModelGraph = { inputs, applications: [], nodes: [], params: [], state: [], layers: [], outputs: [] };
  const layerIndex = new Map<Layer, number>();
  for (const app of order) {
    const layer = layerOf(app);
    let li = layerIndex.get(layer);
    const b = app.built;
    if (li === undefined) {
      li = graph.layers.length;
      layerIndex.set(layer, li);
      const name = names.get(layer)!;
      graph.layers.push({
        layer,
        name,
        params: [graph.params.length, b.params.length],
        state: [graph.state.length, b.state.length],
        applications: [],
        paramInfo: b.params,
        stateInfo: b.state,
      });
      for (const p of b.params) graph.params.push({ name: `${name}/${p.name}`, shape: [...p.shape], size: p.shape.reduce((a, d) => a * d, 1) });
      for (const s of b.state) graph.state.push({ name: `${name}/${s.name}`, shape: [...s.shape], size: s.shape.reduce((a, d) => a * d, 1) });
    }
    const gl = graph.layers[li];
    if (b.channelsFirstInput) {
      const v = value.get(app.inputs[0])!;
      const other = order.some((o) => o !== app && o.inputs.includes(app.inputs[0]));
      if (other)
        throw new OxnetError('E_CONFIG', `layer '${gl.name}': a channelsFirst conv2d's input must feed nothing else (it is transposed to NHWC on the way in)`);
      inputs[v].channelsFirst = true;
    }
    const appIndex = gl.applications.length;
    const base = graph.nodes.length;
    const refValue = (r: NodeRef) => ('input' in r ? value.get(app.inputs[r.input])! : graph.inputs.length + base + r.node);
    b.nodes.forEach((bn, k) => {
      const last = k === b.nodes.length - 1;
      const suffix = last ? '' : `/${bn.suffix ?? `part${k}`}`;
      graph.nodes.push({
        name: `${gl.name}${appIndex > 0 ? `#${appIndex + 1}` : ''}${suffix}`,
        layer: li,
        op: bn.op as OpSpec,
        inputs: bn.inputs.map(refValue),
        params: bn.params.map((p) => gl.params[0] + p),
        state: bn.state.map((s) => gl.state[0] + s),
        shape: [...bn.shape],
        size: bn.shape.reduce((a, d) => a * d, 1),
      });
    });
    const out = graph.inputs.length + graph.nodes.length - 1;
    graph.applications.push({ layer: li, inputs: app.inputs.map((t) => value.get(t)!), output: out });
    value.set(app.output, out);
    gl.applications.push({ value: out, shape: [...b.outputShape] });
  }
  const outNames = new Map<string, number>();
  graph.outputs = outs.map((t) => {
    const v = value.get(t)!;
    const producer = t.node ? graph.layers[layerIndex.get(layerOf(t.node))!] : null;
    const base = producer ? producer.name : inputNames[v];
    const k = outNames.get(base) ?? 0;
    outNames.set(base, k + 1);
    return {
      name: k === 0 ? base : `${base}_${k}`,
      value: v,
      shape: [...t.shape],
      size: t.shape.reduce((a, d) => a * d, 1),
      activation: t.node?.built.activation,
      layerType: t.node ? t.node.layer.type : 'input',
    };
  });
  return graph;
}

/** Given names must be unique among distinct layers; the others get `${type}_${k}` not taken yet. */
function layerNames(order: Layer[]): Map<Layer, string> {
  const taken = new Map<string, Layer>();
  for (const l of order) {
    if (l.name === undefined) continue;
    if (taken.has(l.name)) throw new OxnetError('E_CONFIG', `layer name '${l.name}' is used by two layers`);
    taken.set(l.name, l);
  }
  const names = new Map<Layer, string>();
  const counters = new Map<string, number>();
  for (const l of order) {
    if (l.name !== undefined) {
      names.set(l, l.name);
      continue;
    }
    let k = counters.get(l.type) ?? 0;
    let name: string;
    do name = `${l.type}_${++k}`;
    while (taken.has(name));
    counters.set(l.type, k);
    taken.set(name, l);
    names.set(l, name);
  }
  return names;
}

function uniqueNames(given: (string | undefined)[], prefix: string, what: string): string[] {
  const taken = new Set(given.filter((n): n is string => n !== undefined));
  if (taken.size !== given.filter((n) => n !== undefined).length) {
    const dup = given.find((n, i) => n !== undefined && given.indexOf(n) !== i);
    throw new OxnetError('E_CONFIG', `${what} name '${dup}' is used twice`);
  }
  let k = 0;
  return given.map((n) => {
    if (n !== undefined) return n;
    let name: string;
    do name = `${prefix}_${++k}`;
    while (taken.has(name));
    taken.add(name);
    return name;
  });
}
