// A tfjs Layers topology (Keras JSON: Sequential's layer list, or a functional Model's layers with
// their inbound_nodes) -> oxnet symbolic tensors: the graph of an oxnet functional model.
import { isPlainObject } from '../../args';
import { OxnetError, showValue } from '../../errors';
import { input, type SymbolicTensor } from '../../graph/symbolic';
import { mapLayer, type MappedLayer } from './layers';

export interface ImportedGraph {
  name: string | undefined;
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  /** oxnet layer name -> its tfjs weight-name mapping. */
  layers: Map<string, MappedLayer>;
}

interface LayerEntry {
  className: string;
  name: string;
  config: Record<string, unknown>;
  inbound: unknown[];
}

function entry(raw: unknown, i: number): LayerEntry {
  if (!isPlainObject(raw) || typeof raw.class_name !== 'string' || !isPlainObject(raw.config)) {
    throw new OxnetError('E_FORMAT', `modelTopology layer ${i} must be { class_name, config }, got ${showValue(raw)}`);
  }
  const name = raw.name ?? raw.config.name;
  if (typeof name !== 'string' || name === '' || name.includes('/')) {
    throw new OxnetError('E_FORMAT', `modelTopology layer ${i} (${raw.class_name}) needs a name without '/', got ${showValue(name)}`);
  }
  return { className: raw.class_name, name, config: raw.config, inbound: Array.isArray(raw.inbound_nodes) ? raw.inbound_nodes : [] };
}

/** A sample shape from Keras's batch_input_shape [null, ...dims]; dynamic dims are refused. */
function sampleShape(batchShape: unknown, where: string): number[] {
  if (!Array.isArray(batchShape) || batchShape.length < 2)
    throw new OxnetError('E_FORMAT', `${where}: batch_input_shape must be [null, ...dims], got ${showValue(batchShape)}`);
  const dims = batchShape.slice(1);
  if (!dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new OxnetError('E_CONFIG', `${where}: input shape ${showValue(batchShape)} has unknown (null) dimensions; oxnet needs every sample dimension fixed`);
  }
  return dims as number[];
}

function inputLayer(e: LayerEntry): SymbolicTensor {
  const where = `tfjs layer '${e.name}' (InputLayer)`;
  if (e.config.dtype !== undefined && e.config.dtype !== 'float32')
    throw new OxnetError('E_CONFIG', `${where}: dtype ${showValue(e.config.dtype)} is not supported by oxnet (float32 inputs only)`);
  if (e.config.sparse === true) throw new OxnetError('E_CONFIG', `${where}: sparse inputs are not supported by oxnet`);
  return input({ shape: sampleShape(e.config.batch_input_shape, where), name: e.name });
}

function sequential(config: unknown): ImportedGraph {
  const list = Array.isArray(config) ? config : isPlainObject(config) ? config.layers : undefined;
  if (!Array.isArray(list) || list.length === 0)
    throw new OxnetError('E_FORMAT', `a Sequential topology needs config.layers, a non-empty array, got ${showValue(config)}`);
  const entries = list.map(entry);
  const layers = new Map<string, MappedLayer>();
  let rest = entries;
  let x: SymbolicTensor;
  if (entries[0].className === 'InputLayer') {
    x = inputLayer(entries[0]);
    rest = entries.slice(1);
  } else {
    const shape = sampleShape(entries[0].config.batch_input_shape, `tfjs layer '${entries[0].name}' (${entries[0].className}), the first of a Sequential`);
    x = input({ shape, name: `${entries[0].name}_input` });
  }
  const first = x;
  for (const e of rest) {
    const mapped = mapLayer(e.className, e.config, e.name, x.shape.length);
    layers.set(e.name, mapped);
    x = mapped.layer.apply(x);
  }
  const name = isPlainObject(config) && typeof config.name === 'string' ? config.name : undefined;
  return { name, inputs: [first], outputs: [x], layers };
}

/** [layerName, nodeIndex, tensorIndex, kwargs?] -> a key into the produced tensors. */
function ref(raw: unknown, where: string): string {
  if (!Array.isArray(raw) || raw.length < 3 || typeof raw[0] !== 'string' || !Number.isInteger(raw[1]) || raw[2] !== 0) {
    throw new OxnetError('E_FORMAT', `${where}: a tensor reference must be [layerName, nodeIndex, 0, kwargs], got ${showValue(raw)}`);
  }
  if (raw[3] !== undefined && !(isPlainObject(raw[3]) && Object.keys(raw[3]).length === 0)) {
    throw new OxnetError('E_CONFIG', `${where}: call arguments ${showValue(raw[3])} are not supported by oxnet`);
  }
  return `${raw[0]}#${raw[1]}`;
}

function functional(config: unknown): ImportedGraph {
  if (!isPlainObject(config) || !Array.isArray(config.layers) || !Array.isArray(config.input_layers) || !Array.isArray(config.output_layers)) {
    throw new OxnetError('E_FORMAT', `a functional topology needs config.layers, input_layers and output_layers, got ${showValue(config)}`);
  }
  const entries = config.layers.map(entry);
  const tensors = new Map<string, SymbolicTensor>();
  const layers = new Map<string, MappedLayer>();
  // Each (layer, node) pending until the tensors it reads exist; tfjs lists layers in an order where this takes one pass.
  const pending: { e: LayerEntry; node: number; reads: string[] }[] = [];
  for (const e of entries) {
    if (e.className === 'InputLayer') {
      tensors.set(`${e.name}#0`, inputLayer(e));
      continue;
    }
    e.inbound.forEach((node, i) => {
      const where = `tfjs layer '${e.name}' (${e.className}) inbound node ${i}`;
      if (!Array.isArray(node) || node.length === 0)
        throw new OxnetError('E_FORMAT', `${where} must be a non-empty list of tensor references, got ${showValue(node)}`);
      pending.push({ e, node: i, reads: node.map((r) => ref(r, where)) });
    });
  }
  while (pending.length) {
    const ready = pending.findIndex((p) => p.reads.every((r) => tensors.has(r)));
    if (ready < 0) {
      const p = pending[0];
      throw new OxnetError(
        'E_FORMAT',
        `tfjs layer '${p.e.name}' reads ${p.reads.filter((r) => !tensors.has(r)).join(', ')}, which no layer produces (or the graph has a cycle)`,
      );
    }
    const [p] = pending.splice(ready, 1);
    const xs = p.reads.map((r) => tensors.get(r)!);
    // Mapped at its first application, where its input's rank is known; later ones share it (and its weights).
    if (!layers.has(p.e.name)) layers.set(p.e.name, mapLayer(p.e.className, p.e.config, p.e.name, xs[0].shape.length));
    tensors.set(`${p.e.name}#${p.node}`, layers.get(p.e.name)!.layer.apply(xs.length === 1 ? xs[0] : xs));
  }
  const ends = (list: unknown[], kind: string) =>
    list.map((r) => {
      const key = ref(r, `modelTopology ${kind}`);
      const t = tensors.get(key);
      if (!t) throw new OxnetError('E_FORMAT', `modelTopology ${kind} names ${showValue(r)}, which no layer produces`);
      return t;
    });
  return {
    name: typeof config.name === 'string' ? config.name : undefined,
    inputs: ends(config.input_layers, 'input_layers'),
    outputs: ends(config.output_layers, 'output_layers'),
    layers,
  };
}

/** modelTopology (tfjs's, or a Keras-converted one with model_config) -> the graph. */
export function parseTopology(topology: unknown, file: string): ImportedGraph {
  const t = isPlainObject(topology) && isPlainObject(topology.model_config) ? topology.model_config : topology;
  if (!isPlainObject(t) || typeof t.class_name !== 'string') {
    throw new OxnetError('E_FORMAT', `${file}: modelTopology must be a Keras model config { class_name, config }, got ${showValue(topology)}`);
  }
  if (t.class_name === 'Sequential') return sequential(t.config);
  if (t.class_name === 'Model' || t.class_name === 'Functional') return functional(t.config);
  throw new OxnetError('E_CONFIG', `${file}: model class ${showValue(t.class_name)} is not supported (importTfjs reads Sequential and Model / Functional)`);
}
