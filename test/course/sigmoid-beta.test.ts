// Course item 5: s_beta(x) = 1 / (1 + exp(-beta x)) and its derivative beta s (1 - s), checked
// through a one-weight model: with lr 1 and E = 1/2 (y - t)^2 one SGD step changes w by
// -(y - t) * beta y (1 - y) * x (the delta rule), and a central difference of the model's output
// in x agrees with beta y (1 - y) w.
import { describe, expect, it } from 'vitest';
import { Sequential, layers, sgd } from '../../src/index';
import { backends } from '../model/helpers';

describe.each(backends())('course: sigmoid steepness beta (%s backend)', (backend) => {
  for (const beta of [0.5, 1, 2]) {
    it(`beta = ${beta}: value, derivative beta s (1 - s), delta rule`, async () => {
      const model = new Sequential({ seed: 0, backend });
      model.add(layers.dense({ units: 1, activation: 'sigmoid', beta, inputDim: 1, useBias: false }));
      model.compile({ loss: 'halfSse', optimizer: sgd({ lr: 1 }) });
      const w = 0.75;
      model.setWeights([new Float32Array([w])]);
      const x = 0.8;
      const s = 1 / (1 + Math.exp(-beta * w * x));
      expect(model.predict([[x]])[0]).toBeCloseTo(s, 6);
      // Central difference of y(x) = s_beta(w x): dy/dx = beta s (1 - s) w.
      const h = 1e-2;
      const [yp, ym] = model.predict([[x + h], [x - h]]);
      expect((yp - ym) / (2 * h)).toBeCloseTo(beta * s * (1 - s) * w, 4);
      const t = 1;
      await model.fit([[x]], [t], { epochs: 1, batchSize: 1 });
      expect(model.getWeights()[0][0]).toBeCloseTo(w - (s - t) * beta * s * (1 - s) * x, 6);
    });
  }
});
