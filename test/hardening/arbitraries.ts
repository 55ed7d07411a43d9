// fast-check generators of malformed arguments: wrong types, NaN, Infinity, negative and huge
// sizes, empty and mis-sized arrays, graph specs with unknown kinds, bad value ids and indices
// (random, and valid chains with one field replaced). Shared by the fuzz tests and
// scripts/fuzz-api (which runs the same properties for longer).
import fc from 'fast-check';
import type { GraphSpec } from '../../src/backend/types';
import { type ChainLayer, chain } from '../helpers/chain';

/** Sizes and hyperparameters: small valid ones mixed with every kind of invalid number. */
export const num = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1, max: 5 }) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(0, 1, 2, NaN, Infinity, -Infinity, 0.5, -0, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 53, 1e300, -(2 ** 31)),
  },
  { weight: 1, arbitrary: fc.double() },
);

/** Anything JavaScript can pass where a number is expected. */
export const numOrJunk = fc.oneof({ weight: 6, arbitrary: num }, { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, null, '3', {}, [2], true, 3n) });

const floatValue = fc.oneof(fc.float({ noDefaultInfinity: false, noNaN: false }), fc.constantFrom(0, 1, -1, 1e4, -1e4, NaN, Infinity));

/** A Float32Array of 0..12 floats, values including NaN and +-Infinity. */
export const f32 = fc.array(floatValue, { maxLength: 12 }).map((a) => new Float32Array(a));

/** Array arguments: mostly Float32Array, sometimes another type entirely. */
export const arr = fc.oneof(
  { weight: 8, arbitrary: f32 },
  {
    weight: 1,
    arbitrary: fc.constantFrom<unknown>(null, undefined, 5, 'x', {}, [1, 2], new Float64Array(2), new Int32Array(2), new Uint8Array(4)),
  },
);

const shape2 = fc.oneof(fc.tuple(num, num), fc.constantFrom<unknown>(undefined, [1], 'a', [1, 2, 3]));
const shape3 = fc.oneof(fc.tuple(num, num, num), fc.constantFrom<unknown>(undefined, [1, 1], null));
const pad4 = fc.oneof(fc.tuple(num, num, num, num), fc.constantFrom<unknown>(undefined, [0, 0], 'same'));

export const convGeometry = fc.record(
  { batch: numOrJunk, inShape: shape3, filters: numOrJunk, kernel: shape2, strides: shape2, padding: pad4, dilation: shape2 },
  { requiredKeys: [] },
);
export const poolGeometry = fc.record({ batch: numOrJunk, inShape: shape3, pool: shape2, strides: shape2, padding: pad4 }, { requiredKeys: [] });

const kinds = ['linear', 'step', 'sigmoid', 'tanh', 'relu', 'leakyRelu', 'softmax', 'bogus', ''] as const;
export const activation = fc.oneof(
  fc.record({ kind: fc.constantFrom<unknown>(...kinds, 3), beta: num, alpha: num }, { requiredKeys: ['kind'] }),
  fc.constantFrom<unknown>(null, 'relu', {}),
);
export const lossSpec = fc.oneof(
  fc.record({ kind: fc.constantFrom<unknown>('halfSse', 'mse', 'binaryCrossEntropy', 'softmaxCrossEntropy', 'perceptron', 'nope', null) }),
  fc.constantFrom<unknown>(null, 'mse'),
);
export const optimizer = fc.oneof(
  fc.record(
    {
      kind: fc.constantFrom<unknown>('sgd', 'adam', 'rmsprop', null),
      lr: num,
      momentum: num,
      nesterov: fc.boolean(),
      weightDecay: num,
      beta1: num,
      beta2: num,
      epsilon: num,
      decoupled: fc.boolean(),
    },
    { requiredKeys: ['kind', 'lr'] },
  ),
  fc.constantFrom<unknown>(null, {}),
);

/** Backend ops (GraphSpec node ops), well-formed or not. */
export const opSpec = fc.oneof(
  fc.record({ type: fc.constant('dense'), inputs: num, units: num, useBias: fc.boolean(), activation }),
  fc.record({
    type: fc.constant('conv2d'),
    inShape: shape3,
    filters: num,
    kernel: shape2,
    strides: shape2,
    padding: pad4,
    dilation: shape2,
    useBias: fc.boolean(),
    activation,
  }),
  fc.record({ type: fc.constantFrom('maxPool2d', 'avgPool2d'), inShape: shape3, pool: shape2, strides: shape2, padding: pad4 }),
  fc.record({ type: fc.constant('globalAvgPool2d'), inShape: shape3 }),
  fc.record({ type: fc.constant('activation'), size: num, width: numOrJunk, activation }),
  fc.record({ type: fc.constant('dropout'), size: num, rate: num }),
  fc.record({ type: fc.constant('batchNorm'), size: num, channels: num, momentum: num, epsilon: num }),
  fc.record({
    type: fc.constant('merge'),
    kind: fc.constantFrom<unknown>('add', 'subtract', 'multiply', 'average', 'maximum', 'concat', null),
    size: num,
    count: num,
  }),
  fc.record({ type: fc.constantFrom('reshape', 'lstm', 7), size: num }),
);

const ids = fc.oneof(
  { weight: 6, arbitrary: fc.array(fc.integer({ min: -1, max: 5 }), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'x', [1.5], [NaN]) },
);
const tensor = fc.record({ name: fc.oneof(fc.string({ maxLength: 4 }), fc.constantFrom<unknown>(null, 3)), size: num }, { requiredKeys: ['size'] });
const outputSpec = fc.record(
  {
    name: fc.string({ maxLength: 4 }),
    value: num,
    loss: fc.constantFrom<unknown>('halfSse', 'mse', 'binaryCrossEntropy', 'softmaxCrossEntropy', 'perceptron', 'nope', null),
    weight: num,
    fromLogits: fc.oneof(fc.boolean(), fc.constantFrom<unknown>(null, 1)),
    logitScale: num,
    correct: fc.constantFrom<unknown>('argmax', 'threshold', 'top5', null),
  },
  { requiredKeys: ['value', 'loss'] },
);

/** GraphSpecs of random parts: nodes reading any value ids, any parameter and state indices. */
export const graphSpec = fc.record(
  {
    inputs: fc.array(tensor, { maxLength: 3 }),
    nodes: fc.array(fc.record({ name: fc.string({ maxLength: 4 }), op: opSpec, inputs: ids, params: ids, state: ids, size: num }, { requiredKeys: ['op'] }), {
      maxLength: 3,
    }),
    params: fc.array(tensor, { maxLength: 4 }),
    state: fc.array(tensor, { maxLength: 2 }),
    outputs: fc.array(outputSpec, { maxLength: 2 }),
    optimizer,
    seed: num,
    clipNorm: numOrJunk,
  },
  { requiredKeys: ['inputs', 'nodes'] },
);

/** A valid small chain (dense -> [batch norm] -> dense, or one dense): runner methods get exercised past construction. */
export const validChain = fc
  .record({
    inputs: fc.integer({ min: 1, max: 4 }),
    hidden: fc.integer({ min: 1, max: 3 }),
    units: fc.integer({ min: 1, max: 3 }),
    deep: fc.boolean(),
    norm: fc.boolean(),
    act: fc.constantFrom('sigmoid', 'relu', 'softmax', 'linear') as fc.Arbitrary<'sigmoid' | 'relu' | 'softmax' | 'linear'>,
    loss: fc.constantFrom('mse', 'halfSse', 'binaryCrossEntropy', 'softmaxCrossEntropy') as fc.Arbitrary<
      'mse' | 'halfSse' | 'binaryCrossEntropy' | 'softmaxCrossEntropy'
    >,
  })
  .map((d) => {
    const last = { type: 'dense' as const, inputs: d.deep ? d.hidden : d.inputs, units: d.units, useBias: true, activation: { kind: d.act } };
    const layers: ChainLayer[] = d.deep
      ? [
          { type: 'dense', inputs: d.inputs, units: d.hidden, useBias: true, activation: { kind: 'tanh' } },
          ...(d.norm ? [{ type: 'batchNorm' as const, size: d.hidden, channels: d.hidden, momentum: 0.9, epsilon: 1e-3 }] : []),
          last,
        ]
      : [last];
    return chain({ inputSize: d.inputs, layers, loss: { kind: d.loss }, optimizer: { kind: 'sgd', lr: 0.1 }, seed: 1 });
  });

/** Where one field of a valid GraphSpec is replaced, and by what. */
const FIELDS = [
  'inputs',
  'inputs.0',
  'inputs.0.size',
  'nodes',
  'nodes.0',
  'nodes.0.op',
  'nodes.0.op.type',
  'nodes.0.op.inputs',
  'nodes.0.op.units',
  'nodes.0.op.activation',
  'nodes.0.inputs',
  'nodes.0.params',
  'nodes.0.state',
  'nodes.0.size',
  'nodes.1.inputs',
  'nodes.1.params',
  'nodes.1.state',
  'nodes.1.op.size',
  'nodes.1.op.channels',
  'nodes.1.op.momentum',
  'params',
  'params.0.size',
  'params.1',
  'state',
  'state.0.size',
  'outputs',
  'outputs.0',
  'outputs.0.value',
  'outputs.0.loss',
  'outputs.0.weight',
  'outputs.0.fromLogits',
  'outputs.0.logitScale',
  'outputs.0.correct',
  'optimizer',
  'optimizer.lr',
  'seed',
  'clipNorm',
];
const junk = fc.oneof(num, fc.constantFrom<unknown>(undefined, null, 'x', {}, [], [0], [0, 0], [7], [-1], true, { kind: 'bogus' }));

function replaced(spec: GraphSpec, path: string, value: unknown): unknown {
  const copy = structuredClone(spec) as unknown as Record<string, unknown>;
  const keys = path.split('.');
  let at: unknown = copy;
  for (const k of keys.slice(0, -1)) {
    if (at === null || typeof at !== 'object') return copy;
    at = (at as Record<string, unknown>)[k];
  }
  if (at !== null && typeof at === 'object') {
    const k = keys[keys.length - 1];
    if (value === undefined) delete (at as Record<string, unknown>)[k];
    else (at as Record<string, unknown>)[k] = value;
  }
  return copy;
}

/** A valid chain with one field replaced by junk: reaches the checks past the first malformed part. */
export const mutatedGraph = fc.tuple(validChain, fc.constantFrom(...FIELDS), junk).map(([c, path, value]) => ({
  spec: replaced(c.spec, path, value),
  paramSizes: c.paramSizes,
  state: c.state,
}));

export const paramList = fc.oneof({ weight: 6, arbitrary: fc.array(arr, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'p', {}) });
