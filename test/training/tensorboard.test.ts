// The TensorBoard callback: the files it writes are read back with our own reader (framing and
// CRC-32C checked, decoded with the same protobufjs types), and every scalar must be the
// History's value for that epoch (as float32, simple_value's type).
import { crc32c } from '@aws-crypto/crc32c';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIris } from '../../src/data/iris';
import { dense } from '../../src/layers/dense';
import { Sequential } from '../../src/model/sequential';
import { adam } from '../../src/index';
import { tensorBoard, tensorBoardTag } from '../../src/training/tensorboard';
import { frameRecord, histogram, maskCrc } from '../../src/training/tfevents';
import { eventFiles, readEventFile, scalars } from '../helpers/tfevents';
import { testTempDir } from '../helpers/temp';

function irisModel(seed = 3) {
  const model = new Sequential({ seed });
  model.add(dense({ units: 8, activation: 'tanh', inputShape: [4] }));
  model.add(dense({ units: 3, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.02 }), metrics: ['accuracy'] });
  return model;
}

const iris = loadIris();

describe('tensorBoard', () => {
  it('writes epoch scalars equal to the History, val figures in logdir/val, batch_loss and histograms', async () => {
    const dir = testTempDir('oxnet-tb-');
    const model = irisModel();
    const cb = tensorBoard(dir.path, { updateFreq: 'batch', histograms: true });
    const epochs = 4;
    const batchSize = 16;
    const history = await model.fit(iris.x, iris.y, { epochs, batchSize, validationSplit: 0.2, callbacks: [cb] });
    expect(cb.files).toHaveLength(2);

    const [trainFile] = eventFiles(join(dir.path, 'train'));
    const [valFile] = eventFiles(join(dir.path, 'val'));
    expect(trainFile).toMatch(/events\.out\.tfevents\.\d+\.[^/]+$/);
    const trainEvents = readEventFile(trainFile);
    const valEvents = readEventFile(valFile);
    expect(trainEvents[0].fileVersion).toBe('brain.Event:2');
    expect(valEvents[0].fileVersion).toBe('brain.Event:2');

    const train = scalars(trainEvents);
    const val = scalars(valEvents);
    const f = (vs: number[]) => vs.map((v, e) => [e, Math.fround(v)]);
    expect(train.epoch_loss).toEqual(f(history.loss));
    expect(train.epoch_accuracy).toEqual(f(history.acc));
    expect(train.epoch_learning_rate).toEqual(f(history.history.lr));
    expect(val.epoch_loss).toEqual(f(history.valLoss));
    expect(val.epoch_accuracy).toEqual(f(history.valAcc));
    // Every History column is somewhere, under its TensorBoard name.
    for (const [key, values] of Object.entries(history.history)) {
      const { val: isVal, name } = tensorBoardTag(key);
      expect((isVal ? val : train)[`epoch_${name}`], key).toEqual(f(values));
    }

    // batch_loss: one per batch, steps 1..epochs*batches; the mean over an epoch's batches
    // (weighted by batch size) is the epoch's loss.
    const nTrain = Math.floor(iris.count * 0.8);
    const batches = Math.ceil(nTrain / batchSize);
    expect(train.batch_loss.map(([s]) => s)).toEqual(Array.from({ length: epochs * batches }, (_, i) => i + 1));
    for (let e = 0; e < epochs; e++) {
      let sum = 0;
      for (let b = 0; b < batches; b++) sum += train.batch_loss[e * batches + b][1] * Math.min(batchSize, nTrain - b * batchSize);
      expect(sum / nTrain).toBeCloseTo(history.loss[e], 5);
    }

    // Histograms: one per weight tensor per epoch, the bucket counts add up to its size.
    const weights = model.getWeights();
    const names = model.weightsInfo().map((w) => w.name);
    const histos = trainEvents.flatMap((e) => (e.summary?.value ?? []).filter((v) => v.histo).map((v) => ({ step: e.step, tag: v.tag, h: v.histo! })));
    expect(histos).toHaveLength(epochs * weights.length);
    for (const { step, tag, h } of histos) {
      const i = names.indexOf(tag);
      expect(i, tag).toBeGreaterThanOrEqual(0);
      expect(h.bucket.reduce((a, b) => a + b, 0)).toBe(weights[i].length);
      expect(h.num).toBe(weights[i].length);
      expect(h.bucketLimit).toHaveLength(h.bucket.length);
      expect(h.bucketLimit.at(-1)).toBe(h.max);
      if (step === epochs - 1) {
        expect(h.min).toBe(Math.min(...weights[i]));
        expect(h.max).toBe(Math.max(...weights[i]));
      }
    }
  });

  it("with updateFreq 'epoch' writes no batch_loss, keeps the whole-epoch path, and no val folder without validation", async () => {
    const dir = testTempDir('oxnet-tb-');
    const cb = tensorBoard(dir.path);
    expect(cb.onBatchEnd).toBeUndefined();
    const history = await irisModel().fit(iris.x, iris.y, { epochs: 3, batchSize: 32, callbacks: cb });
    expect(existsSync(join(dir.path, 'val'))).toBe(false);
    const train = scalars(readEventFile(eventFiles(join(dir.path, 'train'))[0]));
    expect(Object.keys(train).sort()).toEqual(['epoch_accuracy', 'epoch_learning_rate', 'epoch_loss']);
    expect(train.epoch_loss.map(([, v]) => v)).toEqual(history.loss.map(Math.fround));
  });

  it('updateFreq n logs every n-th batch; a second fit gets a file of its own', async () => {
    const dir = testTempDir('oxnet-tb-');
    const cb = tensorBoard(dir.path, { updateFreq: 3 });
    const model = irisModel();
    await model.fit(iris.x, iris.y, { epochs: 2, batchSize: 10, callbacks: cb });
    await model.fit(iris.x, iris.y, { epochs: 1, batchSize: 10, callbacks: cb });
    const files = eventFiles(join(dir.path, 'train'));
    expect(files).toHaveLength(2);
    expect(cb.files.sort()).toEqual(files);
    const first = scalars(readEventFile(cb.files[0]));
    expect(first.batch_loss.map(([s]) => s)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    // The second fit's batch steps go on from the model's 30 optimizer steps.
    expect(scalars(readEventFile(cb.files[1])).batch_loss.map(([s]) => s)).toEqual([33, 36, 39, 42, 45]);
    expect(readdirSync(join(dir.path, 'train'))).toHaveLength(2);
  });

  it('refuses bad options with E_ARG', () => {
    const bad: [unknown, unknown][] = [
      ['', undefined],
      [42, undefined],
      ['logs', { updateFreq: 'step' }],
      ['logs', { updateFreq: 0 }],
      ['logs', { updateFreq: 2.5 }],
      ['logs', { histograms: 'yes' }],
      ['logs', { histogramFreq: 1 }],
      ['logs', 'batch'],
    ];
    for (const [logdir, opts] of bad) {
      expect(() => tensorBoard(logdir as string, opts as object), JSON.stringify([logdir, opts])).toThrow(expect.objectContaining({ code: 'E_ARG' }));
    }
  });

  it('histogram: equal-width buckets between min and max, constants in one bucket', () => {
    const h = histogram(Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), 5);
    expect(h).toMatchObject({ min: 0, max: 9, num: 10, sum: 45, sumSquares: 285 });
    expect(h.bucket).toEqual([2, 2, 2, 2, 2]);
    expect(h.bucketLimit.at(-1)).toBe(9);
    expect(histogram([0.5, 0.5, 0.5])).toMatchObject({ min: 0.5, max: 0.5, num: 3, bucket: [3], bucketLimit: [0.5] });
  });

  it('frames records as TFRecord: length, masked CRC-32C of it, data, masked CRC-32C of the data', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // CRC-32C's check value
    const unmask = (m: number) => {
      const rot = (m - 0xa282ead8) >>> 0;
      return ((rot >>> 17) | (rot << 15)) >>> 0;
    };
    for (const c of [0, 1, 0xe3069283, 0xffffffff]) expect(unmask(maskCrc(c))).toBe(c);
    const data = Buffer.from('abc');
    const r = frameRecord(data);
    expect(r.length).toBe(19);
    expect(r.readBigUInt64LE(0)).toBe(3n);
    expect(r.readUInt32LE(8)).toBe(maskCrc(crc32c(r.subarray(0, 8))));
    expect(r.subarray(12, 15).toString()).toBe('abc');
    expect(r.readUInt32LE(15)).toBe(maskCrc(crc32c(data)));
  });
});
