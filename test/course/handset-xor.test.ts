// Course item 2: the hand-set step MLP of the slides reproduces XOR:
//   p1 = x1 + x2 - 0.5 >= 0,  p2 = -x1 - x2 + 1.5 >= 0,  o = p1 + p2 - 1.5 >= 0.
import { describe, expect, it } from 'vitest';
import { Sequential, layers } from '../../src/index';
import { backends } from '../model/helpers';

const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];

describe.each(backends())('course: XOR by hand-set weights (%s backend)', (backend) => {
  it('reproduces the slide table (hidden p1, p2 and output o)', () => {
    const model = new Sequential({ seed: 0, backend });
    model.add(layers.dense({ units: 2, activation: 'step', inputDim: 2, name: 'hidden' }));
    model.add(layers.dense({ units: 1, activation: 'step' }));
    // W is [inputs x units]: column 0 is p1's weights (1, 1), column 1 is p2's (-1, -1).
    model.setWeights([new Float32Array([1, -1, 1, -1]), new Float32Array([-0.5, 1.5]), new Float32Array([1, 1]), new Float32Array([-1.5])]);
    expect(Array.from(model.predict(X))).toEqual([0, 1, 1, 0]);
    // Hidden outputs (p1, p2) per the slide's reasoning: (0,0)->(0,1), (0,1)->(1,1), (1,0)->(1,1), (1,1)->(1,0).
    expect(Array.from(model.encode(X, 'hidden'))).toEqual([0, 1, 1, 1, 1, 1, 1, 0]);
  });
});
