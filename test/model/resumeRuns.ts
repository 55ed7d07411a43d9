// The two runs of the resume tests, shared by the test and its child process: an MLP with dropout
// (Adam, a z-score normalizer, a validation split, reduceLROnPlateau and earlyStopping) and a CNN
// with batch norm (SGD with momentum, a step-decay schedule). Small: a few hundred samples.
import {
  type Callback,
  type FitOptions,
  Sequential,
  earlyStopping,
  layers,
  learningRateScheduler,
  modelCheckpoint,
  reduceLROnPlateau,
  stepDecay,
  zscore,
} from '../../src/index';
import { gaussianBlobs } from '../../src/data/synthetic';
import { mulberry32 } from '../../src/random';

export type RunKind = 'mlp' | 'cnn';
export const EPOCHS = 6;

export interface Run {
  model: Sequential;
  x: Float32Array;
  y: Float32Array;
  /** fit options without epochs and callbacks. */
  fit: FitOptions;
  /** The run's callbacks (fresh objects each call), without a checkpoint. */
  callbacks: () => Callback[];
}

export function makeRun(kind: RunKind, backend: 'native' | 'js'): Run {
  if (kind === 'mlp') {
    const data = gaussianBlobs({ count: 300, classes: 3, dims: 8, spread: 1.5, seed: 11 });
    const model = new Sequential({ seed: 5, backend });
    model.add(layers.dense({ units: 24, activation: 'relu', inputShape: [8] }));
    model.add(layers.dropout({ rate: 0.3 }));
    model.add(layers.dense({ units: 3, activation: 'softmax' }));
    model.compile({ loss: 'categoricalCrossentropy', optimizer: { kind: 'adam', lr: 0.02 }, metrics: ['acc'] });
    // Scaled so the normalizer matters; it is stored in the checkpoint.
    const x = data.x.map((v) => 10 * v + 3);
    model.setNormalizer(zscore().fit(x, data.count, 8));
    return {
      model,
      x,
      y: data.y,
      fit: { batchSize: 16, validationSplit: 0.2 },
      callbacks: () => [reduceLROnPlateau({ monitor: 'loss', patience: 1, factor: 0.5, minDelta: 0.05 }), earlyStopping({ monitor: 'valLoss', patience: 20 })],
    };
  }
  const n = 160;
  const next = mulberry32(3);
  const x = new Float32Array(n * 64);
  const y = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    // class 0: a bright left half, class 1: a bright top half, both noisy
    for (let p = 0; p < 64; p++) x[i * 64 + p] = ((c === 0 ? p % 8 < 4 : p < 32) ? 1 : 0) + 0.8 * (next() - 0.5);
    y[i * 2 + c] = 1;
  }
  const model = new Sequential({ seed: 9, backend });
  model.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [8, 8, 1] }));
  model.add(layers.batchNormalization({}));
  model.add(layers.activation({ activation: 'relu' }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.flatten({}));
  model.add(layers.dense({ units: 2, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 } });
  return {
    model,
    x,
    y,
    fit: { batchSize: 16 },
    callbacks: () => [learningRateScheduler(stepDecay({ initial: 0.05, factor: 0.5, every: 2 }))],
  };
}

/** The checkpoint callback the stopped run writes with (and the resumed one goes on with). */
export function checkpointEvery(path: string): Callback {
  return modelCheckpoint({ path, every: 1, saveBest: false });
}
