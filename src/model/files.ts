// saveModel / loadModel: a model's snapshot to one .oxnet file, and a model built back from one
// (format version 2, a graph; and version 1, the chain-only files of earlier versions). Nothing is
// allocated from a size the file merely declares: the topology is resolved and its parameter count
// compared with the tensors actually stored before any weight array is made.
import * as arg from '../args';
import { normalizerFromJSON } from '../data/normalize';
import { OxnetError } from '../errors';
import { buildGraph, type ModelGraph } from '../graph/graph';
import { input, type SymbolicTensor } from '../graph/symbolic';
import { decodeModelFile, type DecodedModelFile, type GraphTopology, type Named } from '../io/format';
import { readModelFile, snapshotToBytes, writeModelFile } from '../io/save';
import { type Layer, layerFromConfig } from '../layers';
import { Checkpoint, readCheckpoint, restoreCheckpoint, writeCheckpoint } from './checkpoint';
import { Model } from './model';
import { Sequential } from './sequential';
import { takeSnapshot } from './snapshot';

/** Writes the model to one .oxnet file (atomically: a reader sees the old file or the new one). */
export function saveModel(model: Model, path: string): void {
  if (!(model instanceof Model)) throw new OxnetError('E_ARG', `saveModel: model must be an oxnet model, got ${arg.describe(model)}`);
  arg.path(path, 'saveModel');
  writeModelFile(path, takeSnapshot(model));
}

/** Reads a model written by saveModel. Damaged or inconsistent files -> OxnetError('E_FORMAT'). */
export function loadModel(path: string): Model {
  arg.path(path, 'loadModel');
  return modelFromFile(readModelFile(path), path);
}

/** Writes a checkpoint of the model (atomically): its file plus the training state; see model.saveCheckpoint. */
export function saveCheckpoint(model: Model, path: string): void {
  if (!(model instanceof Model)) throw new OxnetError('E_ARG', `saveCheckpoint: model must be an oxnet model, got ${arg.describe(model)}`);
  arg.path(path, 'saveCheckpoint');
  writeCheckpoint(model, path);
}

/**
 * The model a checkpoint holds, built from it and restored (model.restore): weights, moments,
 * step, epoch counter, learning rate, normalizers. Its fit with the checkpoint's epoch as
 * initialEpoch (checkpoint.epoch) goes on with the stopped run's seed and callbacks' states.
 */
export function loadCheckpoint(from: string | Checkpoint): Model {
  if (typeof from !== 'string' && !(from instanceof Checkpoint))
    throw new OxnetError('E_ARG', `loadCheckpoint takes a checkpoint path or readCheckpoint's result, got ${arg.describe(from)}`);
  const ckpt = typeof from === 'string' ? readCheckpoint(from) : from;
  const model = modelFromFile(ckpt.file, ckpt.source);
  restoreCheckpoint(model, ckpt);
  return model;
}

export function modelToBytes(model: Model): Uint8Array {
  if (!(model instanceof Model)) throw new OxnetError('E_ARG', `modelToBytes: model must be an oxnet model, got ${arg.describe(model)}`);
  return snapshotToBytes(takeSnapshot(model));
}

export function modelFromBytes(bytes: Uint8Array, source = 'model bytes'): Model {
  arg.bytes(bytes, 'modelFromBytes: bytes');
  arg.string(source, 'modelFromBytes: source');
  return modelFromFile(decodeModelFile(bytes, source), source);
}

const bad = (source: string, m: string, cause?: unknown) => new OxnetError('E_FORMAT', `${source}: ${m}`, cause ? { cause } : undefined);

/** Runs f, turning a refusal into E_FORMAT about the file. */
function asFormat<T>(source: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof OxnetError && e.code === 'E_FORMAT') throw e;
    throw bad(source, `${what}: ${(e as Error).message}`, e);
  }
}

function modelFromFile(file: DecodedModelFile, source: string): Model {
  const { header } = file;
  const layers = (file.version === 1 ? header.layers! : header.graph!.layers).map((l, i) => {
    if (!l || typeof l !== 'object') throw bad(source, `layer ${i} is not an object`);
    return layerFromConfig(l.type, l.config, 'E_FORMAT');
  });
  const make = file.version === 1 ? chainFromV1(layers, header.inputShape!, header.seed, source) : fromTopology(header.graph!, layers, header.seed, source);
  checkDeclaredSizes(make.graph, file.weights, file.state, source);
  const model = asFormat(source, 'the topology does not build', () => {
    const m = make.model();
    m.build();
    return m;
  });
  restoreCompile(model, header.compile, source);
  asFormat(source, 'stored weights', () => model.setWeights(matchManifest(model.weightsInfo(), file.weights, 'weights', source)));
  asFormat(source, 'stored state', () => model.setState(matchManifest(model.stateInfo(), file.state, 'state', source)));
  const normalizers = file.version === 1 ? (header.normalizer === undefined ? undefined : [header.normalizer]) : header.normalizers;
  if (normalizers !== undefined) {
    asFormat(source, 'stored normalizer is invalid', () => {
      if (!Array.isArray(normalizers)) throw new OxnetError('E_FORMAT', 'normalizers must be an array');
      model.setNormalizer(normalizers.map((n) => (n === null ? null : normalizerFromJSON(n))));
    });
  }
  return model;
}

/** Version 1: a chain of layers, the first declaring the input shape. */
function chainFromV1(layers: Layer[], inputShape: number[], seed: number, source: string): { graph: ModelGraph; model: () => Model } {
  const graph = asFormat(source, 'the topology does not build', () => {
    const first = layers[0];
    if (!first?.declaredInputShape) throw new OxnetError('E_FORMAT', 'the first layer declares no inputShape');
    if (JSON.stringify(first.declaredInputShape) !== JSON.stringify(inputShape)) {
      throw new OxnetError('E_FORMAT', `inputShape ${JSON.stringify(inputShape)} does not match the first layer's ${JSON.stringify(first.declaredInputShape)}`);
    }
    const x = input({ shape: first.declaredInputShape });
    return buildGraph(
      x,
      layers.reduce((h: SymbolicTensor, l) => l.apply(h), x),
    );
  });
  return { graph, model: () => new Sequential({ seed, layers }) };
}

/** Version 2: inputs, then each application in order (only earlier tensors may be read). */
function fromTopology(t: GraphTopology, layers: Layer[], seed: number, source: string): { graph: ModelGraph; model: () => Model } {
  if (t.kind === 'sequential') {
    const chain = t.nodes.every(
      (n, j) => n.layer === j && n.inputs.length === 1 && JSON.stringify(n.inputs[0]) === JSON.stringify(j === 0 ? { input: 0 } : { node: j - 1 }),
    );
    if (!chain || t.inputs.length !== 1 || t.nodes.length !== layers.length)
      throw bad(source, 'a sequential model must be a chain of its layers, each applied once');
    return chainFromV1(layers, (layers[0]?.declaredInputShape ?? t.inputs[0]?.shape) as number[], seed, source);
  }
  const build = () => {
    const inputs = t.inputs.map((i, k) => {
      if (!i || typeof i !== 'object') throw new OxnetError('E_FORMAT', `input ${k} is not an object`);
      return input({ shape: i.shape, name: i.name });
    });
    const outs: SymbolicTensor[] = [];
    const tensor = (r: unknown, where: string): SymbolicTensor => {
      const ref = r as { input?: unknown; node?: unknown } | null;
      if (ref && Number.isInteger(ref.input) && (ref.input as number) >= 0 && (ref.input as number) < inputs.length) return inputs[ref.input as number];
      if (ref && Number.isInteger(ref.node) && (ref.node as number) >= 0) {
        if ((ref.node as number) >= outs.length) {
          throw new OxnetError('E_FORMAT', `${where} reads node ${ref.node as number}, which is not an earlier node (a cycle, or nodes out of order)`);
        }
        return outs[ref.node as number];
      }
      throw new OxnetError('E_FORMAT', `${where} has an invalid tensor reference ${JSON.stringify(r)}`);
    };
    t.nodes.forEach((n, j) => {
      const where = `node ${j}`;
      if (!n || !Number.isInteger(n.layer) || n.layer < 0 || n.layer >= layers.length || !Array.isArray(n.inputs)) {
        throw new OxnetError('E_FORMAT', `${where} names no stored layer or has no inputs`);
      }
      const xs = n.inputs.map((r, k) => tensor(r, `${where} input ${k}`));
      outs.push(layers[n.layer].apply(xs.length === 1 && layers[n.layer].def.inputs === 'one' ? xs[0] : xs));
    });
    const outputs = t.outputs.map((r, k) => tensor(r, `output ${k}`));
    return { inputs, outputs };
  };
  const ends = asFormat(source, 'the topology does not build', build);
  const graph = asFormat(source, 'the topology does not build', () => buildGraph(ends.inputs, ends.outputs));
  const stored = graph.layers.map((l) => l.layer);
  if (stored.length !== layers.length || stored.some((l, i) => l !== layers[i])) throw bad(source, 'the stored layers are not each used, in weight order');
  return { graph, model: () => new Model({ seed, inputs: ends.inputs, outputs: ends.outputs, ...(t.name !== undefined ? { name: t.name } : {}) }) };
}

function restoreCompile(model: Model, compile: Record<string, unknown> | undefined, source: string): void {
  if (compile === undefined) return;
  asFormat(source, 'stored compile settings are invalid', () => {
    if (!compile || typeof compile !== 'object') throw new OxnetError('E_FORMAT', 'compile must be an object');
    const loss = compile.losses ?? compile.loss;
    model.compile({
      loss: loss as never,
      optimizer: compile.optimizer as never,
      ...(compile.lossWeights !== undefined ? { lossWeights: compile.lossWeights as never } : {}),
      ...(compile.metrics !== undefined ? { metrics: compile.metrics as never } : {}),
      ...(compile.precision !== undefined ? { precision: compile.precision as never } : {}),
    });
  });
}

/** The stored tensors in the model's order, refusing missing, extra or mis-shaped ones. */
function matchManifest(expected: { name: string; shape: number[] }[], stored: Named[], what: string, source: string): Float32Array[] {
  if (stored.length !== expected.length) {
    throw bad(source, `${stored.length} ${what} tensors stored, the topology has ${expected.length} (${expected.map((e) => e.name).join(', ')})`);
  }
  return expected.map((e, i) => {
    const s = stored[i];
    if (s.name !== e.name || JSON.stringify(s.shape) !== JSON.stringify(e.shape)) {
      throw bad(source, `${what}[${i}] is ${s.name} ${JSON.stringify(s.shape)}, the topology expects ${e.name} ${JSON.stringify(e.shape)}`);
    }
    return s.values;
  });
}

/**
 * Before building (which allocates every parameter), the topology's parameter and state sizes
 * must not exceed what the file stores: the stored tensors were bounded by the payload, so nothing
 * is allocated from a size the file merely declares (units: 1e9 in an edited header).
 */
function checkDeclaredSizes(graph: ModelGraph, weights: Named[], state: Named[], source: string): void {
  const stored = (list: Named[]) => list.reduce((a, t) => a + t.values.length, 0);
  const params = graph.params.reduce((a, p) => a + p.size, 0);
  const states = graph.state.reduce((a, s) => a + s.size, 0);
  // Smaller is safe to build; matchManifest then names the tensor that differs.
  if (params > stored(weights) || states > stored(state)) {
    throw bad(source, `the topology expects ${params} weights and ${states} state values, the file stores ${stored(weights)} and ${stored(state)}`);
  }
}
