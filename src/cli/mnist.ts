#!/usr/bin/env node
// `npm start`: trains a CNN on the seeded MNIST split of workloads.md (8000 train / 2000 test)
// until test accuracy >= 0.975 (at most 15 epochs), with live progress, prints
// `test accuracy: 0.xxxx` and saves the model to ./mnist-cnn.oxnet.
// The CNN is W3 widened (16 and 32 filters) with a dense 128 ReLU layer and dropout 0.25: W3
// itself hovers around 0.97 from epoch 7 on, this one passes 0.975 by epoch 3 (about 30 s native).
// It also writes an HTML report beside the model (mnist-cnn.html: curves, confusion matrix,
// misclassified digits, filters) and prints its path.
// `--mlp` trains the W2 MLP instead (784-128-64-10, batch 64, target 0.94, ./mnist-mlp.oxnet).
// Options: --mlp, --epochs N (cap; alias --max-epochs), --target A, --out PATH, --seed S.
import { resolve } from 'node:path';
import { writeReport } from '../report';
import { History } from '../model/history';
import { trainingLog } from '../training/trainingLog';
import { getBackend } from '../backend';
import { MNIST_TEST, MNIST_TRAIN, loadMnist, mnistEpochOrder } from '../data/mnist';
import { layers } from '../layers';
import { adam } from '../model/compile';
import { Sequential } from '../model/sequential';
import { saveModel } from '../model/files';
import { ProgressDisplay, formatSeconds } from './progress';

export type MnistModelKind = 'cnn' | 'mlp';

export interface MnistCliOptions {
  model: MnistModelKind;
  epochs: number;
  target: number;
  out: string;
  seed: number;
}

/** Defaults per model: what `npm start` and `npm start -- --mlp` do without other options. */
export function defaultOptions(model: MnistModelKind): MnistCliOptions {
  return model === 'cnn'
    ? { model, epochs: 15, target: 0.975, out: 'mnist-cnn.oxnet', seed: 1 }
    : { model, epochs: 15, target: 0.94, out: 'mnist-mlp.oxnet', seed: 1 };
}

const USAGE = 'use --mlp, --epochs N (or --max-epochs N), --target A, --out PATH, --seed S';

export function parseArgs(argv: string[]): MnistCliOptions {
  const opts = defaultOptions(argv.includes('--mlp') ? 'mlp' : 'cnn');
  const rest = argv.filter((a) => a !== '--mlp');
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    const num = Number(value);
    if (flag === '--out' && value) opts.out = value;
    else if ((flag === '--epochs' || flag === '--max-epochs') && Number.isInteger(num) && num > 0) opts.epochs = num;
    else if (flag === '--target' && num > 0 && num <= 1) opts.target = num;
    else if (flag === '--seed' && Number.isInteger(num) && num >= 0) opts.seed = num;
    else throw new Error(`unknown or invalid option ${flag} ${value ?? ''} (${USAGE})`);
  }
  return opts;
}

export function buildMnistMlp(seed: number): Sequential {
  const model = new Sequential({ seed });
  model.add(layers.dense({ units: 128, activation: 'relu', inputShape: [784] }));
  model.add(layers.dense({ units: 64, activation: 'relu' }));
  model.add(layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
  return model;
}

export function buildMnistCnn(seed: number): Sequential {
  const model = new Sequential({ seed });
  model.add(layers.conv2d({ filters: 16, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.conv2d({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.flatten());
  model.add(layers.dropout({ rate: 0.25 }));
  model.add(layers.dense({ units: 128, activation: 'relu' }));
  model.add(layers.dropout({ rate: 0.25 }));
  model.add(layers.dense({ units: 10, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
  return model;
}

const SETUPS = {
  cnn: { build: buildMnistCnn, batchSize: 32, name: 'CNN (conv 5x5x16, pool, conv 5x5x32, pool, dense 128, dropout)' },
  mlp: { build: buildMnistMlp, batchSize: 64, name: 'MLP (784-128-64-10)' },
};

/** Where the report goes: beside the model, named like it (mnist-cnn.oxnet -> mnist-cnn.html). */
export function reportPathFor(modelPath: string): string {
  return /\.oxnet$/i.test(modelPath) ? modelPath.replace(/\.oxnet$/i, '.html') : `${modelPath}.html`;
}

export async function runMnist(opts: MnistCliOptions): Promise<{ accuracy: number; epochs: number; path: string; report: string }> {
  const display = new ProgressDisplay();
  const data = loadMnist();
  const setup = SETUPS[opts.model];
  const model = setup.build(opts.seed);
  display.line(`oxnet MNIST ${setup.name} on the ${getBackend()} backend: ${MNIST_TRAIN} train / ${MNIST_TEST} test digits, target accuracy ${opts.target}`);
  const batchSize = setup.batchSize;
  const batches = Math.ceil(MNIST_TRAIN / batchSize);
  const start = Date.now();
  let accuracy = 0;
  let epoch = 0;
  // One History over the one-epoch fit calls, with the test figures of each epoch beside them.
  const history = new History();
  const log = trainingLog();
  while (epoch < opts.epochs && accuracy < opts.target) {
    const epochStart = Date.now();
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    const e = epoch;
    const h = await model.fit(data.trainX, data.trainY, {
      epochs: 1,
      batchSize,
      epochOrder: () => mnistEpochOrder(e),
      callbacks: [
        log,
        {
          onBatchEnd(batch, logs) {
            lossSum += logs.loss * logs.size;
            correct += logs.correct;
            seen += logs.size;
            const perBatch = (Date.now() - epochStart) / 1000 / (batch + 1);
            const left = perBatch * (batches - batch - 1 + batches * (opts.epochs - e - 1));
            display.update({ epoch: e + 1, epochs: opts.epochs, batch: batch + 1, batches, loss: lossSum / seen, acc: correct / seen, secondsLeft: left });
          },
        },
      ],
    });
    const test = model.evaluate(data.testX, data.testY);
    accuracy = test.accuracy;
    history.record(e, { loss: h.loss[0], acc: h.acc[0], testLoss: test.loss, testAcc: test.accuracy, lr: h.history.lr[0] });
    epoch++;
    const secs = (Date.now() - epochStart) / 1000;
    display.line(
      `epoch ${epoch}/${opts.epochs}  loss ${h.loss[0].toFixed(4)}  train acc ${h.acc[0].toFixed(4)}  test acc ${accuracy.toFixed(4)}  ${secs.toFixed(1)}s (${Math.round(MNIST_TRAIN / secs)} samples/s)`,
    );
  }
  const path = resolve(opts.out);
  saveModel(model, path);
  display.line(`trained ${epoch} epochs in ${formatSeconds((Date.now() - start) / 1000)}; saved the model to ${path}`);
  const report = writeReport(reportPathFor(path), {
    model,
    history,
    test: { x: data.testX, y: data.testY },
    log,
    title: `oxnet MNIST ${opts.model.toUpperCase()}`,
    ...(opts.model === 'mlp' ? { imageShape: [28, 28, 1] as [number, number, number] } : {}),
  });
  display.line(`wrote the training report to ${report} (open it in a browser)`);
  display.line(`test accuracy: ${accuracy.toFixed(4)}`);
  return { accuracy, epochs: epoch, path, report };
}

if (require.main === module) {
  let opts: MnistCliOptions;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error((e as Error).message);
    process.exit(2);
  }
  runMnist(opts).then(
    (r) => {
      if (r.accuracy < opts.target) {
        console.error(`target accuracy ${opts.target} not reached in ${r.epochs} epochs`);
        process.exitCode = 1;
      }
    },
    (e) => {
      console.error(e instanceof Error ? `${e.name}${'code' in e ? ` ${String(e.code)}` : ''}: ${e.message}` : e);
      process.exitCode = 1;
    },
  );
}
