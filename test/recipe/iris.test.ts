// The whole course recipe on Fisher's iris data: features normalized on the training split only,
// stratified train / validation / test split, a size search compared on validation only, the
// winner tested once.
import { describe, expect, it } from 'vitest';
import { loadIris } from '../../src/data/iris';
import { zscore } from '../../src/data/normalize';
import { trainValTestSplit } from '../../src/data/split';
import { dense } from '../../src/layers/dense';
import { accuracy, confusionMatrix } from '../../src/metrics';
import { Sequential } from '../../src/model/sequential';
import { selectModel, selectionTable } from '../../src/training/selection';

describe('iris recipe', () => {
  it('selects a hidden size on validation and reaches >= 93% test accuracy', async () => {
    const iris = loadIris();
    const s = trainValTestSplit(iris.x, iris.y, { count: iris.count, fractions: [0.6, 0.2, 0.2], seed: 7, stratify: true });
    const norm = zscore().fit(s.train.x, s.train.count, 4);
    const configs = [[2], [4], [8, 4]];
    const result = await selectModel({
      configs,
      build: (hidden, seed) => {
        const m = new Sequential({ seed });
        hidden.forEach((units, i) => {
          m.add(dense({ units, activation: 'tanh', ...(i === 0 ? { inputShape: [4] } : {}) }));
        });
        m.add(dense({ units: 3, activation: 'softmax', ...(hidden.length === 0 ? { inputShape: [4] } : {}) }));
        m.compile({ loss: 'categoricalCrossentropy', optimizer: { kind: 'adam', lr: 0.02 }, metrics: ['accuracy'] });
        return m.setNormalizer(norm);
      },
      train: s.train,
      val: s.val,
      test: s.test,
      restarts: 2,
      seed: 1,
      fitArgs: { epochs: 120, batchSize: 16 },
      label: (h) => h.join(','),
    });
    const table = selectionTable(result, { accuracy: true });
    console.log(table);
    expect(result.rows.map((r) => r.label)).toEqual(['2', '4', '8,4']);
    // the chosen row is the lowest validation loss, and only it was tested
    expect(result.best.val.loss).toBe(Math.min(...result.rows.map((r) => r.val.loss)));
    expect(table.split('\n').filter((l) => l.startsWith('*'))).toHaveLength(1);
    // parameter counts: 4*h + h + h*3 + 3 (dense weights and biases)
    expect(result.rows[0].params).toBe(4 * 2 + 2 + 2 * 3 + 3);
    expect(result.test!.count).toBe(30);
    expect(result.test!.accuracy).toBeGreaterThanOrEqual(0.93);
    // the test scores agree with the metrics module on the same predictions
    const pred = result.best.model.predict(s.test.x);
    expect(accuracy(pred, s.test.y, 3)).toBeCloseTo(result.test!.accuracy, 12);
    const m = confusionMatrix(pred, s.test.y, 3);
    expect(m.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([10, 10, 10]);
  });
});
