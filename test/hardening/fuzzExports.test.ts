// Every refusal typed (issue 18): walks the package's exports (src/index.ts, the layers and
// initializers namespaces, what the schedule, callback and normalizer factories return) and the
// methods of a built Sequential and a functional model, calling each with a value of every JS kind
// in each argument position (the other positions valid) and with paths that are missing, folders
// or unreadable. Only a normal return or an OxnetError with a string code may come back, on both
// backends; async calls are awaited.
import { chmodSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oxnet from '../../src/index';
import { backendNames } from '../helpers/backends';
import { tempDir } from '../helpers/temp';

type Fn = (...args: unknown[]) => unknown;

const dir = tempDir('oxnet-fuzz-exports-');
const missing = dir.file('missing.oxnet');
const unreadable = dir.file('unreadable.oxnet');
writeFileSync(unreadable, 'no');
chmodSync(unreadable, 0o000);
const isRoot = process.getuid?.() === 0;

function detached(): Float32Array {
  const buf = new ArrayBuffer(16);
  const view = new Float32Array(buf);
  structuredClone(buf, { transfer: [buf] });
  return view;
}

/** The values of every JS kind, with a label for failure messages. */
const VALUES: [string, () => unknown][] = [
  ['null', () => null],
  ['undefined', () => undefined],
  ['true', () => true],
  ['false', () => false],
  ['0', () => 0],
  ['-0', () => -0],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['2**53', () => 2 ** 53],
  ['-1', () => -1],
  ["'x'", () => 'x'],
  ["''", () => ''],
  ['[]', () => []],
  ['[[1,2],[3]]', () => [[1, 2], [3]]],
  ['{}', () => ({})],
  ['{a:1}', () => ({ a: 1 })],
  ['() => 1', () => () => 1],
  ['Float32Array(3)', () => new Float32Array(3)],
  ['detached Float32Array', detached],
  ['missing path', () => missing],
  ['a directory', () => dir.path],
  ...(isRoot ? [] : ([['unreadable file', () => unreadable]] as [string, () => unknown][])),
];

// Tiny valid data: 4 samples of 2 features, one output each.
const X = () => new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
const Y = () => new Float32Array([0, 1, 1, 0]);

/** Valid arguments for the calls whose first argument alone would never reach the later checks. */
const BASE: Record<string, () => unknown[]> = {
  shuffledIndices: () => [4, 1],
  epochOrder: () => [4, 0, 1],
  batches: () => [new Uint32Array([0, 1, 2]), 2],
  gatherRows: () => [X(), 2, [0, 1]],
  classLabels: () => [Y(), 4],
  trainValTestSplit: () => [X(), Y(), { count: 4, seed: 1 }],
  kFold: () => [4, 2, 1],
  validationSplitIndices: () => [4, 0.5, 1],
  accuracy: () => [Y(), Y(), 1],
  confusionMatrix: () => [Y(), Y(), 1],
  perClassScores: () => [
    [
      [1, 0],
      [0, 1],
    ],
  ],
  misclassifiedCount: () => [Y(), Y(), 1],
  predictedClasses: () => [Y(), 1],
  meanSquaredError: () => [Y(), Y(), 1],
  meanAbsoluteError: () => [Y(), Y(), 1],
  rSquared: () => [Y(), Y(), 1],
  reconstructionError: () => [X(), X(), 2],
  reconstructionErrors: () => [X(), X(), 2],
  stepDecay: () => [{ initial: 0.1, factor: 0.5, every: 2 }],
  exponentialDecay: () => [{ initial: 0.1, rate: 0.5 }],
  cosineDecay: () => [{ initial: 0.1, epochs: 4 }],
  modelCheckpoint: () => [{ path: dir.file('ckpt.oxnet'), monitor: 'loss', saveBest: true }],
  earlyStopping: () => [{ monitor: 'loss', patience: 1, minDelta: 0, restoreBestWeights: true }],
  reduceLROnPlateau: () => [{ monitor: 'loss', factor: 0.5, patience: 1, minDelta: 0, cooldown: 0, minLr: 0 }],
  progressLogger: () => [{ epochs: 2, every: 1, write: () => {} }],
  fitWithRestarts: () => [() => tinyModel(), X(), Y(), { restarts: 1, seed: 1, fitArgs: { epochs: 1 }, validationData: [X(), Y()], targetLoss: 0 }],
  selectModel: () => [
    {
      configs: [[2]],
      build: () => tinyModel(),
      train: { x: X(), y: Y() },
      val: { x: X(), y: Y() },
      restarts: 1,
      seed: 1,
      fitArgs: { epochs: 1 },
    },
  ],
  gradCheck: () => [tinyModel(), X(), Y(), { eps: 1e-3, atol: 1e-2, rtol: 1e-2, maxPerTensor: 2 }],
  sequential: () => [{ seed: 1, backend: 'js', name: 'm' }],
  Sequential: () => [{ seed: 1, backend: 'js', name: 'm' }],
  sgd: () => [{ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0 }],
  adam: () => [{ lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 }],
  adamw: () => [{ lr: 0.01 }],
  'layers.dense': () => [{ units: 2, activation: 'relu', inputShape: [2] }],
  'layers.conv2d': () => [{ filters: 2, kernelSize: 3, inputShape: [4, 4, 1] }],
  'layers.dropout': () => [{ rate: 0.5 }],
  'layers.reshape': () => [{ targetShape: [2] }],
  'layers.activation': () => [{ activation: 'relu' }],
  parseCsv: () => ['a,b\n1,2\n', { task: 'regression', target: 'b' }],
  loadCsv: () => ['a,b\n1,2\n', { task: 'regression', target: 'b' }],
  encodeIdx: () => ['ubyte', [2], [1, 2]],
  readIdx: () => [oxnet.encodeIdx('ubyte', [2], [1, 2])],
  noisyFunction: () => [{ count: 4, seed: 1 }],
  gaussianBlobs: () => [{ count: 4, classes: 2, seed: 1 }],
  normalizerFitter: () => ['zscore'],
  normalizerFromJSON: () => [oxnet.zscore().fit(X(), 4, 2).toJSON()],
  withMeta: () => [oxnet.zscore().fit(X(), 4, 2), { a: 1 }],
  restartSeed: () => [1, 2],
  input: () => [{ shape: [2] }],
  setThreads: () => [1],
  mnistEpochOrder: () => [0, 8],
  learningRateScheduler: () => [() => 0.1],
};

/** A compiled one-layer model on the js backend (a build function's result). */
function tinyModel(): oxnet.Sequential {
  const m = new oxnet.Sequential({ seed: 1, backend: 'js' });
  m.add(oxnet.layers.dense({ units: 1, inputShape: [2] }));
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  return m;
}

/** Calls that only reach the file system or big downloads with valid arguments, or change global state irrecoverably. */
const SKIP = new Set(['loadMnist']);

/** "call -> what came back instead of an OxnetError". */
type Failure = string;

function verdict(e: unknown): string | null {
  if (e instanceof oxnet.OxnetError && typeof e.code === 'string' && (e.code as string) !== '') return null;
  const safe = (v: unknown) => {
    try {
      return String(v);
    } catch {
      return `(${typeof v})`;
    }
  };
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${e.name}${code === undefined ? '' : ` ${safe(code)}`}: ${safe(e.message).split('\n')[0]}`;
  }
  return `a thrown ${typeof e}: ${safe(e)}`;
}

/** Calls f, awaiting a promise and stepping an iterator once; records anything but an OxnetError. */
async function check(call: string, f: () => unknown, failures: Failure[]): Promise<unknown> {
  try {
    let r = f();
    if (r instanceof Promise) r = await r;
    if (r && typeof r === 'object' && typeof (r as Iterator<unknown>).next === 'function' && Symbol.iterator in r) (r as unknown as Iterator<unknown>).next();
    return r;
  } catch (e) {
    const got = verdict(e);
    if (got) failures.push(`${call} -> ${got}`);
    return undefined;
  }
}

/** fn's argument positions to fuzz: its declared ones, at least one, plus one beyond. */
function positions(fn: Fn, base: unknown[]): number {
  return Math.max(fn.length, base.length, 1) + 1;
}

/** Fuzzes every argument position of `fn` (named `name`); `construct` calls it with new. */
/**
 * The argument lists to try, from valid `base` ones: each position given each value, and each key
 * of an options object in the base given each value. `make` gives a fresh base each time.
 */
function* variants(make: () => unknown[], n: number): Generator<[string, unknown[]]> {
  for (let pos = 0; pos < n; pos++) {
    for (const [label, value] of VALUES) {
      const args = make();
      while (args.length < pos) args.push(undefined);
      args[pos] = value();
      yield [`arg ${pos} = ${label}`, args];
    }
    const sample = make()[pos];
    if (!sample || typeof sample !== 'object' || Array.isArray(sample) || ArrayBuffer.isView(sample)) continue;
    for (const key of Object.keys(sample)) {
      for (const [label, value] of VALUES) {
        const args = make();
        args[pos] = { ...(args[pos] as object), [key]: value() };
        yield [`arg ${pos}.${key} = ${label}`, args];
      }
    }
  }
}

/** Fuzzes every argument position of `fn` (named `name`); `construct` calls it with new. */
async function fuzzFunction(name: string, fn: Fn, failures: Failure[], base: () => unknown[] = BASE[name] ?? (() => []), construct = false): Promise<void> {
  for (const [label, args] of variants(base, positions(fn, base()))) {
    await check(`${name}(${label})`, () => (construct ? new (fn as unknown as new (...a: unknown[]) => unknown)(...args) : fn(...args)), failures);
  }
}

/** TypeScript-private helpers: on the prototype at run time, but no part of the API. */
const PRIVATE = new Set(['checkLogitOutputs', 'chunked', 'single', 'inference', 'layerValue', 'makeGraph', 'checkShape']);

/** The callable members of an object (own and inherited, up to Object.prototype), by name. */
function methodsOf(obj: object): [string, Fn][] {
  const seen = new Map<string, Fn>();
  for (let p: object | null = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) {
      if (key === 'constructor' || PRIVATE.has(key) || seen.has(key)) continue;
      const d = Object.getOwnPropertyDescriptor(p, key);
      if (d && typeof d.value === 'function') seen.set(key, d.value as Fn);
    }
  }
  return [...seen];
}

/** Setters of an object's prototype chain, by name. */
function settersOf(obj: object): string[] {
  const out = new Set<string>();
  for (let p: object | null = obj; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Object.getOwnPropertyNames(p)) if (Object.getOwnPropertyDescriptor(p, key)?.set) out.add(key);
  }
  return [...out];
}

function sequentialModel(backend: 'js' | 'native'): oxnet.Model {
  const m = new oxnet.Sequential({ seed: 1, backend });
  m.add(oxnet.layers.dense({ units: 3, inputShape: [2], activation: 'relu', name: 'hidden' }));
  m.add(oxnet.layers.dense({ units: 1, activation: 'sigmoid' }));
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  m.build();
  return m;
}

function functionalModel(backend: 'js' | 'native'): oxnet.Model {
  const x = oxnet.input({ shape: [2], name: 'x' });
  const h = oxnet.layers.dense({ units: 3, activation: 'relu', name: 'hidden' }).apply(x);
  const y = oxnet.layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }).apply(h);
  const m = oxnet.model({ inputs: x, outputs: y, seed: 1, backend });
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  m.build();
  return m;
}

/** Valid arguments for a model's methods (the fuzzed position replaces one). */
const METHOD_BASE: Record<string, (m: oxnet.Model) => unknown[]> = {
  fit: () => [
    X(),
    Y(),
    { epochs: 1, batchSize: 4, shuffle: true, validationData: [X(), Y()], seed: 1, verbose: 0, nanGuard: true, clipNorm: 1, stopBelowLoss: 0.001 },
  ],
  compile: () => [{ loss: 'mse', optimizer: 'sgd', metrics: ['mse'] }],
  evaluate: () => [X(), Y()],
  computeGradients: () => [X(), Y()],
  applyGradients: (m) => [m.getWeights().map((w) => new Float32Array(w.length))],
  setWeights: (m) => [m.getWeights()],
  setState: (m) => [m.getState()],
  predict: () => [X()],
  predictAsync: () => [X()],
  predictClasses: () => [X()],
  encode: () => [X(), 'hidden'],
  decode: () => [new Float32Array(12), 'hidden'],
  save: () => [dir.file('method-save.oxnet')],
  createDataset: () => [[X()], [Y()], 4],
  prepareInputs: () => [X()],
  prepareTargets: () => [Y(), 4],
  prepare: () => [X(), Y()],
  trainingRunner: () => [1],
};

/** Exported functions (and classes) by name, with the namespaces' members as `ns.member`. */
function exportedCallables(): [string, Fn, boolean][] {
  const out: [string, Fn, boolean][] = [];
  for (const [name, value] of Object.entries(oxnet)) {
    if (typeof value === 'function') {
      const isClass = /^class\b/.test(Function.prototype.toString.call(value));
      out.push([name, value as Fn, isClass]);
    }
  }
  for (const [ns, members] of [
    ['layers', oxnet.layers],
    ['initializers', oxnet.initializers],
  ] as const) {
    for (const [name, value] of Object.entries(members)) out.push([`${ns}.${name}`, value as Fn, false]);
  }
  return out.filter(([name]) => !SKIP.has(name));
}

for (const backend of backendNames()) {
  describe(`${backend} backend: every refusal is an OxnetError with a code`, () => {
    const cwd = process.cwd();
    const active = oxnet.getBackend();
    const threads = oxnet.getThreads();
    beforeAll(() => {
      oxnet.setBackend(backend);
      // Calls given 'x' as a path write or read relative paths: keep them inside the temp folder.
      process.chdir(dir.path);
    });
    afterAll(() => {
      process.chdir(cwd);
      oxnet.setBackend(active);
      oxnet.setThreads(threads);
    });

    it('exported functions, classes and namespace members', async () => {
      const failures: Failure[] = [];
      for (const [name, fn, isClass] of exportedCallables()) {
        if (name === 'setBackend') {
          await fuzzFunction(name, fn, failures);
          oxnet.setBackend(backend);
          continue;
        }
        await fuzzFunction(name, fn, failures, undefined, isClass);
      }
      expect(failures).toEqual([]);
    });

    it('what the schedule, callback and normalizer factories return', async () => {
      const failures: Failure[] = [];
      const fitter = oxnet.zscore();
      const normalizer = fitter.fit(X(), 4, 2);
      const targets: [string, object, Record<string, () => unknown[]>][] = [
        ['zscore()', fitter, { fit: () => [X(), 4, 2] }],
        ['minmax()', oxnet.minmax(), { fit: () => [X(), 4, 2] }],
        ['normalizer', normalizer, { transform: () => [X(), 4], inverseTransform: () => [X(), 4] }],
      ];
      for (const [owner, obj, base] of targets) {
        for (const [name, fn] of methodsOf(obj)) await fuzzFunction(`${owner}.${name}`, fn.bind(obj), failures, base[name] ?? (() => []));
      }
      for (const [name, schedule] of [
        ['stepDecay', oxnet.stepDecay({ initial: 0.1, factor: 0.5, every: 2 })],
        ['exponentialDecay', oxnet.exponentialDecay({ initial: 0.1, rate: 0.5 })],
        ['cosineDecay', oxnet.cosineDecay({ initial: 0.1, epochs: 4 })],
      ] as const) {
        await fuzzFunction(`${name}(...)`, schedule as Fn, failures);
      }
      expect(failures).toEqual([]);
    });

    for (const [kind, make] of [
      ['Sequential', sequentialModel],
      ['functional model', functionalModel],
    ] as const) {
      it(`a built ${kind}'s methods and setters`, async () => {
        const failures: Failure[] = [];
        const names = methodsOf(make(backend)).map(([name]) => name);
        for (const name of names) {
          const base = METHOD_BASE[name];
          // A fresh model per method: a call that succeeds (compile, setNormalizer) changes it.
          const m = make(backend);
          const fn = (m as unknown as Record<string, Fn>)[name];
          const n = positions(fn, base ? base(m) : []);
          let target = m;
          const fresh = () => {
            target = make(backend);
            return base ? base(target) : [];
          };
          for (const [label, args] of variants(fresh, n)) {
            const t = target;
            await check(`${kind}.${name}(${label})`, () => (t as unknown as Record<string, Fn>)[name](...args), failures);
          }
        }
        for (const name of settersOf(make(backend))) {
          for (const [label, value] of VALUES) {
            const m = make(backend);
            await check(
              `${kind}.${name} = ${label}`,
              () => {
                (m as unknown as Record<string, unknown>)[name] = value();
              },
              failures,
            );
          }
        }
        expect(failures).toEqual([]);
      });
    }
  });
}
