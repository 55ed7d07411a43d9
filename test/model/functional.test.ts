// The functional API: models as graphs. Symbolic tensors and layer.apply, several inputs and
// outputs (a loss per output, lossWeights, metrics per output), shared layers, residual
// connections, the refusals that name the nodes, summary, save / load, and that Sequential is the
// same graph as the chain written functionally.
import { describe, expect, it } from 'vitest';
import { gradCheck, input, layers, loadModel, Model, model, modelFromBytes, modelToBytes, saveModel, Sequential, sgd } from '../../src/index';
import { OxnetError } from '../../src/errors';
import { encodeModelFile, decodeModelFile } from '../../src/io/format';
import { backendNames } from '../helpers/backends';
import { randomF32, seeded } from '../helpers/random';
import { tempDir } from '../helpers/temp';

function refused(f: () => unknown, code: string, message: RegExp): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(OxnetError);
  expect((err as OxnetError).code).toBe(code);
  expect((err as Error).message).toMatch(message);
}

describe.each(backendNames())('functional models (%s backend)', (backend) => {
  it('a chain written functionally is the Sequential model: same weights, same predictions, same training', async () => {
    const seq = new Sequential({ seed: 3, backend });
    seq.add(layers.dense({ units: 4, activation: 'tanh', inputShape: [2] }));
    seq.add(layers.dense({ units: 1, activation: 'sigmoid' }));
    const x = input({ shape: [2] });
    const fun = model({
      inputs: x,
      outputs: layers.dense({ units: 1, activation: 'sigmoid' }).apply(layers.dense({ units: 4, activation: 'tanh' }).apply(x)),
      seed: 3,
      backend,
    });
    expect(fun.getWeights()).toEqual(seq.getWeights());
    for (const m of [seq, fun]) m.compile({ loss: 'halfSse', optimizer: sgd({ lr: 0.5 }) });
    const data = [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ];
    const t = [[0], [1], [1], [0]];
    const [h1, h2] = [await seq.fit(data, t, { epochs: 20, batchSize: 1 }), await fun.fit(data, t, { epochs: 20, batchSize: 1 })];
    expect(h2.loss).toEqual(h1.loss);
    expect(fun.predict(data)).toEqual(seq.predict(data));
  });

  it('a residual block: y = relu(x + dense(dense(x))) trains, and its gradients match a float64 finite difference', async () => {
    const x = input({ shape: [6], name: 'x' });
    const h = layers.dense({ units: 6 }).apply(layers.dense({ units: 6, activation: 'tanh' }).apply(x));
    const y = layers.activation({ activation: 'relu' }).apply(layers.add().apply([x, h]));
    const out = layers.dense({ units: 2, activation: 'softmax' }).apply(y);
    const m = model({ inputs: x, outputs: out, seed: 7, backend });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: { kind: 'adam', lr: 0.01 }, metrics: ['accuracy'] });
    const rng = seeded(11);
    const xs = randomF32(rng, 64 * 6);
    const ys = new Float32Array(64 * 2);
    for (let s = 0; s < 64; s++) ys[s * 2 + (xs[s * 6] + xs[s * 6 + 1] > 0 ? 1 : 0)] = 1;
    expect(gradCheck(m, xs.subarray(0, 8 * 6), ys.subarray(0, 16)).passed).toBe(true);
    const hist = await m.fit(xs, ys, { epochs: 60, batchSize: 16 });
    expect(hist.loss[59]).toBeLessThan(hist.loss[0] * 0.5);
    expect(m.evaluate(xs, ys).accuracy).toBeGreaterThan(0.9);
  });

  it('two inputs and two outputs: a loss per output, lossWeights, metrics per output, history and evaluate per output', async () => {
    const img = input({ shape: [4, 4, 1], name: 'img' });
    const tab = input({ shape: [3], name: 'tab' });
    const f = layers.flatten().apply(layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu' }).apply(img));
    const joined = layers.dense({ units: 5, activation: 'tanh' }).apply(layers.dense({ units: 5 }).apply(tab));
    const both = layers.dense({ units: 5 }).apply(f);
    const merged = layers.add().apply([both, joined]);
    const cls = layers.dense({ units: 2, activation: 'softmax', name: 'cls' }).apply(merged);
    const reg = layers.dense({ units: 1, name: 'reg' }).apply(merged);
    const m = model({ inputs: [img, tab], outputs: [cls, reg], seed: 2, backend });
    m.compile({ loss: { cls: 'categoricalCrossentropy', reg: 'mse' }, lossWeights: [1, 0.5], optimizer: 'adam', metrics: { cls: ['accuracy'] } });
    expect(m.inputNames).toEqual(['img', 'tab']);
    expect(m.outputNames).toEqual(['cls', 'reg']);
    const rng = seeded(3);
    const n = 20;
    const x = { img: randomF32(rng, n * 16), tab: randomF32(rng, n * 3) };
    const y = { cls: Float32Array.from({ length: n * 2 }, (_, i) => (i % 2 === (i >> 1) % 2 ? 1 : 0)), reg: randomF32(rng, n) };
    const h = await m.fit(x, y, { epochs: 3, batchSize: 8, validationData: [x, y] });
    expect(Object.keys(h.history).sort()).toEqual(
      ['cls_acc', 'cls_loss', 'loss', 'lr', 'reg_loss', 'valLoss', 'val_cls_acc', 'val_cls_loss', 'val_reg_loss'].sort(),
    );
    for (let e = 0; e < 3; e++) expect(h.history.loss[e]).toBeCloseTo(h.history.cls_loss[e] + 0.5 * h.history.reg_loss[e], 5);
    const r = m.evaluate(x, y);
    expect(r.loss).toBeCloseTo(r.outputs.cls.loss + 0.5 * r.outputs.reg.loss, 6);
    expect(r.loss).toBeCloseTo(h.history.valLoss[2], 4);
    const [pc, pr] = m.predict([x.img, x.tab]) as Float32Array[];
    expect([pc.length, pr.length]).toEqual([n * 2, n]);
    // by name or by position: the same thing
    expect(m.predict(x)).toEqual(m.predict([x.img, x.tab]));
  });

  it('a layer applied twice shares its weights: one tensor in getWeights, the sum of both gradients', () => {
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [3], name: 'b' });
    const shared = layers.dense({ units: 2, activation: 'tanh', name: 'shared' });
    const out = layers.dense({ units: 1, name: 'out' }).apply(layers.subtract().apply([shared.apply(a), shared.apply(b)]));
    const m = model({ inputs: [a, b], outputs: out, seed: 4, backend });
    expect(m.weightsInfo().map((w) => w.name)).toEqual(['shared/kernel', 'shared/bias', 'out/kernel', 'out/bias']);
    m.compile({ loss: 'mse' });
    // Swapping the inputs negates the output (the difference of one function), for any weights.
    const xa = [[0.1, -0.4, 0.3]];
    const xb = [[0.5, 0.2, -0.6]];
    const p = (m.predict([xa, xb]) as Float32Array)[0];
    const q = (m.predict([xb, xa]) as Float32Array)[0];
    expect(p - (m.getWeights()[3][0] as number)).toBeCloseTo(-(q - (m.getWeights()[3][0] as number)), 6);
    // With a == b the two branches cancel: the shared kernel's gradient is the sum of +g and -g.
    const g = m.computeGradients([xa, xa], [[1]]);
    expect(Array.from(g.grads[0]).every((v) => Math.abs(v) < 1e-7)).toBe(true);
    expect(Math.abs(g.grads[3][0])).toBeGreaterThan(0);
  });

  it('summary lists nodes with output shape, parameters and inputs', () => {
    const a = input({ shape: [3], name: 'a' });
    const d = layers.dense({ units: 2, name: 'd' });
    const out = layers.add({ name: 'sum' }).apply([d.apply(a), d.apply(a)]);
    const s = model({ inputs: a, outputs: out, seed: 1, backend }).summary();
    expect(s).toMatch(/d \(dense\)\s+\[2\]\s+8\s+a/);
    expect(s).toMatch(/d#2 \(dense\)\s+\[2\]\s+0\s+a/);
    expect(s).toMatch(/sum \(add\)\s+\[2\]\s+0\s+d, d#2/);
    expect(s).toMatch(/Total params: 8/);
  });

  it('computeGradients + applyGradients over two micro-batches equal one step on the whole batch (SGD)', () => {
    const build = () => {
      const m = new Sequential({ seed: 9, backend });
      m.add(layers.dense({ units: 3, activation: 'tanh', inputShape: [2] }));
      m.add(layers.dense({ units: 1 }));
      return m.compile({ loss: 'mse', optimizer: sgd({ lr: 0.1 }) });
    };
    const x = [
      [0.1, 0.2],
      [0.3, -0.1],
      [-0.5, 0.4],
      [0.2, 0.9],
    ];
    const y = [[0.5], [-0.2], [0.1], [0.7]];
    const whole = build();
    whole.applyGradients(whole.computeGradients(x, y).grads);
    const micro = build();
    const g1 = micro.computeGradients(x.slice(0, 2), y.slice(0, 2)).grads;
    const g2 = micro.computeGradients(x.slice(2), y.slice(2)).grads;
    // mse averages over the batch: the whole batch's gradient is the mean of the two halves'.
    micro.applyGradients(g1.map((g, i) => g.map((v, k) => (v + g2[i][k]) / 2)));
    whole.getWeights().forEach((w, i) => {
      Array.from(w).forEach((v, k) => {
        expect(micro.getWeights()[i][k]).toBeCloseTo(v, 6);
      });
    });
  });
});

describe('graphs that cannot be models are refused, naming what is wrong', () => {
  it('an output not reachable from the inputs', () => {
    const a = input({ shape: [2], name: 'a' });
    const b = input({ shape: [2], name: 'b' });
    const out = layers.add().apply([a, b]);
    refused(() => model({ inputs: a, outputs: out }), 'E_CONFIG', /not reachable from the inputs: it depends on input 'b'/);
  });

  it('an input no output uses', () => {
    const a = input({ shape: [2], name: 'a' });
    const b = input({ shape: [2], name: 'b' });
    refused(
      () => model({ inputs: [a, b], outputs: layers.dense({ units: 1 }).apply(a) }),
      'E_CONFIG',
      /model input 1 \(input 'b' \[2\]\) is used by no output/,
    );
  });

  it('merge shapes that do not agree, at apply time', () => {
    const a = input({ shape: [2] });
    const b = input({ shape: [3] });
    refused(() => layers.add({ name: 'plus' }).apply([a, b]), 'E_CONFIG', /layer 'plus' \(add\) needs inputs of one shape, got \[2\] and \[3\]/);
  });

  it('duplicate names', () => {
    const a = input({ shape: [2], name: 'a' });
    const h = layers.dense({ units: 2, name: 'same' }).apply(a);
    refused(() => model({ inputs: a, outputs: layers.dense({ units: 2, name: 'same' }).apply(h) }), 'E_CONFIG', /layer name 'same' is used by two layers/);
    const b = input({ shape: [2], name: 'a' });
    refused(() => model({ inputs: [a, b], outputs: layers.add().apply([a, b]) }), 'E_CONFIG', /input name 'a' is used twice/);
  });

  it('a layer output given as a model input, and a repeated output', () => {
    const a = input({ shape: [2] });
    const h = layers.dense({ units: 2, name: 'h' }).apply(a);
    refused(() => model({ inputs: h, outputs: h }), 'E_CONFIG', /is the output of layer 'h' \[2\], not a model input/);
    refused(() => model({ inputs: a, outputs: [h, h] }), 'E_CONFIG', /outputs\[1\] repeats outputs\[0\]/);
  });

  it('a cycle in a model file (a node reading a later node)', () => {
    const a = input({ shape: [2], name: 'a' });
    const m = model({ inputs: a, outputs: layers.dense({ units: 2 }).apply(layers.dense({ units: 2 }).apply(a)), seed: 1 });
    const { header, weights, state } = decodeModelFile(modelToBytes(m));
    header.graph!.nodes[0].inputs = [{ node: 1 }];
    const { weights: _w, state: _s, ...rest } = header;
    const bytes = encodeModelFile(rest, weights, state);
    refused(
      () => modelFromBytes(bytes, 'cycle.oxnet'),
      'E_FORMAT',
      /node 0 input 0 reads node 1, which is not an earlier node \(a cycle, or nodes out of order\)/,
    );
  });

  it('a shared layer applied to inputs of another shape', () => {
    const d = layers.dense({ units: 2, name: 'd' });
    d.apply(input({ shape: [3] }));
    refused(
      () => d.apply(input({ shape: [4] })),
      'E_CONFIG',
      /layer 'd' applied again gives parameters \[\[4,2\],\[2\]\], its first application \[\[3,2\],\[2\]\]/,
    );
  });

  it('a from-logits loss on an output that also feeds a layer', () => {
    const a = input({ shape: [2] });
    const p = layers.dense({ units: 2, activation: 'softmax', name: 'p' }).apply(a);
    const q = layers.dense({ units: 1, name: 'q' }).apply(p);
    const m = model({ inputs: a, outputs: [p, q] });
    refused(
      () => m.compile({ loss: ['categoricalCrossentropy', 'mse'] }),
      'E_CONFIG',
      /output 'p' has loss 'softmaxCrossEntropy', computed from logits, but its value also feeds node 'q'/,
    );
  });

  it("losses by output name when an output is named 'kind' (not read as one loss spec { kind })", () => {
    const a = input({ shape: [2] });
    const kind = layers.dense({ units: 2, activation: 'softmax', name: 'kind' }).apply(a);
    const size = layers.dense({ units: 1, name: 'size' }).apply(a);
    const m = model({ inputs: a, outputs: [kind, size] });
    m.compile({ loss: { kind: 'categoricalCrossentropy', size: 'mse' } });
    expect(m.compileConfig?.losses).toEqual(['softmaxCrossEntropy', 'mse']);
    refused(() => m.compile({ loss: { kind: 'mse' } }), 'E_CONFIG', /needs a loss for output 'size'/);
    const one = model({ inputs: a, outputs: size });
    one.compile({ loss: { kind: 'mse' } });
    expect(one.compileConfig?.losses).toEqual(['mse']);
    refused(() => one.compile({ loss: { kind: 'mse', extra: 1 } as never }), 'E_CONFIG', /names 'kind', 'extra', not outputs of the model \(size\)/);
  });
});

describe('model files of graphs', () => {
  it('a functional model with two inputs, a shared layer and a residual add saves and loads: same predictions, same compile', () => {
    const a = input({ shape: [3], name: 'a' });
    const b = input({ shape: [3], name: 'b' });
    const shared = layers.dense({ units: 3, activation: 'tanh', name: 'shared' });
    const sa = shared.apply(a);
    const res = layers.add().apply([sa, a]);
    const out = layers.dense({ units: 2, activation: 'softmax', name: 'out' }).apply(layers.maximum().apply([res, shared.apply(b)]));
    const m = model({ inputs: [a, b], outputs: out, seed: 5, name: 'two-input' });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: 'adam', metrics: ['accuracy'] });
    const x = [[[0.1, 0.2, -0.3]], [[0.5, -0.1, 0.2]]];
    const dir = tempDir('oxnet-functional-');
    saveModel(m, dir.file('m.oxnet'));
    const back = loadModel(dir.file('m.oxnet'));
    expect(back).toBeInstanceOf(Model);
    expect(back).not.toBeInstanceOf(Sequential);
    expect(back.name).toBe('two-input');
    expect(back.inputNames).toEqual(['a', 'b']);
    expect(back.predict(x)).toEqual(m.predict(x));
    expect(back.compileConfig).toEqual(m.compileConfig);
    expect(back.weightsInfo()).toEqual(m.weightsInfo());
    dir.remove();
  });
});
