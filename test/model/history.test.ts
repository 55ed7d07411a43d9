// History: the per-epoch record() and the bulk recordColumns() of fit's one-call path agree, and
// fit's history holds one value per epoch trained, with the metrics asked for.
import { describe, expect, it } from 'vitest';
import { History } from '../../src/model/history';
import { Sequential, layers, sgd } from '../../src/index';
import { nativeOrNull } from '../helpers/backends';

describe('History', () => {
  it('recordColumns equals record() epoch by epoch, constants repeated, key order kept', () => {
    const losses = Float64Array.from([0.9, 0.5, 0.25]);
    const correct = Float64Array.from([1, 3, 4]);
    const byEpoch = new History();
    for (let e = 0; e < 3; e++) byEpoch.record(e, { loss: losses[e], lr: 0.5, acc: correct[e] / 4 });
    const bulk = new History();
    bulk.recordColumns(0, 3, { loss: losses, lr: 0.5, acc: correct.map((c) => c / 4) });
    expect(bulk.epoch).toEqual([0, 1, 2]);
    expect(bulk.history).toEqual(byEpoch.history);
    expect(Object.keys(bulk.history)).toEqual(['loss', 'lr', 'acc']);
    // Only the first `count` entries of a longer column.
    const part = new History();
    part.recordColumns(0, 2, { loss: losses });
    expect(part.loss).toEqual([0.9, 0.5]);
  });

  for (const backend of nativeOrNull().native ? (['js', 'native'] as const) : (['js'] as const)) {
    it(`fit in one call fills loss, lr, acc and misclassified per epoch (${backend})`, async () => {
      const m = new Sequential({ seed: 2, backend });
      m.add(layers.dense({ units: 3, activation: 'sigmoid', inputShape: [2] }));
      m.add(layers.dense({ units: 1, activation: 'sigmoid' }));
      m.compile({ loss: 'binaryCrossentropy', optimizer: sgd({ lr: 0.5 }), metrics: ['acc', 'misclassified'] });
      const x = Float32Array.from([0, 0, 0, 1, 1, 0, 1, 1]);
      const y = Float32Array.from([0, 1, 1, 1]);
      const h = await m.fit(x, y, { epochs: 40, batchSize: 1, shuffle: false });
      expect(h.epoch).toEqual([...Array(40).keys()]);
      expect(h.loss.length).toBe(40);
      expect(h.history.lr).toEqual(Array(40).fill(0.5));
      expect(h.loss[39]).toBeLessThan(h.loss[0]);
      for (let e = 0; e < 40; e++) {
        expect(h.acc[e] * 4 + h.history.misclassified[e]).toBeCloseTo(4, 9);
        expect(Number.isInteger(h.history.misclassified[e])).toBe(true);
      }
    });
  }
});
