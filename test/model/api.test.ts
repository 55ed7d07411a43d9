// The Sequential API on every available backend: determinism, validationSplit, weights, callbacks,
// learning-rate control, abort, NaN guard, encode/decode, channelsFirst, inputs, summary.
import { describe, expect, it } from 'vitest';
import { type OxnetError, Sequential, adam, layers, sgd, validationSplitIndices } from '../../src/index';
import { backends } from './helpers';

const X = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
const T = [0, 1, 1, 0];

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as OxnetError).code;
  }
  return undefined;
}

async function rejectsWith(p: Promise<unknown>): Promise<OxnetError> {
  try {
    await p;
  } catch (e) {
    return e as OxnetError;
  }
  throw new Error('expected a rejection');
}

describe.each(backends())('Sequential (%s backend)', (backend) => {
  const mlp = (seed: number, opts: { dropout?: boolean } = {}) => {
    const m = new Sequential({ seed, backend });
    m.add(layers.dense({ units: 8, activation: 'tanh', inputDim: 2 }));
    if (opts.dropout) m.add(layers.dropout({ rate: 0.3 }));
    m.add(layers.dense({ units: 1, activation: 'sigmoid' }));
    m.compile({ loss: 'binaryCrossentropy', optimizer: adam({ lr: 0.05 }), metrics: ['accuracy'] });
    return m;
  };

  it('same seed -> identical initial and trained weights (shuffle and dropout included); other seed differs', async () => {
    const [a, b, c] = [mlp(5, { dropout: true }), mlp(5, { dropout: true }), mlp(6, { dropout: true })];
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(a.getWeights()[0]).not.toEqual(c.getWeights()[0]);
    const ha = await a.fit(X, T, { epochs: 20, batchSize: 2 });
    const hb = await b.fit(X, T, { epochs: 20, batchSize: 2 });
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(ha.loss).toEqual(hb.loss);
  });

  it('fit({seed}) overrides the shuffle: different order, different weights', async () => {
    const [a, b] = [mlp(5), mlp(5)];
    await a.fit(X, T, { epochs: 3, batchSize: 1, seed: 1 });
    await b.fit(X, T, { epochs: 3, batchSize: 1, seed: 2 });
    expect(a.getWeights()[0]).not.toEqual(b.getWeights()[0]);
  });

  it('fit({seed}) with validation: evaluate reads the runner fit trains, so validation changes nothing and valLoss follows the weights', async () => {
    const [a, b] = [mlp(5), mlp(5)];
    await a.fit(X, T, { epochs: 6, batchSize: 1, seed: 9 });
    const h = await b.fit(X, T, { epochs: 6, batchSize: 1, seed: 9, validationData: [X, T] });
    expect(b.getWeights()).toEqual(a.getWeights());
    expect(new Set(h.valLoss).size).toBe(6);
    expect(b.evaluate(X, T).loss).toBeCloseTo(h.valLoss!.at(-1)!, 6);
  });

  it('history has loss, acc, valLoss, valAcc per epoch; learns XOR', async () => {
    const m = mlp(1);
    const h = await m.fit(X, T, { epochs: 150, batchSize: 4, validationData: [X, T] });
    for (const k of ['loss', 'acc', 'valLoss', 'valAcc'] as const) expect(h[k]).toHaveLength(150);
    expect(h.loss[149]).toBeLessThan(h.loss[0]);
    expect(h.valAcc[149]).toBe(1);
    expect(m.predictClasses(X)).toEqual(T);
    expect(m.evaluate(X, T).accuracy).toBe(1);
  });

  it('callbacks: order, async hooks awaited, stopTraining, learningRate schedule read per epoch', async () => {
    const m = mlp(2);
    const events: string[] = [];
    const lrs: number[] = [];
    const h = await m.fit(X, T, {
      epochs: 10,
      batchSize: 2,
      callbacks: {
        onTrainBegin: () => void events.push('begin'),
        onEpochBegin: async (e, model) => {
          await new Promise((r) => setTimeout(r, 1));
          model.learningRate = 0.1 / (e + 1);
          events.push(`e${e}`);
        },
        onBatchEnd: (b) => void events.push(`b${b}`),
        onEpochEnd: (e, logs, model) => {
          lrs.push(logs.lr);
          if (e === 2) model.stopTraining = true;
        },
        onTrainEnd: () => void events.push('end'),
      },
    });
    expect(h.loss).toHaveLength(3);
    expect(events).toEqual(['begin', 'e0', 'b0', 'b1', 'e1', 'b0', 'b1', 'e2', 'b0', 'b1', 'end']);
    expect(lrs).toEqual([0.1, 0.05, 0.1 / 3]);
  });

  it('learningRate = 0 leaves the weights unchanged', async () => {
    const m = mlp(3);
    const before = m.getWeights();
    m.learningRate = 0;
    await m.fit(X, T, { epochs: 2 });
    expect(m.getWeights()).toEqual(before);
  });

  it('AbortSignal rejects with E_ABORTED after the current chunk; the model stays usable', async () => {
    const m = mlp(4);
    const ctl = new AbortController();
    const err = await rejectsWith(
      m.fit(X, T, { epochs: 100, batchSize: 1, signal: ctl.signal, callbacks: { onEpochEnd: (e) => void (e === 1 && ctl.abort()) } }),
    );
    expect(err.code).toBe('E_ABORTED');
    const h = await m.fit(X, T, { epochs: 1 });
    expect(h.loss).toHaveLength(1);
  });

  it('NaN guard: a diverging fit rejects with E_NONFINITE naming epoch and batch', async () => {
    const m = new Sequential({ seed: 1, backend });
    m.add(layers.dense({ units: 1, inputDim: 1 }));
    m.compile({ loss: 'mse', optimizer: sgd({ lr: 1e6 }) });
    const err = await rejectsWith(m.fit([[1e3], [2e3], [3e3]], [1, 2, 3], { epochs: 50, batchSize: 1 }));
    expect(err.code).toBe('E_NONFINITE');
    expect(err.message).toMatch(/epoch \d+, batch \d+.*normalize/);
  });

  it('predictAsync equals predict; metrics misclassified and mse are logged per epoch', async () => {
    const m = new Sequential({ seed: 8, backend });
    m.add(layers.dense({ units: 4, activation: 'tanh', inputDim: 2 }));
    m.add(layers.dense({ units: 1, activation: 'sigmoid' }));
    m.compile({ loss: 'halfSse', optimizer: sgd({ lr: 0.5 }), metrics: ['misclassified', 'mse'] });
    expect(await m.predictAsync(X)).toEqual(m.predict(X));
    const h = await m.fit(X, T, { epochs: 3, batchSize: 4, shuffle: false });
    expect(h.history.misclassified).toHaveLength(3);
    // mse is measured after the epoch: with one output it is twice the halfSse of evaluate.
    expect(h.history.mse[2]).toBeCloseTo(2 * m.evaluate(X, T).loss, 6);
    expect(h.history.mse[2]).toBeCloseTo(m.evaluate(X, T).mse, 6);
  });

  it('nanGuard: false skips non-finite batches instead of rejecting', async () => {
    const m = new Sequential({ seed: 1, backend });
    m.add(layers.dense({ units: 1, inputDim: 1 }));
    m.compile({ loss: 'mse', optimizer: sgd({ lr: 0.01 }) });
    // The second sample is Infinity: its batch is non-finite, the others train normally.
    const h = await m.fit(new Float32Array([1, Infinity, 2]), [1, 1, 2], { epochs: 2, batchSize: 1, shuffle: false, nanGuard: false });
    expect(h.loss).toHaveLength(2);
    expect(m.getWeights().every((w) => w.every(Number.isFinite))).toBe(true);
    expect(m.step).toBe(4);
  });

  it('getWeights/setWeights: parameter order and shape errors', () => {
    const m = mlp(1);
    expect(m.weightsInfo()).toEqual([
      { name: 'dense_1/kernel', shape: [2, 8] },
      { name: 'dense_1/bias', shape: [8] },
      { name: 'dense_2/kernel', shape: [8, 1] },
      { name: 'dense_2/bias', shape: [1] },
    ]);
    const w = m.getWeights();
    expect(codeOf(() => m.setWeights(w.slice(0, 3)))).toBe('E_SHAPE');
    expect(() => m.setWeights([w[0], new Float32Array(7), w[2], w[3]])).toThrow(/dense_1\/bias has shape \[8\].*got 7/);
    const ones = w.map((a) => new Float32Array(a.length).fill(1));
    m.setWeights(ones);
    expect(m.getWeights()).toEqual(ones);
  });

  it('encode/decode of an autoencoder: decode(encode(x)) equals predict(x)', () => {
    const m = new Sequential({ seed: 9, backend });
    m.add(layers.dense({ units: 6, activation: 'relu', inputDim: 8 }));
    m.add(layers.dense({ units: 2, activation: 'sigmoid', name: 'code' }));
    m.add(layers.dense({ units: 6, activation: 'relu' }));
    m.add(layers.dense({ units: 8, activation: 'sigmoid' }));
    const x = new Float32Array(3 * 8).map((_, i) => (i % 5) / 5);
    const code = m.encode(x);
    expect(code).toHaveLength(6);
    expect(m.encode(x, 'code')).toEqual(code);
    const back = m.decode(code);
    const direct = m.predict(x);
    back.forEach((v, i) => {
      expect(v).toBeCloseTo(direct[i], 5);
    });
  });

  it('channelsFirst conv2d: NCHW input transposed once equals the channels-last model', () => {
    const mk = (dataFormat: 'channelsFirst' | 'channelsLast') => {
      const m = new Sequential({ seed: 4, backend });
      m.add(layers.conv2d({ filters: 2, kernelSize: 2, inputShape: dataFormat === 'channelsFirst' ? [2, 3, 3] : [3, 3, 2], dataFormat }));
      m.add(layers.flatten());
      return m;
    };
    const [cf, cl] = [mk('channelsFirst'), mk('channelsLast')];
    expect(cf.getWeights()).toEqual(cl.getWeights());
    const nchw = new Float32Array(18).map((_, i) => i / 10);
    const nhwc = new Float32Array(18);
    for (let c = 0; c < 2; c++) for (let p = 0; p < 9; p++) nhwc[p * 2 + c] = nchw[c * 9 + p];
    expect(cf.predict({ data: nchw, shape: [1, 2, 3, 3] })).toEqual(cl.predict(nhwc));
  });
});

describe('input forms and refusals', () => {
  const m = new Sequential({ seed: 1, layers: [layers.dense({ units: 3, inputDim: 2 })] });
  it('number[][], flat Float32Array and {data, shape} give the same predictions', () => {
    const a = m.predict([
      [1, 2],
      [3, 4],
    ]);
    expect(m.predict(new Float32Array([1, 2, 3, 4]))).toEqual(a);
    expect(m.predict({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] })).toEqual(a);
    expect(a).toHaveLength(6);
  });
  it('bad shapes are E_SHAPE naming x', () => {
    expect(() => m.predict(new Float32Array(3))).toThrow(/x has 3 values/);
    expect(codeOf(() => m.predict({ data: new Float32Array(4), shape: [2, 3] }))).toBe('E_SHAPE');
  });
  it('fit before compile is E_STATE; evaluate too', async () => {
    expect((await rejectsWith(m.fit([[1, 2]], [[1, 2, 3]]))).code).toBe('E_STATE');
    expect(codeOf(() => m.evaluate([[1, 2]], [[1, 2, 3]]))).toBe('E_STATE');
  });
  it('targets with the wrong sample count are E_SHAPE', async () => {
    const c = new Sequential({ seed: 1, layers: [layers.dense({ units: 1, inputDim: 2 })] }).compile({ loss: 'mse' });
    expect(
      (
        await rejectsWith(
          c.fit(
            [
              [1, 2],
              [3, 4],
            ],
            [1, 2, 3],
          ),
        )
      ).code,
    ).toBe('E_SHAPE');
  });
});

describe('input normalizer', () => {
  it('predict, evaluate and fit apply it to raw inputs', async () => {
    const { zscore } = await import('../../src/data/normalize');
    const raw = new Float32Array([10, 200, 20, 400, 30, 600, 40, 800]);
    const norm = zscore().fit(raw, 4, 2);
    const a = new Sequential({ seed: 2, layers: [layers.dense({ units: 1, activation: 'sigmoid', inputDim: 2 })] });
    const b = new Sequential({ seed: 2, layers: [layers.dense({ units: 1, activation: 'sigmoid', inputDim: 2 })] });
    a.setNormalizer(norm);
    expect(a.predict(raw)).toEqual(b.predict(norm.transform(raw, 4)));
    for (const m of [a, b]) m.compile({ loss: 'binaryCrossentropy', optimizer: sgd({ lr: 0.3 }) });
    await a.fit(raw, [0, 0, 1, 1], { epochs: 5, batchSize: 2 });
    await b.fit(norm.transform(raw, 4), [0, 0, 1, 1], { epochs: 5, batchSize: 2 });
    expect(a.getWeights()).toEqual(b.getWeights());
    expect(a.evaluate(raw, [0, 0, 1, 1]).loss).toBe(b.evaluate(norm.transform(raw, 4), [0, 0, 1, 1]).loss);
    expect(() => a.setNormalizer(zscore().fit(raw, 2, 4))).toThrow(/4 columns, the model input has 2/);
  });
});

describe('validationSplit', () => {
  it('holds out a seeded shuffle, not the tail', () => {
    const { train, val } = validationSplitIndices(100, 0.2, 7);
    expect(val).toHaveLength(20);
    expect([...train, ...val].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // Keras would take indices 80..99; a shuffle puts some earlier samples in.
    expect([...val].some((i) => i < 80)).toBe(true);
    expect(validationSplitIndices(100, 0.2, 7).val).toEqual(val);
    expect(validationSplitIndices(100, 0.2, 8).val).not.toEqual(val);
  });
  it('fit uses it: sorted labels still give a validation set with both classes', async () => {
    // 40 samples of class 0 then 10 of class 1; an unshuffled 20% tail would be all class 1.
    const x = Array.from({ length: 50 }, (_, i) => [i < 40 ? -1 : 1]);
    const y = Array.from({ length: 50 }, (_, i) => (i < 40 ? 0 : 1));
    const m = new Sequential({ seed: 3, layers: [layers.dense({ units: 1, activation: 'sigmoid', inputDim: 1 })] });
    m.compile({ loss: 'binaryCrossentropy', optimizer: sgd({ lr: 0.5 }), metrics: ['accuracy'] });
    const { val } = validationSplitIndices(50, 0.2, 3);
    const classes = new Set([...val].map((i) => y[i]));
    expect(classes.size).toBe(2);
    const h = await m.fit(x, y, { epochs: 30, validationSplit: 0.2 });
    expect(h.valLoss).toHaveLength(30);
    const held = [...val];
    expect(h.valLoss[29]).toBeCloseTo(
      m.evaluate(
        held.map((i) => x[i]),
        held.map((i) => y[i]),
      ).loss,
      6,
    );
  });
});

describe('compile pairing rules (docs/kernels.md)', () => {
  const model = (act: 'softmax' | 'relu' | 'step' | 'sigmoid') =>
    new Sequential({ seed: 1, layers: [layers.dense({ units: 2, activation: act, inputDim: 2 })] });
  it('refuses softmax CE on relu, BCE on softmax, perceptron on sigmoid, halfSse on step', () => {
    expect(codeOf(() => model('relu').compile({ loss: 'categoricalCrossentropy' }))).toBe('E_CONFIG');
    expect(codeOf(() => model('softmax').compile({ loss: 'binaryCrossentropy' }))).toBe('E_CONFIG');
    expect(codeOf(() => model('sigmoid').compile({ loss: 'perceptron' }))).toBe('E_CONFIG');
    expect(codeOf(() => model('step').compile({ loss: 'halfSse' }))).toBe('E_CONFIG');
  });
  it('accepts the documented pairs and refuses unknown names', () => {
    expect(() => model('softmax').compile({ loss: 'categoricalCrossentropy', optimizer: 'adam' })).not.toThrow();
    expect(() => model('sigmoid').compile({ loss: 'meanSquaredError', optimizer: 'adamw' })).not.toThrow();
    expect(codeOf(() => model('sigmoid').compile({ loss: 'hinge' as never }))).toBe('E_CONFIG');
    expect(codeOf(() => model('sigmoid').compile({ loss: 'mse', optimizer: { kind: 'sgd', lr: -1 } }))).toBe('E_CONFIG');
    expect(codeOf(() => model('sigmoid').compile({}))).toBe('E_CONFIG');
  });
  it('optimizer helpers resolve Keras-style options', () => {
    const m = model('sigmoid').compile({ loss: 'mse', optimizer: sgd({ learningRate: 0.3, momentum: 0.9, nesterov: true }) });
    expect(m.compileConfig?.optimizer).toEqual({ kind: 'sgd', lr: 0.3, momentum: 0.9, nesterov: true });
    expect(m.learningRate).toBe(0.3);
    expect(model('sigmoid').compile({ loss: 'mse', optimizer: 'adamw' }).compileConfig?.optimizer).toEqual({
      kind: 'adam',
      lr: 1e-3,
      weightDecay: 0.004,
      decoupled: true,
    });
  });
});

describe('summary', () => {
  it('lists layers, output shapes and parameter counts', () => {
    const m = new Sequential({ seed: 1 });
    m.add(layers.conv2d({ filters: 8, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }));
    m.add(layers.maxPooling2d({ poolSize: 2 }));
    m.add(layers.flatten());
    m.add(layers.dense({ units: 10, activation: 'softmax' }));
    const s = m.summary();
    // conv: 5*5*1*8 + 8 = 208; dense: 14*14*8*10 + 10 = 15690.
    expect(s).toMatch(/conv2d_1 \(conv2d\)\s+\[28, 28, 8\]\s+208/);
    expect(s).toMatch(/max_?[pP]ooling2d_1 \(maxPooling2d\)\s+\[14, 14, 8\]\s+0/);
    expect(s).toMatch(/flatten_1 \(flatten\)\s+\[1568\]/);
    expect(s).toMatch(/Total params: 15898/);
  });
});
