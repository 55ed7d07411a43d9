// importTfjs: a TensorFlow.js Layers model (model.json + weight shards, as tfjs's
// model.save('file://...') writes them) -> an oxnet functional Model with tfjs's weights, ready
// to predict, evaluate, or compile and fit. Both are NHWC with HWIO kernels, so weights map one to
// one by name; batch norm's moving mean and variance become the model's state.
import { readFile } from 'node:fs/promises';
import { isPlainObject } from '../../args';
import type { BackendName } from '../../backend';
import { OxnetError, showValue } from '../../errors';
import { type Model, model } from '../../model/model';
import { parseTopology } from './topology';
import { readWeights } from './weights';

export interface ImportTfjsOptions {
  /** Seeds the model (dropout masks and fit's shuffling); default 0. */
  seed?: number;
  backend?: BackendName;
}

async function readModelJson(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new OxnetError('E_IO', `importTfjs: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new OxnetError('E_FORMAT', `importTfjs: ${path} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  if (!isPlainObject(json) || json.modelTopology === undefined || json.weightsManifest === undefined) {
    throw new OxnetError('E_FORMAT', `importTfjs: ${path} must be a tfjs model.json with modelTopology and weightsManifest`);
  }
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw new OxnetError(
      'E_CONFIG',
      `importTfjs: ${path} is a ${showValue(json.format)}; importTfjs reads tfjs Layers models ('layers-model'), not graph models`,
    );
  }
  return json;
}

/** Loads a tfjs Layers model.json and its weight shards as an oxnet Model. */
export async function importTfjs(modelJsonPath: string, options: ImportTfjsOptions = {}): Promise<Model> {
  if (typeof modelJsonPath !== 'string' || modelJsonPath === '')
    throw new OxnetError('E_ARG', `importTfjs takes the path of a model.json, got ${showValue(modelJsonPath)}`);
  if (!isPlainObject(options as unknown)) throw new OxnetError('E_ARG', `importTfjs options must be { seed?, backend? }, got ${showValue(options)}`);
  const extra = Object.keys(options).filter((k) => k !== 'seed' && k !== 'backend');
  if (extra.length) throw new OxnetError('E_ARG', `importTfjs: unknown option ${extra.map((k) => `'${k}'`).join(', ')}; known: seed, backend`);
  const json = await readModelJson(modelJsonPath);
  const graph = parseTopology(json.modelTopology, modelJsonPath);
  const weights = await readWeights(json.weightsManifest, modelJsonPath);
  const net = model({ inputs: graph.inputs, outputs: graph.outputs, name: graph.name, seed: options.seed ?? 0, backend: options.backend });

  // oxnet names a tensor `layer/param`; tfjs `layer/weight`, with the per-layer renames of layers.ts.
  const used = new Set<string>();
  const lookup = (info: { name: string; shape: number[] }[], kind: string) =>
    info.map(({ name, shape }) => {
      const [layer, param] = name.split('/');
      const renames = graph.layers.get(layer)?.weightNames ?? {};
      const tfjsName = `${layer}/${Object.keys(renames).find((k) => renames[k] === param) ?? param}`;
      const w = weights.get(tfjsName);
      if (!w)
        throw new OxnetError('E_FORMAT', `importTfjs: ${modelJsonPath} has no weight '${tfjsName}' (the ${kind} ${name} of shape ${JSON.stringify(shape)})`);
      if (JSON.stringify(w.shape) !== JSON.stringify(shape)) {
        throw new OxnetError(
          'E_FORMAT',
          `importTfjs: weight '${tfjsName}' has shape ${JSON.stringify(w.shape)}, oxnet's ${name} needs ${JSON.stringify(shape)}`,
        );
      }
      used.add(tfjsName);
      return w.data;
    });
  const params = lookup(net.weightsInfo(), 'parameter');
  const state = lookup(net.stateInfo(), 'state');
  const unused = [...weights.keys()].filter((k) => !used.has(k));
  if (unused.length) throw new OxnetError('E_FORMAT', `importTfjs: ${modelJsonPath} has weights no oxnet layer takes: ${unused.join(', ')}`);
  net.setWeights(params);
  if (state.length) net.setState(state);
  return net;
}
