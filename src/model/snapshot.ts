// A model as plain data for a file: the graph's topology (layer types and configs, how they are
// applied), the seed, the normalizers, the compile settings and every tensor. The loader
// (files.ts) builds a model back from it; src/io/ writes and reads the bytes.
import type { ModelGraph } from '../graph/graph';
import type { Named } from '../io/format';
import type { ModelSnapshot } from '../io/save';

/** What a snapshot reads of a model (src/model/model.ts's Model). */
export interface Snapshotable {
  readonly graph: ModelGraph;
  readonly kind: 'sequential' | 'functional';
  readonly name: string | undefined;
  readonly seed: number;
  readonly inputNormalizers: ({ toJSON(): object } | null)[];
  readonly compileConfig: { losses: unknown; lossWeights: unknown; optimizer: unknown; metrics: unknown; precision: string } | null;
  weightsInfo(): { name: string; shape: number[] }[];
  stateInfo(): { name: string; shape: number[] }[];
  getWeights(): Float32Array[];
  getState(): Float32Array[];
}

type Model = Snapshotable;

/** The reference of value v in a file: a model input, or the output of layer application j. */
function ref(model: Model, v: number): { input: number } | { node: number } {
  const g = model.graph;
  if (v < g.inputs.length) return { input: v };
  const j = g.applications.findIndex((a) => a.output === v);
  return { node: j };
}

export function takeSnapshot(model: Model): ModelSnapshot {
  const g = model.graph;
  const named = (info: { name: string; shape: number[] }[], values: Float32Array[]): Named[] => info.map((t, i) => ({ ...t, values: values[i] }));
  const normalizers = model.inputNormalizers.map((n) => (n ? n.toJSON() : null));
  const compiled = model.compileConfig;
  return {
    header: {
      format: 'oxnet-model',
      graph: {
        kind: model.kind,
        ...(model.name !== undefined ? { name: model.name } : {}),
        inputs: g.inputs.map((i) => ({ name: i.name, shape: [...i.shape] })),
        layers: g.layers.map((l) => ({ type: l.layer.type, config: { ...l.layer.getConfig(), name: l.name } })),
        nodes: g.applications.map((a) => ({ layer: a.layer, inputs: a.inputs.map((v) => ref(model, v)) })),
        outputs: g.outputs.map((o) => ref(model, o.value)),
      },
      seed: model.seed,
      ...(normalizers.some((n) => n !== null) ? { normalizers } : {}),
      ...(compiled
        ? {
            compile: {
              losses: compiled.losses,
              lossWeights: compiled.lossWeights,
              optimizer: compiled.optimizer,
              metrics: compiled.metrics,
              // Only when not the default, so float32 files stay byte for byte what they were.
              ...(compiled.precision !== 'float32' ? { precision: compiled.precision } : {}),
            },
          }
        : {}),
    },
    weights: named(model.weightsInfo(), model.getWeights()),
    state: named(model.stateInfo(), model.getState()),
  };
}
