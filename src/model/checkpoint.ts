// Checkpoints: a model file (snapshot.ts) plus everything a run needs to go on as if it had never
// stopped: the optimizer's moments, the step, the epoch counter, the learning rate in effect, the
// fit's seed and settings, and the callbacks' states. Random streams are not stored as generator
// states: dropout masks are a pure function of (fit seed, step, layer) and each epoch's shuffle of
// (fit seed, epochsTrained) (src/model/seeds.ts, src/random.ts), so those numbers are stored. A
// checkpoint is also an ordinary model file: loadModel reads its weights.
import * as arg from '../args';
import { normalizerFromJSON } from '../data/normalize';
import { OxnetError } from '../errors';
import {
  CHECKPOINT_VERSION,
  type CallbackState,
  type CheckpointHeader,
  checkCheckpointHeader,
  decodeCallbackState,
  encodeCallbackState,
  type FitCheckpoint,
  momentName,
} from '../io/checkpoint';
import type { DecodedModelFile, Named } from '../io/format';
import { type ModelSnapshot, readModelFile, writeModelFile } from '../io/save';
import type { Callback } from './callbacks';
import { type Snapshotable, takeSnapshot } from './snapshot';

/** What checkpoints read and write of a model (src/model/model.ts's Model). */
export interface Checkpointable extends Snapshotable {
  step: number;
  epochsTrained: number;
  learningRate: number;
  stopTraining: boolean;
  getOptimizerState(): Float32Array[];
  setOptimizerState(state: Float32Array[]): void;
  setWeights(weights: Float32Array[]): void;
  setState(state: Float32Array[]): void;
  setNormalizer(normalizers: (ReturnType<typeof normalizerFromJSON> | null)[]): unknown;
}

/** A checkpoint read from a file (readCheckpoint), ready for model.restore or fit's resumeFrom. */
export class Checkpoint {
  /** @internal */
  constructor(
    /** @internal */ readonly file: DecodedModelFile,
    readonly state: CheckpointHeader,
    /** The path (or name) it was read from. */
    readonly source: string,
  ) {}

  /** The epoch a resumed fit runs next (its initialEpoch): the epochs the model had trained when saved outside fit. */
  get epoch(): number {
    return this.state.fit?.epoch ?? this.state.epochsTrained;
  }

  get step(): number {
    return this.state.step;
  }
}

/** What a running fit tells its checkpoints (fit.ts opens and closes it). */
export interface FitRun extends Omit<FitCheckpoint, 'stopTraining' | 'callbacks'> {
  callbacks: Callback[];
}

const runs = new WeakMap<object, FitRun>();
/** The checkpoint restore() put into a model, for a next fit with its epoch as initialEpoch. */
const restored = new WeakMap<object, { checkpoint: Checkpoint; step: number; epochsTrained: number }>();

/** @internal fit.ts: the run checkpoints written during this fit record (its epoch moved on by fit). */
export function beginFit(model: object, run: FitRun): void {
  runs.set(model, run);
}

/** @internal */
export function endFit(model: object): void {
  runs.delete(model);
}

/** The model's snapshot with the checkpoint header and the moments (and callbacks' tensors) as extra tensors. */
export function takeCheckpoint(model: Checkpointable): ModelSnapshot {
  if (!model.compileConfig) throw new OxnetError('E_STATE', "saveCheckpoint: compile the model first (a checkpoint holds the optimizer's state)");
  const snap = takeSnapshot(model);
  const weights = model.weightsInfo();
  const moments = model.getOptimizerState();
  const slots = weights.length ? moments.length / weights.length : 0;
  const extra: Named[] = moments.map((m, k) => {
    const w = weights[Math.floor(k / slots)];
    return { name: momentName(w.name, k % slots, slots), shape: [...w.shape], values: m };
  });
  const run = runs.get(model);
  let fit: FitCheckpoint | undefined;
  if (run) {
    const { callbacks: list, ...settings } = run;
    const callbacks: FitCheckpoint['callbacks'] = [];
    list.forEach((c, index) => {
      if (typeof c.getState !== 'function') return;
      const { json, tensors } = encodeCallbackState(index, c.getState(), `fit callbacks[${index}]`);
      callbacks.push({ index, state: json });
      extra.push(...tensors);
    });
    fit = { ...settings, stopTraining: model.stopTraining, callbacks };
  }
  const checkpoint: CheckpointHeader = {
    version: CHECKPOINT_VERSION,
    step: model.step,
    epochsTrained: model.epochsTrained,
    learningRate: model.learningRate,
    optimizerSlots: slots,
    ...(fit ? { fit } : {}),
  };
  return { ...snap, header: { ...snap.header, checkpoint: checkpoint as unknown as Record<string, unknown> }, extra };
}

/** Writes `model`'s checkpoint to `path` atomically (temp file + rename: a reader sees the old file or the new one). */
export function writeCheckpoint(model: Checkpointable, path: string): void {
  writeModelFile(path, takeCheckpoint(model));
}

/** Reads and checks a checkpoint file: E_IO when unreadable, E_FORMAT when damaged, truncated or not a checkpoint. */
export function readCheckpoint(path: string): Checkpoint {
  arg.path(path, 'readCheckpoint');
  const file = readModelFile(path, 'readCheckpoint');
  if (file.version < 2) throw new OxnetError('E_FORMAT', `${path}: a version-${file.version} model file holds no training state`);
  return new Checkpoint(file, checkCheckpointHeader(file.header.checkpoint, path), path);
}

/** JSON with object keys sorted: configs compared whatever order they were written in. */
function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(
          Object.keys(x)
            .sort()
            .map((k) => [k, (x as Record<string, unknown>)[k]]),
        )
      : x,
  );
}

/** Refuses (E_CONFIG, saying what differs) a checkpoint of another architecture, optimizer or loss. */
function checkCompatible(model: Checkpointable, file: DecodedModelFile, source: string): void {
  const differs = (what: string) => new OxnetError('E_CONFIG', `${source}: the checkpoint does not fit this model: ${what}`);
  const tensors = (what: string, mine: { name: string; shape: number[] }[], theirs: Named[]) => {
    if (mine.length !== theirs.length) {
      throw differs(
        `${theirs.length} ${what} tensors in the checkpoint (${theirs.map((t) => t.name).join(', ')}), ${mine.length} in the model (${mine.map((t) => t.name).join(', ')})`,
      );
    }
    mine.forEach((m, i) => {
      const t = theirs[i];
      if (stable(m.shape) !== stable(t.shape))
        throw differs(`${what} ${i} is ${t.name} ${stable(t.shape)} in the checkpoint, ${m.name} ${stable(m.shape)} in the model`);
    });
  };
  tensors('weight', model.weightsInfo(), file.weights);
  tensors('state', model.stateInfo(), file.state);
  const theirLayers = file.header.graph?.layers ?? [];
  const myLayers = model.graph.layers;
  if (theirLayers.length !== myLayers.length) {
    throw differs(
      `${theirLayers.length} layers in the checkpoint (${theirLayers.map((l) => l?.type).join(', ')}), ${myLayers.length} in the model (${myLayers.map((l) => l.layer.type).join(', ')})`,
    );
  }
  myLayers.forEach((l, i) => {
    const mine = { type: l.layer.type, config: { ...l.layer.getConfig(), name: undefined } };
    const t = theirLayers[i];
    const theirs = t && { type: t.type, config: { ...t.config, name: undefined } };
    if (stable(mine) !== stable(theirs)) throw differs(`layer ${i} is ${stable(theirs)} in the checkpoint, ${stable(mine)} in the model`);
  });
  const compiled = model.compileConfig!;
  const theirs = file.header.compile ?? {};
  if (stable(theirs.optimizer) !== stable(compiled.optimizer))
    throw differs(`optimizer ${stable(theirs.optimizer)} in the checkpoint, ${stable(compiled.optimizer)} in the model`);
  if (stable(theirs.losses) !== stable(compiled.losses))
    throw differs(`losses ${stable(theirs.losses)} in the checkpoint, ${stable(compiled.losses)} in the model`);
  if (stable(theirs.lossWeights) !== stable(compiled.lossWeights))
    throw differs(`lossWeights ${stable(theirs.lossWeights)} in the checkpoint, ${stable(compiled.lossWeights)} in the model`);
  // Absent in a file: float32 (written only when bfloat16).
  const theirPrecision = theirs.precision ?? 'float32';
  if (theirPrecision !== compiled.precision)
    throw differs(
      `precision ${JSON.stringify(theirPrecision)} in the checkpoint, ${JSON.stringify(compiled.precision)} in the model: compile with the precision it was trained in`,
    );
}

/**
 * Puts a checkpoint into a compiled model of the same architecture, optimizer and losses: weights,
 * state, normalizers, optimizer moments, step, epoch counter and learning rate. Anything else is
 * refused before the model is touched (E_CONFIG naming what differs).
 */
export function restoreCheckpoint(model: Checkpointable, from: string | Checkpoint, forNextFit = true): Checkpoint {
  if (typeof from !== 'string' && !(from instanceof Checkpoint))
    throw new OxnetError('E_ARG', `restore takes a checkpoint path or readCheckpoint's result, got ${arg.describe(from)}`);
  const ckpt = typeof from === 'string' ? readCheckpoint(from) : from;
  const { file, state: c, source } = ckpt;
  if (!model.compileConfig)
    throw new OxnetError('E_STATE', `restore: compile the model first, with the checkpoint's optimizer ${stable(file.header.compile?.optimizer)}`);
  checkCompatible(model, file, source);
  const weights = model.weightsInfo();
  const slots = c.optimizerSlots;
  const extra = new Map(file.extra.map((t) => [t.name, t]));
  const moments = file.weights.flatMap((w) =>
    Array.from({ length: slots }, (_, s) => {
      const t = extra.get(momentName(w.name, s, slots));
      if (!t || t.values.length !== w.values.length)
        throw new OxnetError('E_FORMAT', `${source}: the moment ${momentName(w.name, s, slots)} is missing or mis-sized`);
      return t.values;
    }),
  );
  const expected = model.getOptimizerState().length;
  if (moments.length !== expected) {
    throw new OxnetError(
      'E_CONFIG',
      `${source}: the checkpoint holds ${slots} moment(s) per weight, this model's optimizer keeps ${expected / Math.max(weights.length, 1)}`,
    );
  }
  const normalizers = file.header.normalizers ?? model.graph.inputs.map(() => null);
  if (!Array.isArray(normalizers) || normalizers.length !== model.graph.inputs.length)
    throw new OxnetError('E_FORMAT', `${source}: the checkpoint's normalizers are not one per input`);
  // Parse before changing anything: a bad normalizer leaves the model as it was.
  const parsed = normalizers.map((n) => {
    try {
      return n === null ? null : normalizerFromJSON(n);
    } catch (e) {
      throw new OxnetError('E_FORMAT', `${source}: stored normalizer is invalid: ${(e as Error).message}`, { cause: e });
    }
  });
  const callbackStates = (c.fit?.callbacks ?? []).map((cb) => decodeCallbackState(cb.index, cb.state, extra, source));
  model.setWeights(file.weights.map((w) => w.values));
  model.setState(file.state.map((s) => s.values));
  model.setNormalizer(parsed);
  model.setOptimizerState(moments);
  model.step = c.step;
  model.epochsTrained = c.epochsTrained;
  model.learningRate = c.learningRate;
  decoded.set(ckpt, callbackStates);
  if (forNextFit) restored.set(model, { checkpoint: ckpt, step: c.step, epochsTrained: c.epochsTrained });
  return ckpt;
}

const decoded = new WeakMap<Checkpoint, CallbackState[]>();

/**
 * @internal fit.ts: the checkpoint this fit resumes: `resumeFrom` (read here; fit restores it once
 * its options passed), or the one model.restore() put in when this fit's initialEpoch is its epoch
 * and nothing trained since (null: none).
 */
export function resumedCheckpoint(
  model: Checkpointable,
  resumeFrom: unknown,
  initialEpoch: number | undefined,
): { checkpoint: Checkpoint; restored: boolean } | null {
  const left = restored.get(model);
  restored.delete(model);
  if (resumeFrom !== undefined) {
    if (typeof resumeFrom !== 'string' && !(resumeFrom instanceof Checkpoint))
      throw new OxnetError('E_ARG', `fit resumeFrom must be a checkpoint path or readCheckpoint's result, got ${arg.describe(resumeFrom)}`);
    return { checkpoint: typeof resumeFrom === 'string' ? readCheckpoint(resumeFrom) : resumeFrom, restored: false };
  }
  if (left && initialEpoch === left.checkpoint.epoch && model.step === left.step && model.epochsTrained === left.epochsTrained)
    return { checkpoint: left.checkpoint, restored: true };
  return null;
}

type RunSetting = 'batchSize' | 'shuffle' | 'samples' | 'validationSplit' | 'clipNorm';

/**
 * @internal fit.ts: refuses a resumed fit that would train unlike the stopped one (E_CONFIG naming
 * the setting): the settings in `keys`, and the callbacks with state when given.
 */
export function checkResumedRun(ckpt: Checkpoint, run: Partial<Pick<FitRun, RunSetting>>, keys: readonly RunSetting[], callbacks?: Callback[]): void {
  const saved = ckpt.state.fit;
  if (!saved) return;
  for (const key of keys) {
    if (saved[key] !== run[key]) {
      throw new OxnetError(
        'E_CONFIG',
        `${ckpt.source}: the checkpoint's run had ${key} ${String(saved[key])}, this fit has ${String(run[key])}; resume with the stopped run's data and settings`,
      );
    }
  }
  if (!callbacks) return;
  const stateful = callbacks.flatMap((c, i) => (typeof c.getState === 'function' ? [i] : []));
  for (const i of stateful) {
    if (typeof callbacks[i].setState !== 'function')
      throw new OxnetError('E_CONFIG', `fit callbacks[${i}] has getState but no setState: a resumed fit cannot put its state back`);
  }
  const stored = saved.callbacks.map((c) => c.index);
  if (stable(stateful) !== stable(stored)) {
    throw new OxnetError(
      'E_CONFIG',
      `${ckpt.source}: the checkpoint holds the states of callbacks [${stored.join(', ')}], this fit's callbacks with state are [${stateful.join(', ')}]; resume with the stopped run's callbacks`,
    );
  }
}

/** @internal fit.ts, after onTrainBegin: the callbacks' states and the stop flag as the checkpoint left them. */
export function restoreRunState(ckpt: Checkpoint, model: Checkpointable, callbacks: Callback[]): void {
  const saved = ckpt.state.fit;
  if (!saved) return;
  const states = decoded.get(ckpt) ?? [];
  saved.callbacks.forEach((c, k) => {
    callbacks[c.index].setState?.(states[k]);
  });
  model.stopTraining = saved.stopTraining;
}
