// fast-check generators of malformed arguments: wrong types, NaN, Infinity, negative and huge
// sizes, empty and mis-sized arrays, specs with unknown kinds. Shared by the fuzz tests and
// scripts/fuzz-api (which runs the same properties for longer).
import fc from 'fast-check';

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

export const layerSpec = fc.oneof(
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
  fc.record({ type: fc.constant('activation'), size: num, activation }),
  fc.record({ type: fc.constant('dropout'), size: num, rate: num }),
  fc.record({ type: fc.constant('batchNorm'), size: num, channels: num, momentum: num, epsilon: num }),
  fc.record({ type: fc.constantFrom('reshape', 'lstm', 7), size: num }),
);

export const networkSpec = fc.record(
  { inputSize: num, layers: fc.array(layerSpec, { maxLength: 3 }), loss: lossSpec, optimizer, seed: num, clipNorm: numOrJunk },
  { requiredKeys: ['inputSize', 'layers'] },
);
export const paramList = fc.oneof({ weight: 6, arbitrary: fc.array(arr, { maxLength: 4 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(null, 'p', {}) });

/** A well-formed small network (so runner methods get exercised past construction). */
export const validDense = fc.record({
  inputs: fc.integer({ min: 1, max: 4 }),
  units: fc.integer({ min: 1, max: 3 }),
  act: fc.constantFrom('sigmoid', 'relu', 'softmax', 'linear') as fc.Arbitrary<'sigmoid' | 'relu' | 'softmax' | 'linear'>,
  loss: fc.constantFrom('mse', 'halfSse', 'binaryCrossEntropy', 'softmaxCrossEntropy') as fc.Arbitrary<
    'mse' | 'halfSse' | 'binaryCrossEntropy' | 'softmaxCrossEntropy'
  >,
});
