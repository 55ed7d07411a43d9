// Writes seed inputs for the network_new fuzz target (layout in its source): valid small specs
// with matching parameters, so libFuzzer starts from networks that build and mutates from there.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
mkdirSync(dir, { recursive: true });
const act = (kind) => ({ kind });
const opt = { kind: 'adam', lr: 0.01 };
/** @type {[object, number[]][]} */
const specs = [
  [
    {
      inputSize: 2,
      layers: [
        { type: 'dense', inputs: 2, units: 3, useBias: true, activation: act('tanh') },
        { type: 'dense', inputs: 3, units: 1, useBias: true, activation: act('sigmoid') },
      ],
      loss: { kind: 'binaryCrossEntropy' },
      optimizer: opt,
      seed: 1,
    },
    [6, 3, 3, 1],
  ],
  [
    {
      inputSize: 16,
      layers: [
        {
          type: 'conv2d',
          inShape: [4, 4, 1],
          filters: 2,
          kernel: [3, 3],
          strides: [1, 1],
          padding: [1, 1, 1, 1],
          dilation: [1, 1],
          useBias: true,
          activation: act('relu'),
        },
        { type: 'maxPool2d', inShape: [4, 4, 2], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] },
        { type: 'reshape', size: 8 },
        { type: 'dense', inputs: 8, units: 3, useBias: true, activation: act('softmax') },
      ],
      loss: { kind: 'softmaxCrossEntropy' },
      optimizer: { kind: 'sgd', lr: 0.1, momentum: 0.9 },
      seed: 7,
    },
    [18, 2, 24, 3],
  ],
  [
    {
      inputSize: 8,
      layers: [
        { type: 'batchNorm', size: 8, channels: 2, momentum: 0.9, epsilon: 0.001 },
        { type: 'dropout', size: 8, rate: 0.5 },
        { type: 'globalAvgPool2d', inShape: [2, 2, 2] },
        { type: 'activation', size: 2, activation: act('leakyRelu') },
      ],
      loss: { kind: 'mse' },
      optimizer: opt,
      seed: 3,
    },
    [2, 2],
  ],
  [
    {
      inputSize: 12,
      layers: [
        { type: 'avgPool2d', inShape: [2, 3, 2], pool: [2, 2], strides: [1, 1], padding: [0, 0, 0, 0] },
        { type: 'dense', inputs: 4, units: 1, useBias: false, activation: act('step') },
      ],
      loss: { kind: 'perceptron' },
      optimizer: opt,
      seed: 5,
    },
    [4],
  ],
];
specs.forEach(([spec, sizes], i) => {
  const json = Buffer.from(JSON.stringify(spec));
  const total = sizes.reduce((a, b) => a + b, 0);
  const floats = Buffer.alloc(total * 4);
  for (let k = 0; k < total; k++) floats.writeFloatLE(Math.sin(k + i) * 0.5, k * 4);
  const head = Buffer.alloc(2);
  head.writeUInt16LE(json.length);
  writeFileSync(join(dir, `seed-${i}`), Buffer.concat([head, json, Buffer.from([sizes.length, ...sizes]), floats]));
});
console.log(`${specs.length} seeds in ${dir}`);
