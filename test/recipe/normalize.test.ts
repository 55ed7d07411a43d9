import { describe, expect, it } from 'vitest';
import { minmax, normalizerFromJSON, withMeta, zscore } from '../../src/data/normalize';
import { OxnetError } from '../../src/errors';

// 3 samples x 2 columns; column 1 is constant.
const train = new Float32Array([1, 5, 2, 5, 3, 5]);

describe('zscore', () => {
  it('fits mean and population std on the data given (closed form)', () => {
    const norm = zscore().fit(train, 3, 2);
    const out = norm.transform(train, 3);
    // column 0: mean 2, std sqrt(2/3) -> (x - 2) / 0.8165
    const s = Math.sqrt(2 / 3);
    expect(Array.from(out)).toEqual([-1 / s, 0, 0, 0, 1 / s, 0].map((v) => Math.fround(v)));
    expect(out.some(Number.isNaN)).toBe(false);
  });

  it('uses only the training statistics on other data', () => {
    const norm = zscore().fit(train, 3, 2);
    const test = norm.transform(new Float32Array([10, 7]), 1);
    // (10 - 2) / sqrt(2/3) and (7 - 5) / 1: the constant column divides by 1
    expect(test[0]).toBeCloseTo(8 / Math.sqrt(2 / 3), 5);
    expect(test[1]).toBe(2);
  });

  it('round-trips through inverseTransform and JSON', () => {
    const norm = zscore().fit(train, 3, 2);
    const x = new Float32Array([0.5, -3, 7, 11]);
    const back = norm.inverseTransform(norm.transform(x, 2), 2);
    for (let i = 0; i < x.length; i++) expect(back[i]).toBeCloseTo(x[i], 5);
    const again = normalizerFromJSON(JSON.parse(JSON.stringify(norm)));
    expect(again.kind).toBe('zscore');
    expect(Array.from(again.transform(x, 2))).toEqual(Array.from(norm.transform(x, 2)));
  });
});

describe('minmax', () => {
  it('maps the fitted range to [0, 1] and a constant column to 0', () => {
    const norm = minmax().fit(train, 3, 2);
    expect(Array.from(norm.transform(train, 3))).toEqual([0, 0, 0.5, 0, 1, 0]);
    // outside the training range it extrapolates linearly: (5 - 1) / 2
    expect(norm.transform(new Float32Array([5, 9]), 1)[0]).toBe(2);
    const again = normalizerFromJSON(norm.toJSON());
    expect(Array.from(again.inverseTransform(new Float32Array([0.5, 0]), 1))).toEqual([2, 5]);
  });
});

describe('errors', () => {
  it('refuses bad shapes, non-finite values and malformed JSON with codes', () => {
    const norm = zscore().fit(train, 3, 2);
    expect(() => norm.transform(new Float32Array(5), 3)).toThrow(/n \* dim = 3 \* 2/);
    expect(() => zscore().fit(new Float32Array([1, NaN]), 1, 2)).toThrow(/row 0, column 1/);
    const bad: unknown[] = [
      null,
      3,
      { kind: 'zscore', dim: 2, mean: [0], std: [1, 1] },
      { kind: 'x', dim: 1 },
      { kind: 'minmax', dim: 1, min: [2], max: [1] },
      { kind: 'zscore', dim: 1, mean: [0], std: [-1] },
    ];
    for (const json of bad) {
      try {
        normalizerFromJSON(json);
        expect.unreachable(`accepted ${JSON.stringify(json)}`);
      } catch (e) {
        expect(e).toBeInstanceOf(OxnetError);
        expect((e as OxnetError).code).toBe('E_FORMAT');
      }
    }
  });
});

describe('meta', () => {
  it('travels with the normalizer through JSON and is checked', () => {
    const norm = withMeta(minmax().fit(train, 3, 2), { task: 'classification', classes: ['a', 'b'] });
    const again = normalizerFromJSON(JSON.parse(JSON.stringify(norm)));
    expect(again.meta).toEqual({ task: 'classification', classes: ['a', 'b'] });
    expect(Array.from(again.transform(train, 3))).toEqual([0, 0, 0.5, 0, 1, 0]);
    expect(zscore().fit(train, 3, 2).meta).toBeUndefined();
    expect(() => normalizerFromJSON({ ...(norm.toJSON() as object), meta: [1] })).toThrow(/'meta' must be an object/);
  });
});
