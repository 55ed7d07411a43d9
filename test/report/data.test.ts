// The report's data part without a browser: the test-set sections on hand-made predictions
// (confusion matrix, precision / recall / F1 worked out by hand), the curves from a History,
// the batch axis, the kind rule, the filter pictures, trainingLog, and writeReport's refusals.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { adam, History, input, layers, model as functional, OxnetError, Sequential, sgd, trainingLog, writeReport } from '../../src/index';
import { autoencoderSection, classifierSection, regressorSection } from '../../src/report/analysis';
import { batchCurve, historyCurves, movingAverage, splitKey } from '../../src/report/curves';
import { firstConvFilters, encodeBytes } from '../../src/report/images';
import { modelKind } from '../../src/report/kind';
import { testTempDir } from '../helpers/temp';

const f32 = (a: number[]) => Float32Array.from(a);
const oneHot = (labels: number[], k: number) => f32(labels.flatMap((l) => Array.from({ length: k }, (_, c) => (c === l ? 1 : 0))));

describe('classifierSection on a hand-made case', () => {
  // 6 samples of 3 classes. true: 0 0 1 1 2 2; predicted: 0 1 1 1 2 0.
  // Confusion [[1,1,0],[0,2,0],[1,0,1]]. Class 0: TP 1, predicted 2, actual 2 -> P 0.5, R 0.5, F1 0.5.
  // Class 1: TP 2, predicted 3 -> P 2/3, R 1, F1 0.8. Class 2: TP 1, predicted 1 -> P 1, R 0.5, F1 2/3.
  const target = oneHot([0, 0, 1, 1, 2, 2], 3);
  const pred = f32([0.9, 0.05, 0.05, 0.3, 0.6, 0.1, 0.1, 0.8, 0.1, 0.2, 0.7, 0.1, 0.1, 0.1, 0.8, 0.55, 0.05, 0.4]);
  const s = classifierSection(pred, target, 3, { classNames: ['cat', 'dog', 'owl'] });

  it('confusion matrix, accuracy, per-class precision / recall / F1 and support', () => {
    expect(s.matrix).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 1],
    ]);
    expect(s.count).toBe(6);
    expect(s.accuracy).toBeCloseTo(4 / 6, 12);
    expect(s.scores.precision).toEqual([0.5, 2 / 3, 1]);
    expect(s.scores.recall).toEqual([0.5, 1, 0.5]);
    expect(s.scores.f1[0]).toBeCloseTo(0.5, 12);
    expect(s.scores.f1[1]).toBeCloseTo(0.8, 12);
    expect(s.scores.f1[2]).toBeCloseTo(2 / 3, 12);
    expect(s.scores.support).toEqual([2, 2, 2]);
    expect(s.classes).toEqual(['cat', 'dog', 'owl']);
  });

  it('mistakes: every wrong row, the most confident first, with the predicted class output', () => {
    expect(s.misclassified).toBe(2);
    expect(s.mistakes.map((m) => [m.index, m.truth, m.predicted])).toEqual([
      [1, 0, 1],
      [5, 2, 0],
    ]);
    expect(s.mistakes[0].confidence).toBeCloseTo(0.6, 6);
    expect(s.mistakes[1].confidence).toBeCloseTo(0.55, 6);
    expect(s.mistakes[0].image).toBeUndefined(); // not an image input
  });

  it('one sigmoid output: classes by the 0.5 threshold, confidence of the predicted side', () => {
    const b = classifierSection(f32([0.9, 0.2, 0.4, 0.7]), f32([1, 0, 1, 0]), 1);
    expect(b.matrix).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(b.mistakes.map((m) => [m.index, m.confidence.toFixed(2)])).toEqual([
      [3, '0.70'],
      [2, '0.60'],
    ]);
  });

  it('image inputs: each mistake carries its picture, on the range of all test inputs', () => {
    const x = f32([0, 0.5, 1, 1, 0, 0.25, 0.25, 0.5]); // 2 samples of 2x2x1
    const c = classifierSection(f32([0.2, 0.8, 0.9, 0.1]), oneHot([0, 0], 2), 2, { images: { x, shape: [2, 2, 1] } });
    expect(c.mistakes.length).toBe(1);
    expect([...Buffer.from(c.mistakes[0].image!.data, 'base64')]).toEqual([0, 128, 255, 255]);
  });
});

describe('regression and autoencoder sections', () => {
  it('predicted against true: pairs sorted by the true value, R^2 and MAE', () => {
    const r = regressorSection(f32([2, 0, 5, 4]), f32([3, 1, 5, 4]), 1);
    expect(r.columns[0].truth).toEqual([1, 3, 4, 5]);
    expect(r.columns[0].predicted).toEqual([0, 2, 4, 5]);
    // SS_res = 1 + 1 = 2, mean 3.25, SS_tot = 0.0625 + 5.0625 + 0.5625 + 3.0625 = 8.75
    expect(r.columns[0].r2).toBeCloseTo(1 - 2 / 8.75, 6);
    expect(r.columns[0].mae).toBeCloseTo(0.5, 6);
  });

  it('reconstructions: per-row error, the values beside their reconstruction', () => {
    const a = autoencoderSection(f32([0, 1, 1, 1]), f32([0, 0, 1, 1]), 2, null);
    expect(a.count).toBe(2);
    expect(a.mse).toBeCloseTo(0.25, 12); // rows: 0.5 and 0
    expect(a.samples.map((s) => s.error)).toEqual([0.5, 0]);
    expect(a.samples[0].input).toEqual([0, 0]);
    expect(a.samples[0].output).toEqual([0, 1]);
  });
});

describe('curves', () => {
  it('one chart per quantity, training / validation / test series in that order, lr apart', () => {
    expect(splitKey('valAcc')).toEqual({ quantity: 'acc', split: 'validation' });
    expect(splitKey('val_kind_loss')).toEqual({ quantity: 'kind_loss', split: 'validation' });
    expect(splitKey('testLoss')).toEqual({ quantity: 'loss', split: 'test' });
    expect(splitKey('value')).toEqual({ quantity: 'value', split: 'training' });
    const c = historyCurves([0, 1], { acc: [0.5, 0.6], loss: [1, 0.5], valLoss: [1.2, Number.NaN], testAcc: [0.4, 0.7], lr: [0.1, 0.05] });
    expect(c.epochs).toEqual([1, 2]);
    expect(c.charts.map((ch) => [ch.title, ch.series.map((s) => s.label)])).toEqual([
      ['loss', ['training', 'validation']],
      ['accuracy', ['training', 'test']],
    ]);
    expect(c.charts[0].series[1].values).toEqual([1.2, null]);
    expect(c.lr).toEqual([0.1, 0.05]);
  });

  it('batches on a fractional-epoch axis from where each epoch ended; a centred moving average', () => {
    const b = batchCurve({ batchLoss: [4, 3, 2, 1, 1], epochEnds: [2, 4], seconds: 1, samples: 10 })!;
    expect(b.x).toEqual([0.5, 1, 1.5, 2, 3]); // the last batch: an epoch cut short
    expect(movingAverage([1, 2, 3, 4, 5], 1)).toEqual([1.5, 2, 3, 4, 4.5]);
    expect(batchCurve({ batchLoss: [], epochEnds: [], seconds: 0, samples: 0 })).toBeNull();
    // 12,000 batches of 4 epochs: means of 3 batches, at the last batch of each run
    const many = batchCurve({ batchLoss: Array.from({ length: 12_000 }, (_, i) => i % 3), epochEnds: [3000, 6000, 9000, 12_000], seconds: 1, samples: 1 })!;
    expect([many.per, many.batches, many.loss.length]).toEqual([3, 12_000, 4000]);
    expect(many.loss.every((v) => v === 1)).toBe(true);
    expect(many.x[0]).toBeCloseTo(3 / 3000, 12);
    expect(many.x.at(-1)).toBe(4);
  });
});

describe('what kind of model', () => {
  const compiled = (loss: string, metrics: string[] = []) => {
    const m = new Sequential({ seed: 1 });
    m.add(layers.dense({ units: 1, inputShape: [1], activation: loss === 'binaryCrossentropy' ? 'sigmoid' : 'linear' }));
    m.compile({ loss: loss as 'mse', optimizer: sgd(), metrics: metrics as 'accuracy'[] });
    return m.compiled!;
  };
  it('a classification loss or an accuracy metric: classifier; same size and shape or targets = inputs: autoencoder; else regressor', () => {
    expect(modelKind({ compiled: compiled('binaryCrossentropy'), inputShape: [1], outputShape: [1] })).toBe('classifier');
    expect(modelKind({ compiled: compiled('mse', ['accuracy']), inputShape: [2], outputShape: [1] })).toBe('classifier');
    expect(modelKind({ compiled: compiled('mse'), inputShape: [2], outputShape: [1] })).toBe('regressor');
    expect(modelKind({ compiled: compiled('mse'), inputShape: [28, 28, 1], outputShape: [28, 28, 1] })).toBe('autoencoder');
    const x = f32([1, 2, 3, 4]);
    expect(modelKind({ compiled: compiled('mse'), inputShape: [2], outputShape: [2], test: { x, y: x.slice() } })).toBe('autoencoder');
    expect(modelKind({ compiled: compiled('mse'), inputShape: [2], outputShape: [2], test: { x, y: f32([1, 2, 3, 5]) } })).toBe('regressor');
  });
});

describe('pictures', () => {
  it('encodeBytes maps [lo, hi] to 0..255, clamped', () => {
    expect([...Buffer.from(encodeBytes([-1, 0, 1, 3], -1, 1).data, 'base64')]).toEqual([0, 128, 255, 255]);
  });

  it("the first conv2d's filters, HWIO read per filter, on a diverging scale symmetric about 0", () => {
    const m = new Sequential({ seed: 1 });
    m.add(layers.conv2d({ filters: 2, kernelSize: 2, inputShape: [4, 4, 1], useBias: false }));
    m.add(layers.conv2d({ filters: 1, kernelSize: 1 }));
    // kernel [2, 2, 1, 2]: element (i, j, 0, f) at (i * 2 + j) * 2 + f
    const w = m.getWeights();
    w[0] = f32([1, -2, 0, 2, -1, 0, 0.5, 1]);
    m.setWeights(w);
    const f = firstConvFilters(m.graph, m.getWeights())!;
    expect(f.layer).toBe('conv2d_1');
    expect(f.shape).toEqual([2, 2, 1]);
    const px = f.images.map((img) => [...Buffer.from(img.data, 'base64')]);
    expect(px[0]).toEqual([255, 128, 0, 191]); // 1, 0, -1, 0.5 over its largest |w| 1: -1 -> 0, 0 -> 128, 1 -> 255
    expect(px[1]).toEqual([0, 255, 128, 191]); // -2, 2, 0, 1 over 2
  });
});

function tinyClassifier(): Sequential {
  const m = new Sequential({ seed: 1 });
  m.add(layers.dense({ units: 4, activation: 'tanh', inputShape: [2] }));
  m.add(layers.dense({ units: 2, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.05 }), metrics: ['accuracy'] });
  return m;
}
const xs = f32([0, 0, 0, 1, 1, 0, 1, 1]);
const ys = oneHot([0, 1, 1, 0], 2);

describe('trainingLog', () => {
  it('per model: batch losses, epoch ends, samples and time added up over fit calls', async () => {
    const a = tinyClassifier();
    const b = tinyClassifier();
    const log = trainingLog();
    await a.fit(xs, ys, { epochs: 3, batchSize: 3, callbacks: [log] });
    await a.fit(xs, ys, { epochs: 1, batchSize: 3, callbacks: [log] });
    await b.fit(xs, ys, { epochs: 2, batchSize: 4, callbacks: [log] });
    const ra = log.of(a)!;
    expect(ra.batchLoss.length).toBe(8); // 4 epochs of 2 batches
    expect(ra.epochEnds).toEqual([2, 4, 6, 8]);
    expect(ra.samples).toBe(16);
    expect(ra.seconds).toBeGreaterThan(0);
    expect(log.of(b)!.batchLoss.length).toBe(2);
    expect(log.of(tinyClassifier())).toBeUndefined();
    expect(() => (trainingLog as (...a: unknown[]) => unknown)({})).toThrow(OxnetError);
  });
});

describe('writeReport', () => {
  it('writes one self-contained file: no external script, style or link; the data survives markup in names', async () => {
    const dir = testTempDir('oxnet-report-unit-');
    const m = tinyClassifier();
    const log = trainingLog();
    const history = await m.fit(xs, ys, { epochs: 5, batchSize: 2, callbacks: [log] });
    const names = ['</script><b>zero', 'one & "two"'];
    const path = writeReport(dir.file('r.html'), { model: m, history, test: { x: xs, y: ys }, log, classNames: names });
    const html = readFileSync(path, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);
    expect(html).toContain('uPlot');
    const json = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1];
    const data = JSON.parse(json);
    expect(data.classifier.classes).toEqual(names);
    expect(data.classifier.count).toBe(4);
    expect(data.batches.loss).toEqual(log.of(m)!.batchLoss);
    expect(data.curves.charts[0].series[0].values).toEqual(history.loss);
    expect(html).toContain('&lt;/script&gt;&lt;b&gt;zero'); // escaped in the score table
    expect(readdirSync(dir.path)).toEqual(['r.html']); // no temp file left
  });

  it('a model with two outputs: a curve per output loss, no test section, said in the subtitle', async () => {
    const dir = testTempDir('oxnet-report-unit-');
    const a = input({ shape: [2], name: 'a' });
    const two = functional({
      inputs: a,
      outputs: [layers.dense({ units: 1, name: 'p' }).apply(a), layers.dense({ units: 1, name: 'q' }).apply(a)] as never,
      seed: 1,
    });
    two.compile({ loss: 'mse', optimizer: sgd() });
    const history = await two.fit(xs, [f32([0, 1, 1, 0]), f32([1, 0, 0, 1])], { epochs: 3, batchSize: 4 });
    const html = readFileSync(writeReport(dir.file('two.html'), { model: two, history }), 'utf8');
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]);
    expect(data.kind).toBeNull();
    expect(data.curves.charts.map((c: { title: string }) => c.title)).toEqual(['loss', 'p_loss', 'q_loss']);
    expect(html).toContain('A model with 1 input and 2 outputs, trained with oxnet');
    expect(html).not.toContain('id="test"');
  });

  it('refuses bad arguments with typed errors naming them', async () => {
    const dir = testTempDir('oxnet-report-unit-');
    const m = tinyClassifier();
    const history = new History();
    const bad = (path: unknown, opts: unknown) => {
      try {
        writeReport(path as string, opts as never);
      } catch (e) {
        expect(e).toBeInstanceOf(OxnetError);
        return `${(e as OxnetError).code} ${(e as Error).message}`;
      }
      throw new Error('no error');
    };
    const p = dir.file('r.html');
    expect(bad('', { model: m, history })).toMatch(/^E_ARG writeReport: path must be a non-empty file path/);
    expect(bad(p, undefined)).toMatch(/^E_ARG writeReport: options must be an object/);
    expect(bad(p, { model: m, history, tset: {} })).toMatch(/unknown option 'tset'/);
    expect(bad(p, { model: {}, history })).toMatch(/^E_ARG writeReport: model must be an oxnet Model/);
    const raw = new Sequential({ seed: 1 });
    raw.add(layers.dense({ units: 1, inputShape: [1] }));
    expect(bad(p, { model: raw, history })).toMatch(/^E_STATE writeReport: compile/);
    expect(bad(p, { model: m, history: { loss: [] } })).toMatch(/history must be the History fit returned/);
    expect(bad(p, { model: m, history, test: [xs, ys] })).toMatch(/test must be \{ x, y \}/);
    expect(bad(p, { model: m, history, test: { x: xs, y: f32([1]) } })).toMatch(/^E_SHAPE .*test\.y/);
    expect(bad(p, { model: m, history, classNames: ['a'] })).toMatch(/classNames must be 2 strings/);
    expect(bad(p, { model: m, history, kind: 'ranker' })).toMatch(/kind must be one of classifier, regressor, autoencoder/);
    expect(bad(p, { model: m, history, imageShape: [2, 2, 1] })).toMatch(/imageShape must be \[height, width, 1 or 3\] with 2 values/);
    expect(bad(p, { model: m, history, log: {} })).toMatch(/log must be a trainingLog\(\) callback/);
    const a = input({ shape: [2], name: 'a' });
    const two = functional({ inputs: a, outputs: [layers.dense({ units: 1 }).apply(a), layers.dense({ units: 1 }).apply(a)] as never, seed: 1 });
    two.compile({ loss: 'mse', optimizer: sgd() });
    expect(bad(p, { model: two, history, test: { x: xs, y: xs } })).toMatch(/one input and one output, this one has 1 and 2/);
    expect(bad(dir.file('missing/r.html'), { model: m, history })).toMatch(/^E_IO writeReport: cannot write .*its folder does not exist/);
    expect(existsSync(p)).toBe(false);
    expect(readdirSync(dir.path)).toEqual([]);
  });
});
