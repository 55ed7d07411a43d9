// saveModel / loadModel: one .oxnet file (see format.ts), written atomically.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { normalizerFromJSON } from '../data/normalize';
import { OxnetError } from '../errors';
import { layerFromConfig, type Layer } from '../layers';
import { Sequential } from '../model/sequential';
import { decodeModelFile, encodeModelFile, type Named } from './format';

/** Larger files are refused before any byte is read. */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** Serializes the model: topology, weights, batch-norm state, normalizer, compile settings. */
export function modelToBytes(model: Sequential): Uint8Array {
  const topo = model.topology();
  const weights = model.getWeights();
  const state = model.getState();
  const named = (info: { name: string; shape: number[] }[], values: Float32Array[]): Named[] => info.map((t, i) => ({ ...t, values: values[i] }));
  const compiled = model.compileConfig;
  return encodeModelFile(
    {
      format: 'oxnet-model',
      inputShape: topo.inputShape,
      layers: topo.layers,
      seed: model.seed,
      ...(model.getNormalizer() ? { normalizer: model.getNormalizer()!.toJSON() } : {}),
      ...(compiled ? { compile: compiled } : {}),
    },
    named(model.weightsInfo(), weights),
    named(model.stateInfo(), state),
  );
}

/** Writes `path` atomically: a temp file in the same folder, fsync, then rename over the target. */
export function saveModel(model: Sequential, path: string): void {
  const bytes = modelToBytes(model);
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w', 0o644);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
    syncFolder(dirname(path));
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist
    }
    throw new OxnetError('E_IO', `saveModel: cannot write ${path}: ${(e as Error).message}`, { cause: e });
  }
  removeStaleTemps(path);
}

/**
 * Removes temp files that earlier saves to `path` left behind when their process was killed
 * mid-save: only names of our own pattern, only of processes that no longer run (a save in
 * progress elsewhere, or in this process, keeps its file). Best effort.
 */
function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) ? Number(/^(\d+)-\d+$/.exec(name.slice(prefix.length))?.[1]) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processRuns(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone already, or not ours to remove
    }
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // runs, under another user
  }
}

/** Makes the rename itself durable; some platforms (Windows) cannot open a folder, which is fine. */
function syncFolder(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: the file's own contents are already synced
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Reads a model written by saveModel. Damaged or inconsistent files -> OxnetError('E_FORMAT'). */
export function loadModel(path: string): Sequential {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new OxnetError('E_IO', `loadModel: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (size > MAX_FILE_BYTES) throw new OxnetError('E_FORMAT', `loadModel: ${path} is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
  return modelFromBytes(new Uint8Array(readFileSync(path)), path);
}

export function modelFromBytes(bytes: Uint8Array, source = 'model bytes'): Sequential {
  const { header, weights, state } = decodeModelFile(bytes, source);
  const layers = header.layers.map((l, i) => {
    if (!l || typeof l !== 'object') throw new OxnetError('E_FORMAT', `${source}: layer ${i} is not an object`);
    return layerFromConfig(l.type, l.config, 'E_FORMAT');
  });
  checkDeclaredSizes(layers, header.inputShape, weights, state, source);
  let model: Sequential;
  try {
    model = new Sequential({ seed: header.seed, layers });
    model.build();
  } catch (e) {
    throw new OxnetError('E_FORMAT', `${source}: the topology does not build: ${(e as Error).message}`, { cause: e });
  }
  if (JSON.stringify(model.inputShape) !== JSON.stringify(header.inputShape)) {
    throw new OxnetError(
      'E_FORMAT',
      `${source}: inputShape ${JSON.stringify(header.inputShape)} does not match the first layer's ${JSON.stringify(model.inputShape)}`,
    );
  }
  const compile = (header as { compile?: { loss: string; optimizer: object } }).compile;
  if (compile) {
    try {
      model.compile({ loss: compile.loss as never, optimizer: compile.optimizer as never });
    } catch (e) {
      throw new OxnetError('E_FORMAT', `${source}: stored compile settings are invalid: ${(e as Error).message}`, { cause: e });
    }
  }
  model.setWeights(matchManifest(model.weightsInfo(), weights, 'weights', source));
  model.setState(matchManifest(model.stateInfo(), state, 'state', source));
  if (header.normalizer !== undefined) {
    try {
      model.setNormalizer(normalizerFromJSON(header.normalizer));
    } catch (e) {
      throw new OxnetError('E_FORMAT', `${source}: stored normalizer is invalid: ${(e as Error).message}`, { cause: e });
    }
  }
  return model;
}

/** The stored tensors in the model's order, refusing missing, extra or mis-shaped ones. */
function matchManifest(expected: { name: string; shape: number[] }[], stored: Named[], what: string, source: string): Float32Array[] {
  if (stored.length !== expected.length) {
    throw new OxnetError(
      'E_FORMAT',
      `${source}: ${stored.length} ${what} tensors stored, the topology has ${expected.length} (${expected.map((e) => e.name).join(', ')})`,
    );
  }
  return expected.map((e, i) => {
    const s = stored[i];
    if (s.name !== e.name || JSON.stringify(s.shape) !== JSON.stringify(e.shape)) {
      throw new OxnetError(
        'E_FORMAT',
        `${source}: ${what}[${i}] is ${s.name} ${JSON.stringify(s.shape)}, the topology expects ${e.name} ${JSON.stringify(e.shape)}`,
      );
    }
    return s.values;
  });
}

/**
 * Before building (which allocates every parameter), the topology's parameter and state sizes
 * must not exceed what the file stores: the stored tensors were bounded by the payload, so nothing
 * is allocated from a size the file merely declares (units: 1e9 in an edited header).
 */
function checkDeclaredSizes(layers: Layer[], inputShape: unknown, weights: Named[], state: Named[], source: string): void {
  const stored = (list: Named[]) => list.reduce((a, t) => a + t.values.length, 0);
  let shape = layers[0]?.declaredInputShape;
  if (!shape) return; // Sequential.build refuses this with a clear message
  let params = 0;
  let states = 0;
  try {
    layers.forEach((layer, i) => {
      const b = layer.build(shape!, i);
      params += b.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
      states += b.state.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
      shape = b.outputShape;
    });
  } catch (e) {
    throw new OxnetError('E_FORMAT', `${source}: the topology does not build: ${(e as Error).message}`, { cause: e });
  }
  // Smaller is safe to build; matchManifest then names the tensor that differs.
  if (params > stored(weights) || states > stored(state)) {
    throw new OxnetError(
      'E_FORMAT',
      `${source}: the topology (inputShape ${JSON.stringify(inputShape)}) expects ${params} weights and ${states} state values, the file stores ${stored(weights)} and ${stored(state)}`,
    );
  }
}
