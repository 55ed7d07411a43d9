// The merge layers: hand-computed forwards, shape refusals naming the layer, and the layer check
// (float64 gradient check on js, native against js) for each kind.
import { describe, expect, it } from 'vitest';
import { input } from '../../src/graph/symbolic';
import { layers } from '../../src/layers';
import { Model } from '../../src/model/model';
import { checkLayer } from '../helpers/layerCheck';

function twoInputs(kind: 'add' | 'subtract' | 'multiply' | 'average' | 'maximum', backend: 'js' | 'native' = 'js') {
  const a = input({ shape: [3], name: 'a' });
  const b = input({ shape: [3], name: 'b' });
  return new Model({ inputs: [a, b], outputs: layers[kind]().apply([a, b]), seed: 1, backend });
}

describe('merge layers', () => {
  const a = [1, -2, 3];
  const b = [4, 5, -6];
  const cases: [Parameters<typeof twoInputs>[0], number[]][] = [
    ['add', [5, 3, -3]],
    ['subtract', [-3, -7, 9]],
    ['multiply', [4, -10, -18]],
    ['average', [2.5, 1.5, -1.5]],
    ['maximum', [4, 5, 3]],
  ];
  it.each(cases)('%s of [1, -2, 3] and [4, 5, -6]', (kind, want) => {
    expect(Array.from(twoInputs(kind).predict([[a], [b]]) as Float32Array)).toEqual(want);
  });

  it.each(['add', 'subtract', 'multiply', 'average', 'maximum'] as const)('%s: float64 gradient check; native equals js', (kind) => {
    checkLayer({
      shapes: [
        [2, 3],
        [2, 3],
      ],
      apply: (xs) => layers[kind]().apply(xs),
    });
  });

  it('three inputs, one of them twice: add(x, y, x) sums both gradients into x', () => {
    checkLayer({ shapes: [[4], [4]], apply: ([x, y]) => layers.add().apply([x, y, x]) });
    checkLayer({ shapes: [[4], [4]], apply: ([x, y]) => layers.multiply().apply([x, y, x]) });
  });

  it('refuses inputs of different shapes, and subtract of three, naming the layer', () => {
    const p = input({ shape: [3] });
    const q = input({ shape: [4] });
    expect(() => layers.add({ name: 'sum' }).apply([p, q])).toThrow(/layer 'sum' \(add\) needs inputs of one shape, got \[3\] and \[4\]/);
    expect(() => layers.subtract().apply([p, p, p])).toThrow(/takes exactly two inputs, got 3/);
    expect(() => layers.add().apply([p])).toThrow(/merges at least two inputs, got 1/);
  });
});
