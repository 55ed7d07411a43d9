// model.computeGradients and gradCheck, the public gradient check: on the course's worked example
// (closed forms of the slides: dE/dw0 = (y-t) y (1-y) z0 with z0 = 1 the bias input, dE/dw1 =
// (y-t) y (1-y) z1, dE/dv1 = (y-t) y (1-y) w1 z1 (1-z1) x1), on a CNN with batch norm and dropout,
// and with tolerances so tight that it must report a failure.
import { describe, expect, it } from 'vitest';
import { gradCheck, input, layers, model, Sequential, sgd } from '../../src/index';
import { backendNames } from '../helpers/backends';
import { randomF32, seeded } from '../helpers/random';

const sigma = (x: number) => 1 / (1 + Math.exp(-x));

function workedExample(backend: 'js' | 'native') {
  const m = new Sequential({ seed: 0, backend });
  m.add(layers.dense({ units: 1, activation: 'sigmoid', inputDim: 1, name: 'hidden' }));
  m.add(layers.dense({ units: 1, activation: 'sigmoid', name: 'out' }));
  m.compile({ loss: 'halfSse', optimizer: sgd({ lr: 1 }) });
  // getWeights order: hidden kernel [v1], hidden bias [v0], output kernel [w1], output bias [w0].
  m.setWeights([[0.2], [0.1], [0.4], [-0.3]].map((a) => new Float32Array(a)));
  return m;
}

describe.each(backendNames())('gradients of a batch (%s backend)', (backend) => {
  it("computeGradients gives the slide's closed forms and leaves the weights alone", () => {
    const m = workedExample(backend);
    const before = m.getWeights();
    const [x1, t] = [0.7, 1];
    const g = m.computeGradients([[x1]], [t]);
    const f = Math.fround;
    const [v0, v1, w0, w1] = [f(0.1), f(0.2), f(-0.3), f(0.4)];
    const z1 = sigma(v0 + v1 * x1);
    const y = sigma(w0 + w1 * z1);
    const d = (y - t) * y * (1 - y);
    expect(g.names).toEqual(['hidden/kernel', 'hidden/bias', 'out/kernel', 'out/bias']);
    expect(g.grads[3][0]).toBeCloseTo(d * 1, 7); // dE/dw0 = (y-t) y (1-y) z0, z0 = 1
    expect(g.grads[2][0]).toBeCloseTo(d * z1, 7); // dE/dw1
    expect(g.grads[1][0]).toBeCloseTo(d * w1 * z1 * (1 - z1), 7); // dE/dv0 (x0 = 1)
    expect(g.grads[0][0]).toBeCloseTo(d * w1 * z1 * (1 - z1) * x1, 7); // dE/dv1
    expect(g.loss).toBeCloseTo(0.5 * (y - t) ** 2, 7);
    expect(m.getWeights()).toEqual(before);
  });

  it('applyGradients is one optimizer step: SGD lr 1 moves each weight by minus its gradient', () => {
    const m = workedExample(backend);
    const before = m.getWeights();
    const g = m.computeGradients([[0.7]], [1]);
    m.applyGradients(g.grads);
    m.getWeights().forEach((w, i) => {
      expect(w[0]).toBeCloseTo(before[i][0] - g.grads[i][0], 7);
    });
    expect(m.step).toBe(1);
  });
});

describe('gradCheck: central differences in float64 on the js backend', () => {
  it('the worked example passes with PyTorch gradcheck defaults, one report per tensor', () => {
    const report = gradCheck(workedExample('js'), [[0.7], [-1.2]], [[1], [0]]);
    expect(report.passed).toBe(true);
    expect(report.tensors.map((t) => [t.name, t.checked, t.passed])).toEqual([
      ['hidden/kernel', 1, true],
      ['hidden/bias', 1, true],
      ['out/kernel', 1, true],
      ['out/bias', 1, true],
    ]);
    for (const t of report.tensors) expect(t.maxAbsError).toBeLessThan(1e-8);
  });

  it('a CNN with batch norm, dropout, pooling and a residual add passes (whatever backend the model is on)', () => {
    for (const backend of backendNames()) {
      const x = input({ shape: [6, 6, 2] });
      const c1 = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' }).apply(x);
      const bn = layers.batchNormalization().apply(c1);
      const c2 = layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same' }).apply(bn);
      const res = layers.add().apply([c1, c2]);
      const pooled = layers.averagePooling2d({ poolSize: 2 }).apply(res);
      const drop = layers.dropout({ rate: 0.3 }).apply(layers.flatten().apply(pooled));
      const out = layers.dense({ units: 3, activation: 'softmax' }).apply(drop);
      const m = model({ inputs: x, outputs: out, seed: 4, backend });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' });
      const rng = seeded(2);
      const xs = randomF32(rng, 4 * 72);
      const ys = Float32Array.from({ length: 12 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
      const report = gradCheck(m, xs, ys, { maxPerTensor: 12 });
      expect(report.tensors.filter((t) => !t.passed)).toEqual([]);
      expect(report.tensors.length).toBe(8);
    }
  });

  it('reports a failure with its worst entry when the tolerance is below float64 rounding', () => {
    const report = gradCheck(workedExample('js'), [[0.7]], [[1]], { atol: 0, rtol: 0 });
    expect(report.passed).toBe(false);
    const bad = report.tensors.find((t) => !t.passed)!;
    expect(bad.maxAbsError).toBeGreaterThan(0);
    expect(bad.worstIndex).toBe(0);
    expect(Math.abs(bad.analyticAtWorst - bad.numericAtWorst)).toBe(bad.maxAbsError);
  });

  it('refuses what it cannot check', () => {
    const m = new Sequential({ seed: 1 });
    m.add(layers.dense({ units: 1, inputDim: 1 }));
    expect(() => gradCheck(m, [[1]], [[1]])).toThrow(/compile the model first/);
    m.compile({ loss: 'mse' });
    expect(() => gradCheck(m, [[1]], [[1]], { eps: -1 })).toThrow(/eps must be a positive number/);
  });
});
