// Course item 4: the worked example's gradients, through the Sequential API and the backend.
// Network of the slides: b = v0 x0 + v1 x1, z1 = s(b), a = w0 z0 + w1 z1, y = s(a), with
// x0 = z0 = 1 the bias inputs. E = 1/2 (y - t)^2. Closed forms (slides):
//   dE/dw0 = (y-t) y (1-y) z0          dE/dw1 = (y-t) y (1-y) z1
//   dE/dv0 = (y-t) y (1-y) w1 z1 (1-z1) x0   dE/dv1 = (y-t) y (1-y) w1 z1 (1-z1) x1
// One SGD step with lr 1 on one sample changes each weight by exactly minus its gradient.
import { describe, expect, it } from 'vitest';
import { Sequential, layers, sgd } from '../../src/index';
import { backends } from '../model/helpers';

const sigma = (x: number) => 1 / (1 + Math.exp(-x));

describe.each(backends())('course: worked example gradients (%s backend)', (backend) => {
  const cases = [
    { x1: 1, t: 1, v0: 0.1, v1: 0.2, w0: -0.3, w1: 0.4 },
    { x1: 0.5, t: 0, v0: -0.7, v1: 1.3, w0: 0.25, w1: -1.1 },
    { x1: -2, t: 1, v0: 0.05, v1: -0.6, w0: 0.9, w1: 2 },
  ];
  for (const c of cases) {
    it(`x1=${c.x1} t=${c.t} v=(${c.v0}, ${c.v1}) w=(${c.w0}, ${c.w1})`, async () => {
      const model = new Sequential({ seed: 0, backend });
      model.add(layers.dense({ units: 1, activation: 'sigmoid', inputDim: 1 }));
      model.add(layers.dense({ units: 1, activation: 'sigmoid' }));
      model.compile({ loss: 'halfSse', optimizer: sgd({ lr: 1 }) });
      // Parameter order (docs/kernels.md): hidden kernel [v1], hidden bias [v0], output kernel [w1], output bias [w0].
      const f = Math.fround;
      model.setWeights([[c.v1], [c.v0], [c.w1], [c.w0]].map((a) => new Float32Array(a)));
      const [v0, v1, w0, w1] = [f(c.v0), f(c.v1), f(c.w0), f(c.w1)];
      const z1 = sigma(v0 + v1 * c.x1);
      const y = sigma(w0 + w1 * z1);
      const dOut = (y - c.t) * y * (1 - y);
      const grads = { w0: dOut, w1: dOut * z1, v0: dOut * w1 * z1 * (1 - z1), v1: dOut * w1 * z1 * (1 - z1) * c.x1 };
      await model.fit([[c.x1]], [c.t], { epochs: 1, batchSize: 1, shuffle: false });
      const [nv1, nv0, nw1, nw0] = model.getWeights().map((w) => w[0]);
      // float32 arithmetic: agree to ~1e-6 absolute.
      expect(nw0).toBeCloseTo(w0 - grads.w0, 6);
      expect(nw1).toBeCloseTo(w1 - grads.w1, 6);
      expect(nv0).toBeCloseTo(v0 - grads.v0, 6);
      expect(nv1).toBeCloseTo(v1 - grads.v1, 6);
      // and the step really moved: the closed-form gradient is not ~0 here
      expect(Math.abs(grads.w1)).toBeGreaterThan(1e-3);
    });
  }

  it('the reported loss of that step is E = 1/2 (y - t)^2 before the update', async () => {
    const model = new Sequential({ seed: 0, backend });
    model.add(layers.dense({ units: 1, activation: 'sigmoid', inputDim: 1 }));
    model.add(layers.dense({ units: 1, activation: 'sigmoid' }));
    model.compile({ loss: 'halfSse', optimizer: sgd({ lr: 1 }) });
    model.setWeights([[0.2], [0.1], [0.4], [-0.3]].map((a) => new Float32Array(a)));
    const y = sigma(-0.3 + 0.4 * sigma(0.1 + 0.2 * 1));
    const before = model.evaluate([[1]], [1]).loss;
    expect(before).toBeCloseTo(0.5 * (y - 1) ** 2, 6);
    const h = await model.fit([[1]], [1], { epochs: 1, batchSize: 1 });
    expect(h.loss[0]).toBeCloseTo(before, 6);
  });
});
