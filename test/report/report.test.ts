// The HTML report in a real browser: reports for a small CNN classifier on MNIST digits, a dense
// autoencoder of the same digits and a regressor, each opened from disk in headless Chromium.
// Checked: no console or page error and no network request, every chart drew its series (pixels
// of each series' colour on its canvas), every image canvas holds a picture (more than one
// colour), the confusion matrix's cells add up to the test count; a full-page screenshot of each
// goes to target/report/ for a person to look at.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adam, gaussianBlobs, layers, loadMnist, noisyFunction, Sequential, trainingLog, writeReport } from '../../src/index';
import { tempDir } from '../helpers/temp';
import { type Drawn, findChromium, launch, loadReport } from './browser';

const chromiumPath = findChromium();
const ci = Boolean(process.env.CI);
if (!chromiumPath && !ci)
  console.warn('[oxnet tests] HTML report browser checks SKIPPED: chromium is not installed (apt-get install chromium, or set CHROMIUM_PATH)');

const dir = tempDir('oxnet-report-');
let browser: Browser | null = null;
beforeAll(async () => {
  if (chromiumPath) browser = await launch(chromiumPath);
}, 30_000);
afterAll(async () => {
  await browser?.close();
});

function expectDrawn(drawn: Drawn[], expected: string[]): void {
  expect(drawn.map((d) => d.draw).sort()).toEqual([...expected].sort());
  for (const d of drawn) {
    const where = `${d.draw}${d.index === null ? '' : ` #${d.index}`}`;
    // a series drawn as a line or as points covers dozens of pixels at least
    for (const [i, n] of d.seriesPixels.entries()) expect(n, `${where}: pixels of series ${i + 1}`).toBeGreaterThan(20);
    for (const [i, n] of d.canvasColours.entries()) expect(n, `${where}: colours of canvas ${i + 1}`).toBeGreaterThan(1);
    expect(d.seriesPixels.length + d.canvasColours.length + d.cells, `${where}: something drawn`).toBeGreaterThan(0);
  }
}

describe('writeReport, opened in headless Chromium', () => {
  it('chromium is installed (required on CI)', () => {
    if (ci) expect(chromiumPath, 'CI needs chromium for the report tests: apt-get install chromium').not.toBeNull();
  });

  it.skipIf(!chromiumPath)(
    'a CNN classifier on MNIST digits: curves, batch loss, confusion matrix summing to the test count, mistakes, filters',
    async () => {
      const m = loadMnist();
      const n = 2000;
      const nTest = 500;
      const x = m.trainX.subarray(0, n * 784);
      const y = m.trainY.subarray(0, n * 10);
      const val = [m.trainX.subarray(n * 784, (n + 500) * 784), m.trainY.subarray(n * 10, (n + 500) * 10)] as [Float32Array, Float32Array];
      const test = { x: m.testX.subarray(0, nTest * 784), y: m.testY.subarray(0, nTest * 10) };
      const model = new Sequential({ seed: 3, name: 'MNIST CNN (test)' });
      model.add(layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
      model.add(layers.maxPooling2d({ poolSize: 2 }));
      model.add(layers.flatten());
      model.add(layers.dense({ units: 10, activation: 'softmax' }));
      model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 2e-3 }), metrics: ['accuracy'] });
      const log = trainingLog();
      const history = await model.fit(x, y, { epochs: 3, batchSize: 32, validationData: val, callbacks: [log] });
      const file = writeReport(dir.file('cnn.html'), { model, history, test, log });
      expect(existsSync(file)).toBe(true);

      const page = await loadReport(browser!, file, 'mnist-cnn');
      expect(page.errors).toEqual([]);
      expectDrawn(page.drawn, ['curve', 'curve', 'batches', 'lr', 'confusion', 'mistakes', 'filters']);
      const heat = page.drawn.find((d) => d.draw === 'confusion')!;
      expect(heat.cells).toBe(100);
      expect(heat.cellSum).toBe(nTest);
      const accuracy = model.evaluate(test.x, test.y).accuracy;
      const wrong = Math.round((1 - accuracy) * nTest);
      expect(wrong).toBeGreaterThan(0);
      expect(page.drawn.find((d) => d.draw === 'mistakes')!.canvasColours.length).toBe(Math.min(wrong, 48));
      expect(page.drawn.find((d) => d.draw === 'filters')!.canvasColours.length).toBe(8);
      // the loss chart has its training and validation series, the batch chart raw and smoothed
      expect(page.drawn.find((d) => d.draw === 'curve' && d.index === '0')!.seriesPixels.length).toBe(2);
      expect(page.drawn.find((d) => d.draw === 'batches')!.seriesPixels.length).toBe(2);
    },
    120_000,
  );

  it.skipIf(!chromiumPath)(
    'a dense autoencoder of MNIST digits: reconstructions beside their inputs and the value scatter',
    async () => {
      const m = loadMnist();
      const n = 1000;
      const x = m.trainX.subarray(0, n * 784);
      const test = { x: m.testX.subarray(0, 200 * 784), y: m.testX.subarray(0, 200 * 784) };
      const model = new Sequential({ seed: 2, name: 'MNIST autoencoder (test)' });
      model.add(layers.flatten({ inputShape: [28, 28, 1] }));
      model.add(layers.dense({ units: 32, activation: 'relu' }));
      model.add(layers.dense({ units: 784, activation: 'sigmoid' }));
      model.add(layers.reshape({ targetShape: [28, 28, 1] }));
      model.compile({ loss: 'mse', optimizer: adam({ lr: 3e-3 }) });
      const history = await model.fit(x, x, { epochs: 3, batchSize: 32, validationSplit: 0.1 });
      const file = writeReport(dir.file('ae.html'), { model, history, test });
      const page = await loadReport(browser!, file, 'mnist-autoencoder');
      expect(page.errors).toEqual([]);
      expectDrawn(page.drawn, ['curve', 'lr', 'reconstructions', 'scatter']);
      expect(page.drawn.find((d) => d.draw === 'reconstructions')!.canvasColours.length).toBe(24); // 12 inputs, 12 reconstructions
    },
    120_000,
  );

  it.skipIf(!chromiumPath)(
    'an autoencoder of table rows: each row and its reconstruction as strips of cells',
    async () => {
      const data = gaussianBlobs({ count: 300, classes: 3, dims: 6, seed: 2 });
      const model = new Sequential({ seed: 1 });
      model.add(layers.dense({ units: 2, activation: 'tanh', inputShape: [6] }));
      model.add(layers.dense({ units: 6 }));
      model.compile({ loss: 'mse', optimizer: adam({ lr: 0.02 }) });
      const history = await model.fit(data.x, data.x, { epochs: 20, batchSize: 32 });
      const test = { x: data.x.subarray(0, 60 * 6), y: data.x.subarray(0, 60 * 6) };
      const page = await loadReport(browser!, writeReport(dir.file('tab.html'), { model, history, test }), 'table-autoencoder');
      expect(page.errors).toEqual([]);
      expectDrawn(page.drawn, ['curve', 'lr', 'reconstructions', 'scatter']);
      expect(page.drawn.find((d) => d.draw === 'reconstructions')!.canvasColours.length).toBe(24);
    },
    60_000,
  );

  it.skipIf(!chromiumPath)(
    'a regressor: predicted against true',
    async () => {
      const data = noisyFunction({ count: 600, seed: 4 });
      const test = noisyFunction({ count: 200, seed: 5 });
      const model = new Sequential({ seed: 1 });
      model.add(layers.dense({ units: 16, activation: 'tanh', inputShape: [2] }));
      model.add(layers.dense({ units: 1 }));
      model.compile({ loss: 'mse', optimizer: adam({ lr: 0.02 }) });
      const log = trainingLog();
      const history = await model.fit(data.x, data.y, { epochs: 30, batchSize: 32, validationSplit: 0.2, callbacks: [log] });
      const file = writeReport(dir.file('reg.html'), { model, history, test: { x: test.x, y: test.y }, log });
      const page = await loadReport(browser!, file, 'regressor');
      expect(page.errors).toEqual([]);
      expectDrawn(page.drawn, ['curve', 'batches', 'lr', 'scatter']);
    },
    60_000,
  );
});
