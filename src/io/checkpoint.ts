// A checkpoint is a model file (format.ts) whose header also holds the training state, and whose
// extra tensors hold the optimizer's moments and the callbacks' tensors. This module checks that
// header part and turns callback states to and from JSON + tensors; it knows data, not models.
import { OxnetError } from '../errors';
import type { Named } from './format';

export const CHECKPOINT_VERSION = 1;

/** A callback's state: plain values by key, or lists of float32 tensors (best weights). */
export type CallbackState = Record<string, number | string | boolean | null | Float32Array[]>;

/** The state of the fit that wrote the checkpoint (absent when saved outside fit). */
export interface FitCheckpoint {
  /** The fit's seed: the epoch shuffles, the validation split and the dropout masks derive from it. */
  seed: number;
  /** The epoch to run next (Keras numbering: fit's initialEpoch when resuming). */
  epoch: number;
  batchSize: number;
  shuffle: boolean;
  /** Training samples per epoch. */
  samples: number;
  validationSplit?: number;
  clipNorm?: number;
  /** A callback or stopBelowLoss ended training at this epoch. */
  stopTraining: boolean;
  /** The states of the fit's callbacks that have getState, by their index in fit's callbacks. */
  callbacks: { index: number; state: Record<string, unknown> }[];
}

/** The checkpoint part of the header. Dropout masks and shuffles are pure functions of (seed, step, epochsTrained): those are stored, not generator states. */
export interface CheckpointHeader {
  version: number;
  /** Optimizer steps taken (Adam's bias correction, the dropout masks). */
  step: number;
  /** Epochs trained over all fit calls (each epoch's shuffle seed). */
  epochsTrained: number;
  /** The learning rate in effect (after schedules and plateaus). */
  learningRate: number;
  /** Moment tensors per weight tensor: adam 2, sgd with momentum 1, else 0 (extra tensors `optimizer/<weight>/<slot>`). */
  optimizerSlots: number;
  fit?: FitCheckpoint;
}

const bad = (source: string, m: string) => new OxnetError('E_FORMAT', `${source}: ${m}`);

const nonNegInt = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;

/** The header's checkpoint part, checked field by field (E_FORMAT naming the field). */
export function checkCheckpointHeader(h: unknown, source: string): CheckpointHeader {
  if (h === undefined)
    throw bad(source, 'is a model file without training state (written by save/saveModel); write checkpoints with saveCheckpoint or modelCheckpoint');
  if (!h || typeof h !== 'object' || Array.isArray(h)) throw bad(source, 'checkpoint header is not an object');
  const c = h as Record<string, unknown>;
  if (c.version !== CHECKPOINT_VERSION) throw bad(source, `checkpoint version ${JSON.stringify(c.version)}, this oxnet reads version ${CHECKPOINT_VERSION}`);
  for (const k of ['step', 'epochsTrained', 'optimizerSlots']) {
    if (!nonNegInt(c[k])) throw bad(source, `checkpoint ${k} ${JSON.stringify(c[k])} is not an integer >= 0`);
  }
  if (typeof c.learningRate !== 'number' || !Number.isFinite(c.learningRate) || c.learningRate < 0)
    throw bad(source, `checkpoint learningRate ${JSON.stringify(c.learningRate)} is not a finite number >= 0`);
  if (c.fit !== undefined) checkFit(c.fit, source);
  return c as unknown as CheckpointHeader;
}

function checkFit(f: unknown, source: string): void {
  if (!f || typeof f !== 'object' || Array.isArray(f)) throw bad(source, 'checkpoint fit state is not an object');
  const o = f as Record<string, unknown>;
  for (const k of ['seed', 'epoch', 'batchSize', 'samples']) {
    if (!nonNegInt(o[k])) throw bad(source, `checkpoint fit.${k} ${JSON.stringify(o[k])} is not an integer >= 0`);
  }
  for (const k of ['shuffle', 'stopTraining']) {
    if (typeof o[k] !== 'boolean') throw bad(source, `checkpoint fit.${k} ${JSON.stringify(o[k])} is not a boolean`);
  }
  for (const k of ['validationSplit', 'clipNorm']) {
    if (o[k] !== undefined && (typeof o[k] !== 'number' || !Number.isFinite(o[k])))
      throw bad(source, `checkpoint fit.${k} ${JSON.stringify(o[k])} is not a number`);
  }
  const cbs = o.callbacks;
  if (!Array.isArray(cbs) || cbs.some((c) => !c || typeof c !== 'object' || !nonNegInt(c.index) || !c.state || typeof c.state !== 'object'))
    throw bad(source, 'checkpoint fit.callbacks must be a list of { index, state }');
}

/** Name of moment `slot` of weight `weight` among the extra tensors. */
export function momentName(weight: string, slot: number, slots: number): string {
  return `optimizer/${weight}/${slots === 2 ? ['m', 'v'][slot] : 'velocity'}`;
}

/** A callback's state as JSON (non-finite numbers spelled out) and its tensors, named `callbacks/<index>/<key>/<j>`. */
export function encodeCallbackState(index: number, state: CallbackState, what: string): { json: Record<string, unknown>; tensors: Named[] } {
  if (!state || typeof state !== 'object' || Array.isArray(state))
    throw new OxnetError('E_ARG', `${what}: getState() must return an object, got ${typeof state}`);
  const json: Record<string, unknown> = {};
  const tensors: Named[] = [];
  for (const [key, v] of Object.entries(state)) {
    if (typeof v === 'number') json[key] = Number.isFinite(v) ? v : { float: String(v) };
    else if (v === null || typeof v === 'string' || typeof v === 'boolean') json[key] = v;
    else if (Array.isArray(v) && v.every((t) => t instanceof Float32Array)) {
      json[key] = { tensors: v.length };
      v.forEach((t, j) => {
        tensors.push({ name: `callbacks/${index}/${key}/${j}`, shape: [t.length], values: t });
      });
    } else throw new OxnetError('E_ARG', `${what}: state key '${key}' must be a number, string, boolean, null or Float32Array[]`);
  }
  return { json, tensors };
}

const isPlain = (v: unknown): v is number | string | boolean | null => v === null || ['number', 'string', 'boolean'].includes(typeof v);

/** encodeCallbackState undone, with the tensors taken from `extra` by name (E_FORMAT when one is missing). */
export function decodeCallbackState(index: number, json: Record<string, unknown>, extra: Map<string, Named>, source: string): CallbackState {
  const state: CallbackState = {};
  for (const [key, v] of Object.entries(json)) {
    if (isPlain(v)) state[key] = v;
    else if (v && typeof v === 'object' && 'float' in v && ['Infinity', '-Infinity', 'NaN'].includes((v as { float: string }).float))
      state[key] = Number((v as { float: string }).float);
    else if (v && typeof v === 'object' && 'tensors' in v && nonNegInt((v as { tensors: unknown }).tensors)) {
      state[key] = Array.from({ length: (v as { tensors: number }).tensors }, (_, j) => {
        const t = extra.get(`callbacks/${index}/${key}/${j}`);
        if (!t) throw bad(source, `callback ${index}'s state '${key}' lacks tensor ${j}`);
        return t.values;
      });
    } else throw bad(source, `callback ${index}'s state '${key}' is ${JSON.stringify(v)}, not a value this oxnet writes`);
  }
  return state;
}
