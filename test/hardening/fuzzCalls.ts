// The properties behind the API fuzz test: random malformed calls on a Backend (both backends),
// on the raw native binding, and on the public model API. A call may succeed or throw; a throw
// must be an OxnetError whose code is not E_NATIVE (that code means a Rust panic or an unmapped
// native failure). The process staying up is checked by the test finishing at all.
import fc from 'fast-check';
import type { Backend } from '../../src/backend/types';
import type { NativeBinding } from '../../src/backend/native';
import { toOxnetError } from '../../src/backend/native';
import { OxnetError } from '../../src/errors';
import { layers, sequential } from '../../src/index';
import {
  activation,
  arr,
  convGeometry,
  f32,
  graphSpec,
  lossSpec,
  mutatedGraph,
  num,
  numOrJunk,
  optimizer,
  paramList,
  poolGeometry,
  validChain,
} from './arbitraries';

export interface FuzzTally {
  calls: number;
  ok: number;
  refused: Map<string, number>;
}

export function newTally(): FuzzTally {
  return { calls: 0, ok: 0, refused: new Map() };
}

/** Runs one call; returns a description of what went wrong, or null when it behaved. */
async function judge(tally: FuzzTally, label: string, call: () => unknown, map: (e: unknown) => unknown = (e) => e): Promise<string | null> {
  tally.calls++;
  try {
    await call();
    tally.ok++;
    return null;
  } catch (raw) {
    const e = map(raw);
    if (!(e instanceof OxnetError)) return `${label}: threw a non-OxnetError ${String((e as Error)?.name)}: ${String((e as Error)?.message ?? e)}`;
    if (e.code === 'E_NATIVE' || /panic/i.test(e.message)) return `${label}: ${e.code} ${e.message}`;
    tally.refused.set(e.code, (tally.refused.get(e.code) ?? 0) + 1);
    return null;
  }
}

type AnyFn = (...args: unknown[]) => unknown;
const call =
  (f: unknown, ...args: unknown[]) =>
  () =>
    (f as AnyFn)(...args);

/** One random malformed Backend call: [label, thunk]. */
function backendCall(b: Backend): fc.Arbitrary<[string, () => unknown]> {
  const k = b as unknown as Record<string, AnyFn>;
  const m = (name: string) => k[name].bind(b);
  return fc.oneof(
    fc.tuple(arr, arr, num, num, num).map(([a, c, x, y, z]) => ['matmul', call(m('matmul'), a, c, x, y, z)] as [string, () => unknown]),
    fc
      .tuple(arr, arr, fc.option(arr), numOrJunk, num, num)
      .map(([x, w, bb, n, i, u]) => ['denseForward', call(m('denseForward'), x, w, bb, n, i, u)] as [string, () => unknown]),
    fc
      .tuple(arr, arr, arr, num, num, num)
      .map(([x, w, dy, n, i, u]) => ['denseBackward', call(m('denseBackward'), x, w, dy, n, i, u)] as [string, () => unknown]),
    fc.tuple(activation, arr, numOrJunk).map(([a, x, w]) => ['activationForward', call(m('activationForward'), a, x, w)] as [string, () => unknown]),
    fc
      .tuple(activation, arr, arr, arr, num)
      .map(([a, x, y, dy, w]) => ['activationBackward', call(m('activationBackward'), a, x, y, dy, w)] as [string, () => unknown]),
    fc.tuple(lossSpec, arr, arr, numOrJunk, num).map(([l, p, t, n, w]) => ['loss', call(m('loss'), l, p, t, n, w)] as [string, () => unknown]),
    fc
      .tuple(optimizer, f32, f32, fc.array(f32, { maxLength: 3 }), numOrJunk)
      .map(([o, p, g, s, st]) => ['optimizerStep', call(m('optimizerStep'), o, p, g, s, st)] as [string, () => unknown]),
    fc
      .tuple(arr, arr, fc.option(arr), convGeometry)
      .map(([x, w, bb, g]) => ['conv2dForward', call(m('conv2dForward'), x, w, bb, g)] as [string, () => unknown]),
    fc.tuple(arr, arr, arr, convGeometry).map(([x, w, dy, g]) => ['conv2dBackward', call(m('conv2dBackward'), x, w, dy, g)] as [string, () => unknown]),
    fc.tuple(fc.constantFrom('maxPool2dForward', 'avgPool2dForward'), arr, poolGeometry).map(([f, x, g]) => [f, call(m(f), x, g)] as [string, () => unknown]),
    fc
      .tuple(fc.constantFrom('maxPool2dBackward', 'avgPool2dBackward'), arr, arr, poolGeometry)
      .map(([f, x, dy, g]) => [f, call(m(f), x, dy, g)] as [string, () => unknown]),
    fc.tuple(arrays, arrays, numOrJunk).map(([x, y, n]) => ['createDataset', call(m('createDataset'), x, y, n)] as [string, () => unknown]),
    fc.tuple(graphSpec, paramList, paramList).map(([s, p, st]) => ['createNetwork', call(m('createNetwork'), s, p, st)] as [string, () => unknown]),
    // A valid chain with one field of its spec replaced, given the right parameters and state.
    fc.tuple(mutatedGraph, fc.boolean()).map(
      ([g, exact]) =>
        [
          'createNetwork (one field replaced)',
          call(
            m('createNetwork'),
            g.spec,
            g.paramSizes.map((n) => new Float32Array(exact ? n : n + 1)),
            g.state,
          ),
        ] as [string, () => unknown],
    ),
    runnerCall(b),
  );
}

/** Lists of arrays where the graph API takes one array per input, output or tensor (sometimes one bare array). */
const arrays = fc.oneof({ weight: 5, arbitrary: fc.array(arr, { maxLength: 3 }) }, { weight: 1, arbitrary: arr });

/** A valid small network, then one malformed runner call on it. */
function runnerCall(b: Backend): fc.Arbitrary<[string, () => unknown]> {
  const method = fc.constantFrom(
    'train',
    'trainSync',
    'trainEpochs',
    'trainEpochsSync',
    'predict',
    'predictAsync',
    'predictValue',
    'evaluate',
    'computeGradients',
    'applyGradients',
    'setParams',
    'setState',
  );
  // epochs stays small: a huge valid epoch count would be a long (correct) run, not a fuzz case.
  const epochs = fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constantFrom<unknown>(NaN, 0.5, '1', null, Infinity, 2n));
  const plan = fc.oneof(
    fc.record({ epochs, batchSize: numOrJunk, lr: numOrJunk, step: numOrJunk, stopBelow: numOrJunk }, { requiredKeys: [] }),
    fc.constantFrom<unknown>(null, 3),
  );
  return fc
    .tuple(validChain, method, arrays, arrays, numOrJunk, numOrJunk, numOrJunk, paramList, fc.array(numOrJunk, { maxLength: 4 }), plan)
    .map(([c, meth, xs, ys, n, lr, step, params, order, p]) => {
      const thunk = async () => {
        const net = b.createNetwork(
          c.spec,
          c.paramSizes.map((k) => new Float32Array(k).fill(0.1)),
          c.state,
        );
        const r = net as unknown as Record<string, AnyFn>;
        const count = typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < 8 ? n : 2;
        const data = () => b.createDataset([new Float32Array(count * c.spec.inputs[0].size)], [new Float32Array(count * c.outputSize)], count);
        if (meth === 'train' || meth === 'trainSync') {
          const ord = new Uint32Array(order.map((v) => (typeof v === 'number' && Number.isFinite(v) ? Math.abs(v) % 2 ** 32 : 0)));
          await r[meth].call(net, data(), ord, n, lr, step);
        } else if (meth === 'trainEpochs' || meth === 'trainEpochsSync') {
          await r[meth].call(net, data(), p);
        } else if (meth === 'setParams' || meth === 'setState') {
          r[meth].call(net, params);
        } else if (meth === 'applyGradients') {
          r[meth].call(net, params === null || Array.isArray(params) ? params : null, lr, step);
        } else if (meth === 'evaluate') {
          r[meth].call(net, xs, ys, n);
        } else if (meth === 'computeGradients') {
          r[meth].call(net, xs, ys, n, step);
        } else {
          await r[meth].call(net, xs, n, step);
        }
      };
      return [`runner.${meth}`, thunk] as [string, () => unknown];
    });
}

/** Malformed calls on the raw binding (errors mapped the way native.ts maps them). */
function bindingCall(binding: NativeBinding): fc.Arbitrary<[string, () => unknown]> {
  const k = binding as unknown as Record<string, AnyFn>;
  const str = fc.oneof(
    fc.json(),
    fc.string(),
    activation.map((a) => JSON.stringify(a)),
    graphSpec.map((s) => JSON.stringify(s, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))),
    mutatedGraph.map((g) => JSON.stringify(g.spec, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))),
  );
  const junk = fc.oneof(arr, num, str, fc.constantFrom<unknown>(null, undefined, {}, [], [new Float32Array(1)]));
  return fc.oneof(
    fc
      .tuple(
        fc.constantFrom('matmul', 'denseForward', 'denseBackward', 'activationForward', 'activationBackward', 'loss', 'optimizerStep'),
        fc.array(junk, { maxLength: 7 }),
      )
      .map(([f, args]) => [`binding.${f}`, () => k[f](...args)] as [string, () => unknown]),
    fc
      .tuple(fc.constantFrom('conv2dForward', 'conv2dBackward', 'maxPool2dForward', 'avgPool2dBackward'), arr, arr, fc.oneof(convGeometry, poolGeometry))
      .map(([f, a, c, g]) => [`binding.${f}`, () => k[f](a, c, g)] as [string, () => unknown]),
    fc
      .tuple(str, paramList, paramList)
      .map(
        ([s, p, st]) =>
          ['binding.NativeNetwork', () => new binding.NativeNetwork(s as string, p as Float32Array[], st as Float32Array[])] as [string, () => unknown],
      ),
    fc
      .tuple(fc.oneof(junk, fc.array(junk, { maxLength: 3 })), fc.oneof(junk, fc.array(junk, { maxLength: 3 })), junk)
      .map(
        ([x, y, n]) =>
          ['binding.NativeDataset', () => new binding.NativeDataset(x as Float32Array[], y as Float32Array[], n as number)] as [string, () => unknown],
      ),
  );
}

/** Malformed use of the public model API: layer configs, compile options, fit/predict inputs. */
function publicCall(): fc.Arbitrary<[string, () => unknown]> {
  const data = fc.oneof(arr, fc.array(fc.array(num, { maxLength: 4 }), { maxLength: 4 }), fc.constantFrom<unknown>([], [[]], 'x', null, [[1, 2], [3]]));
  const layerCfg = fc.record(
    {
      units: numOrJunk,
      activation: fc.constantFrom<unknown>('relu', 'sigmoid', 'softmax', 'nope', 3),
      inputShape: fc.oneof(fc.array(num, { maxLength: 3 }), fc.constantFrom<unknown>(undefined, 'a')),
      useBias: fc.constantFrom<unknown>(true, false, 'yes'),
    },
    { requiredKeys: [] },
  );
  // epochs stays small: a huge valid epoch count would be a long (correct) run, not a fuzz case.
  const epochs = fc.oneof(fc.integer({ min: -1, max: 2 }), fc.constantFrom<unknown>(NaN, 0.5, '1', null, Infinity));
  const fitOpts = fc.record(
    { epochs, batchSize: numOrJunk, validationSplit: num, seed: numOrJunk, shuffle: fc.boolean(), clipNorm: numOrJunk },
    { requiredKeys: [] },
  );
  return fc
    .tuple(layerCfg, fc.constantFrom<unknown>('mse', 'softmaxCrossEntropy', 'binaryCrossEntropy', 'bogus'), optimizer, data, data, fitOpts)
    .map(([cfg, loss, opt, x, y, fo]) => {
      const thunk = async () => {
        const model = sequential({ seed: 3 });
        model.add(layers.dense(cfg as never));
        model.compile({ loss: loss as never, optimizer: opt as never });
        await model.fit(x as never, y as never, { epochs: 1, ...(fo as object) });
        model.predict(x as never);
      };
      return ['public fit/predict', thunk] as [string, () => unknown];
    });
}

export async function fuzzBackend(b: Backend, runs: number, seed: number, tally: FuzzTally): Promise<string[]> {
  return collect(backendCall(b), runs, seed, tally, (e) => e);
}

export async function fuzzBinding(binding: NativeBinding, runs: number, seed: number, tally: FuzzTally): Promise<string[]> {
  return collect(bindingCall(binding), runs, seed, tally, toOxnetError);
}

export async function fuzzPublic(runs: number, seed: number, tally: FuzzTally): Promise<string[]> {
  return collect(publicCall(), runs, seed, tally, (e) => e);
}

/** Runs `runs` generated calls (no shrinking: every failure is reported, deduplicated by label). */
async function collect(
  arb: fc.Arbitrary<[string, () => unknown]>,
  runs: number,
  seed: number,
  tally: FuzzTally,
  map: (e: unknown) => unknown,
): Promise<string[]> {
  const failures = new Map<string, string>();
  const samples = fc.sample(arb, { numRuns: runs, seed });
  for (const [label, thunk] of samples) {
    const bad = await judge(tally, label, thunk, map);
    if (bad && failures.size < 20) failures.set(bad.slice(0, 160), bad);
  }
  return [...failures.values()];
}
