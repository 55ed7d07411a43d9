// Numbers stay numbers (issue 7): gradient-norm clipping on both executors (closed form and
// native vs js), its argument checks, the NaN guard's message, and whole networks trained on
// logits of +-1e4 staying finite.
import { describe, expect, it } from 'vitest';
import { Sequential, layers, sgd } from '../../src/index';
import { backendByName } from '../../src/backend/index';
import { OxnetError } from '../../src/errors';
import { backends } from '../model/helpers';
import { type ChainSpec, createChain } from '../helpers/chain';

async function rejection(p: Promise<unknown>): Promise<OxnetError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(OxnetError);
    return e as OxnetError;
  }
  throw new Error('expected a rejection');
}

/** One linear unit, w = 3, b = 4, halfSse, plain SGD lr 1, optionally clipped. */
function oneUnit(clipNorm?: number): ChainSpec {
  return {
    inputSize: 1,
    layers: [{ type: 'dense', inputs: 1, units: 1, useBias: true, activation: { kind: 'linear' } }],
    loss: { kind: 'halfSse' },
    optimizer: { kind: 'sgd', lr: 1 },
    seed: 1,
    ...(clipNorm === undefined ? {} : { clipNorm }),
  };
}

describe.each(backends())('gradient-norm clipping (%s backend)', (name) => {
  const b = backendByName(name);
  const step = (clipNorm?: number) => {
    const net = createChain(b, oneUnit(clipNorm), [Float32Array.of(3), Float32Array.of(4)]);
    // x = 1, t = 0: y = 7, dL/dy = 7, so dw = db = 7 and the global norm is 7 * sqrt(2).
    net.trainSync(b.createDataset([Float32Array.of(1)], [Float32Array.of(0)], 1), Uint32Array.of(0), 1, 1, 0);
    return net.getParams().map((p) => p[0]);
  };

  it('scales the gradients to norm clipNorm (closed form)', () => {
    // Clipped to norm 1: each gradient becomes 7 / (7 sqrt 2) = 1/sqrt 2.
    const [w, bias] = step(1);
    expect(w).toBeCloseTo(3 - Math.SQRT1_2, 6);
    expect(bias).toBeCloseTo(4 - Math.SQRT1_2, 6);
    // Norm 9.9 under clipNorm 100: untouched, the plain step 3 - 7 and 4 - 7.
    expect(step(100)).toEqual([-4, -3]);
    expect(step()).toEqual([-4, -3]);
  });

  it('refuses clipNorm that is not a finite number > 0 with E_ARG', () => {
    for (const bad of [0, -1, NaN, Infinity]) {
      let caught: unknown = null;
      try {
        createChain(b, oneUnit(bad), [Float32Array.of(3), Float32Array.of(4)]);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(OxnetError);
      expect((caught as OxnetError).code).toBe('E_ARG');
      expect((caught as OxnetError).message).toContain('clipNorm must be a finite number > 0');
    }
  });

  it('fit({ clipNorm }) clips; a bad value is E_ARG; the NaN guard names epoch, batch and cures', async () => {
    const model = () => {
      const m = new Sequential({ seed: 1, backend: name });
      m.add(layers.dense({ units: 1, inputDim: 1 }));
      m.compile({ loss: 'halfSse', optimizer: sgd({ lr: 1 }) });
      m.setWeights([Float32Array.of(3), Float32Array.of(4)]);
      return m;
    };
    const clipped = model();
    await clipped.fit([[1]], [0], { epochs: 1, batchSize: 1, clipNorm: 1 });
    expect(clipped.getWeights()[0][0]).toBeCloseTo(3 - Math.SQRT1_2, 6);
    expect((await rejection(model().fit([[1]], [0], { clipNorm: -2 }))).code).toBe('E_ARG');

    // Inputs of 1e38: the gradients overflow float32, so the norm is not finite -> E_NONFINITE.
    const err = await rejection(model().fit([[1], [1e38]], [0, 0], { epochs: 1, batchSize: 1, shuffle: false, clipNorm: 1 }));
    expect(err.code).toBe('E_NONFINITE');
    expect(err.message).toMatch(/epoch 0, batch 1 /);
    expect(err.message).toMatch(/normalize the inputs, lower the learning rate or clip gradients/);
  });

  it('whole networks trained on logits of +-1e4 stay finite (softmax CE and BCE from logits)', async () => {
    for (const [units, act, loss] of [
      [3, 'softmax', 'categoricalCrossentropy'],
      [1, 'sigmoid', 'binaryCrossentropy'],
    ] as const) {
      const m = new Sequential({ seed: 2, backend: name });
      m.add(layers.dense({ units, activation: act, inputDim: 2 }));
      m.compile({ loss, optimizer: sgd({ lr: 1e-6 }) });
      // Both rows [5000, -5000, ...] on x = [1, 1]: logits [1e4, -1e4, -1e4] (or [1e4]),
      // confidently wrong for the targets below.
      const w = new Float32Array(2 * units).map((_, i) => (i % units === 0 ? 5000 : -5000));
      m.setWeights([w, new Float32Array(units)]);
      const y = units === 3 ? [[0, 1, 0]] : [[0]];
      const h = await m.fit([[1, 1]], y, { epochs: 2, batchSize: 1 });
      // Closed form: the loss is the logit gap, 1e4 (softmax: lse(z) - z_1 = 1e4 - (-1e4) = 2e4).
      expect(h.history.loss[0]).toBeCloseTo(units === 3 ? 2e4 : 1e4, 0);
      expect(m.getWeights().every((p) => p.every(Number.isFinite))).toBe(true);
      expect(Array.from(m.predict([[1, 1]])).every(Number.isFinite)).toBe(true);
    }
  });
});

describe.runIf(backends().includes('native'))('clipping agrees across backends', () => {
  it('a clipped 3-batch run of a small MLP gives the same weights on native and js', () => {
    const spec: ChainSpec = {
      inputSize: 3,
      layers: [
        { type: 'dense', inputs: 3, units: 4, useBias: true, activation: { kind: 'tanh' } },
        { type: 'dense', inputs: 4, units: 2, useBias: true, activation: { kind: 'softmax' } },
      ],
      loss: { kind: 'softmaxCrossEntropy' },
      optimizer: { kind: 'adam', lr: 0.05 },
      seed: 3,
      clipNorm: 0.1,
    };
    const params = [
      new Float32Array(12).map((_, i) => Math.sin(i + 1)),
      new Float32Array(4),
      new Float32Array(8).map((_, i) => Math.cos(i)),
      new Float32Array(2),
    ];
    const x = new Float32Array(18).map((_, i) => Math.sin(i * 0.7) * 3);
    const y = new Float32Array(12).map((_, i) => (i % 2 === Math.floor(i / 2) % 2 ? 1 : 0));
    const run = (b: ReturnType<typeof backendByName>) => {
      const net = createChain(
        b,
        spec,
        params.map((p) => p.slice()),
      );
      net.trainSync(b.createDataset([x], [y], 6), Uint32Array.of(0, 1, 2, 3, 4, 5), 2, 0.05, 0);
      return net.getParams();
    };
    const [n, j] = [run(backendByName('native')), run(backendByName('js'))];
    // Same algorithm, different summation order inside the GEMMs: agree to float32 rounding.
    n.forEach((p, i) => {
      p.forEach((v, k) => {
        expect(v).toBeCloseTo(j[i][k], 5);
      });
    });
    // And the clipping did act: an unclipped run moves the weights differently.
    const unclipped = createChain(
      backendByName('js'),
      { ...spec, clipNorm: undefined },
      params.map((p) => p.slice()),
    );
    unclipped.trainSync(backendByName('js').createDataset([x], [y], 6), Uint32Array.of(0, 1, 2, 3, 4, 5), 2, 0.05, 0);
    expect(unclipped.getParams()[0]).not.toEqual(j[0]);
  });
});
