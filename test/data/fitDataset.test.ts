// fitDataset, evaluateDataset and predictDataset on streamed batches: the same weights as fit on
// the same batches in the same order (bitwise), callbacks, History, AbortSignal, nanGuard and the
// counters as in fit, and a source that throws mid-epoch leaves the model as after its last batch.
import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DataSource, fromIterable, rawSource, zip } from '../../src/data/sources';
import { OxnetError } from '../../src/errors';
import { adam, input, layers, model as functional, Sequential } from '../../src/index';
import { mulberry32 } from '../../src/random';
import { nativeOrNull } from '../helpers/backends';
import { testTempDir } from '../helpers/temp';

const backends = nativeOrNull().native ? (['js', 'native'] as const) : (['js'] as const);
const N = 37;
const D = 4;
const C = 3;

function data(seed = 5): { x: Float32Array; y: Float32Array } {
  const next = mulberry32(seed);
  const x = Float32Array.from({ length: N * D }, () => next() * 2 - 1);
  const y = new Float32Array(N * C);
  for (let i = 0; i < N; i++) y[i * C + (x[i * D] + x[i * D + 1] > 0 ? 0 : x[i * D + 2] > 0 ? 1 : 2)] = 1;
  return { x, y };
}

function mlp(backend: 'js' | 'native', seed = 11): Sequential {
  const m = new Sequential({ seed, backend });
  m.add(layers.dense({ units: 16, activation: 'relu', inputShape: [D] }));
  m.add(layers.dropout({ rate: 0.2 }));
  m.add(layers.dense({ units: C, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }), metrics: ['acc'] });
  return m;
}

/** The samples as { x, y } rows. */
function samples({ x, y }: { x: Float32Array; y: Float32Array }): DataSource<{ x: Float32Array; y: Float32Array }> {
  return fromIterable(Array.from({ length: N }, (_, i) => ({ x: x.slice(i * D, (i + 1) * D), y: y.slice(i * C, (i + 1) * C) })));
}

const bitwise = (a: Float32Array[], b: Float32Array[]) => {
  expect(a.length).toBe(b.length);
  a.forEach((w, i) => {
    expect(Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength))).toBe(true);
  });
};

describe.each(backends)('fitDataset (%s backend)', (backend) => {
  it('gives the weights, step and losses of fit on the same batches in the same order, bitwise', async () => {
    const d = data();
    const ref = mlp(backend);
    const refHist = await ref.fit(d.x, d.y, { epochs: 3, batchSize: 8, shuffle: false });
    const m = mlp(backend);
    const batched = samples(d).batch(8).prefetch(2);
    const hist = await m.fitDataset(batched, { epochs: 3 });
    // Its batch arrays went back to batch() once copied: a later pass still reads the right values.
    const again = await batched.toArray();
    expect(Array.from(again[1].x)).toEqual(Array.from(d.x.subarray(8 * D, 16 * D)));
    bitwise(m.getWeights(), ref.getWeights());
    expect(m.step).toBe(ref.step);
    expect(m.step).toBe(15);
    expect(m.epochsTrained).toBe(3);
    expect(hist.epoch).toEqual([0, 1, 2]);
    hist.history.loss.forEach((l, e) => {
      expect(l).toBeCloseTo(refHist.history.loss[e], 6);
    });
    expect(hist.history.acc).toEqual(refHist.history.acc);
    // A shuffled stream: fit with the same order through epochOrder.
    const orders: Uint32Array[] = [];
    const order = fromIterable(Array.from({ length: N }, (_, i) => i)).shuffle(10, 3);
    for (let e = 0; e < 2; e++) orders.push(Uint32Array.from(await order.toArray()));
    const ref2 = mlp(backend);
    await ref2.fit(d.x, d.y, { epochs: 2, batchSize: 8, epochOrder: (e) => orders[e] });
    const m2 = mlp(backend);
    await m2.fitDataset(samples(d).shuffle(10, 3).batch(8), { epochs: 2 });
    bitwise(m2.getWeights(), ref2.getWeights());
  });

  it('a generator that refills one pair of arrays for every batch trains as on separate batches', async () => {
    const d = data();
    const bx = new Float32Array(8 * D);
    const by = new Float32Array(8 * C);
    const reusing = fromIterable(function* () {
      for (let b = 0; b < 4; b++) {
        bx.set(d.x.subarray(b * 8 * D, (b + 1) * 8 * D));
        by.set(d.y.subarray(b * 8 * C, (b + 1) * 8 * C));
        yield { x: bx, y: by };
      }
    });
    const m = mlp(backend);
    await m.fitDataset(reusing, { epochs: 2 });
    const ref = mlp(backend);
    await ref.fit(d.x.subarray(0, 32 * D), d.y.subarray(0, 32 * C), { epochs: 2, batchSize: 8, shuffle: false });
    bitwise(m.getWeights(), ref.getWeights());
  });

  it('trains from a raw float32 file zipped with its labels, with batches of the same sizes as fit', async () => {
    const dir = testTempDir('oxnet-fitds-');
    const d = data(9);
    writeFileSync(dir.file('x.f32'), d.x);
    writeFileSync(dir.file('y.f32'), d.y);
    const xs = await rawSource(dir.file('x.f32'), { shape: [D] });
    const ys = await rawSource(dir.file('y.f32'), { shape: [C] });
    const m = mlp(backend);
    await m.fitDataset(zip({ x: xs, y: ys }).batch(10).prefetch(3), { epochs: 2 });
    const ref = mlp(backend);
    await ref.fit(d.x, d.y, { epochs: 2, batchSize: 10, shuffle: false });
    bitwise(m.getWeights(), ref.getWeights());
  });

  it('a source that throws mid-epoch ends fitDataset with that error, the model as after the last batch before it', async () => {
    const d = data();
    const failing = (after: number) =>
      new DataSource(async function* () {
        let b = 0;
        for await (const batch of samples(d).batch(4)) {
          if (b++ === after) throw new OxnetError('E_IO', `disk gone at batch ${after}`);
          yield batch;
        }
      });
    const m = mlp(backend);
    await m.fitDataset(samples(d).batch(4), { epochs: 1 }); // epoch 0 whole
    const e = await m.fitDataset(failing(6), { epochs: 1 }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(OxnetError);
    expect((e as Error).message).toBe('disk gone at batch 6');
    const ref = mlp(backend);
    await ref.fitDataset(samples(d).batch(4), { epochs: 1 });
    await ref.fitDataset(samples(d).batch(4).take(6), { epochs: 1 });
    bitwise(m.getWeights(), ref.getWeights());
    expect(m.step).toBe(10 + 6);
    // More batches than one group (32) ahead: the error comes after the group being read ahead.
    const long = new DataSource(async function* () {
      for (let b = 0; b < 45; b++) yield { x: d.x.slice(0, 2 * D), y: d.y.slice(0, 2 * C) };
      throw new OxnetError('E_DATA', 'bad record after 45');
    });
    const m3 = mlp(backend);
    await expect(m3.fitDataset(long)).rejects.toThrow('bad record after 45');
    expect(m3.step).toBe(45);
    expect(m3.epochsTrained).toBe(0);
  });

  it('callbacks, validationData (a source or arrays), History and the counters work as in fit', async () => {
    const d = data();
    const events: string[] = [];
    const m = mlp(backend);
    const val = samples(data(7)).batch(16);
    const hist = await m.fitDataset(samples(d).batch(8), {
      epochs: 2,
      validationData: val,
      callbacks: {
        onTrainBegin: () => {
          events.push('begin');
        },
        onEpochBegin: (e) => {
          events.push(`e${e}`);
        },
        onBatchEnd: (b, logs) => {
          events.push(`b${b}:${logs.size}`);
        },
        onEpochEnd: (e, logs) => {
          events.push(`end${e}:${logs.valLoss !== undefined}`);
        },
        onTrainEnd: (logs) => {
          events.push(`done${logs.epochs}`);
        },
      },
    });
    expect(events).toEqual([
      'begin',
      'e0',
      'b0:8',
      'b1:8',
      'b2:8',
      'b3:8',
      'b4:5',
      'end0:true',
      'e1',
      'b0:8',
      'b1:8',
      'b2:8',
      'b3:8',
      'b4:5',
      'end1:true',
      'done2',
    ]);
    const v = data(7);
    const after = m.evaluate(v.x, v.y);
    expect(hist.history.valLoss[1]).toBeCloseTo(after.loss, 6);
    expect(hist.history.valAcc[1]).toBeCloseTo(after.accuracy, 12);
    const streamed = await m.evaluateDataset(val);
    expect(streamed.loss).toBeCloseTo(after.loss, 6);
    expect(streamed.accuracy).toBeCloseTo(after.accuracy, 12);
    expect(streamed.count).toBe(N);
    const arrays = await mlp(backend).fitDataset(samples(d).batch(8), { validationData: [v.x, v.y] });
    expect(arrays.history.valLoss.length).toBe(1);
    // predictDataset joins the batches' outputs: predict's values (bitwise for the same batches).
    const whole = (await m.predictDataset(samples(v).batch(N))) as Float32Array;
    bitwise([whole], [m.predict(v.x) as Float32Array]);
    const bare = (await m.predictDataset(
      samples(v)
        .map((s) => s.x)
        .batch(6),
    )) as Float32Array;
    expect(bare.length).toBe(N * C);
    bare.forEach((p, i) => {
      expect(p).toBeCloseTo(whole[i], 6);
    });
  });

  it('batchesPerEpoch reads on across epochs; stopTraining, AbortSignal and nanGuard as in fit', async () => {
    const d = data();
    const m = mlp(backend);
    const hist = await m.fitDataset(samples(d).batch(8).repeat(), { epochs: 3, batchesPerEpoch: 4 });
    expect(hist.epoch).toEqual([0, 1, 2]);
    expect(m.step).toBe(12);
    // The same 12 batches in one epoch: two passes of 5, then 2 more.
    const ref = mlp(backend);
    await ref.fitDataset(samples(d).batch(8).repeat(3).take(12));
    bitwise(m.getWeights(), ref.getWeights());

    const stop = mlp(backend);
    const h2 = await stop.fitDataset(samples(d).batch(8), {
      epochs: 5,
      callbacks: {
        onEpochEnd: (e, _l, model) => {
          if (e === 1) model.stopTraining = true;
        },
      },
    });
    expect(h2.epoch).toEqual([0, 1]);

    const ac = new AbortController();
    const ab = mlp(backend);
    const err = await ab
      .fitDataset(samples(d).batch(1), {
        epochs: 2,
        signal: ac.signal,
        callbacks: {
          onBatchEnd: (b) => {
            if (b === 3) ac.abort();
          },
        },
      })
      .catch((e: unknown) => e);
    expect((err as OxnetError).code).toBe('E_ABORTED');
    expect(ab.step).toBe(32); // the group of 32 batches in which it was aborted finishes

    const nan = d.x.slice();
    nan[9 * D] = Number.NaN; // sample 9: batch 1 of size 8
    const bad = samples({ x: nan, y: d.y }).batch(8);
    await expect(mlp(backend).fitDataset(bad)).rejects.toThrow(/non-finite loss or gradient in epoch 0, batch 1/);
    const skip = mlp(backend);
    await skip.fitDataset(bad, { nanGuard: false });
    expect(skip.step).toBe(4);
    expect(skip.getWeights().every((w) => w.every(Number.isFinite))).toBe(true);
  });
});

describe('fitDataset inputs and errors', () => {
  it('takes several inputs and outputs by name, and refuses malformed batches with their index', async () => {
    const a = input({ shape: [2], name: 'a' });
    const b = input({ shape: [3], name: 'b' });
    const h = layers.dense({ units: 4, activation: 'tanh' }).apply(layers.concatenate().apply([a, b]));
    const out1 = layers.dense({ units: 1, name: 'p' }).apply(h);
    const out2 = layers.dense({ units: 2, activation: 'softmax', name: 'q' }).apply(h);
    const m = functional({ inputs: [a, b], outputs: [out1, out2], seed: 3 });
    m.compile({ loss: { p: 'mse', q: 'categoricalCrossentropy' }, optimizer: adam({ lr: 0.01 }) });
    const next = mulberry32(1);
    const rows = Array.from({ length: 12 }, () => ({
      x: { a: Float32Array.from({ length: 2 }, next), b: Float32Array.from({ length: 3 }, next) },
      y: { p: Float32Array.of(next()), q: next() > 0.5 ? Float32Array.of(1, 0) : Float32Array.of(0, 1) },
    }));
    const src = fromIterable(rows).batch(4);
    const hist = await m.fitDataset(src, { epochs: 2 });
    expect(Object.keys(hist.history)).toEqual(expect.arrayContaining(['loss', 'p_loss', 'q_loss']));
    expect(m.step).toBe(6);
    const e = await m.evaluateDataset(src);
    expect(e.outputs.q.count).toBe(12);

    await expect(m.fitDataset(fromIterable([{ x: 1 }]))).rejects.toThrow('fitDataset: batch 0 must be { x, y }');
    await expect(m.fitDataset(fromIterable([]))).rejects.toThrow('the source gave no batches in epoch 0');
    const once = (function* () {
      yield rows[0];
    })();
    await expect(m.fitDataset(fromIterable(once).batch(1), { epochs: 2 })).rejects.toThrow(/no batches in epoch 1 \(a generator object can be read once/);
    await expect(m.fitDataset(42 as never)).rejects.toThrow(/source must be a DataSource/);
    await expect(m.fitDataset(src, { batchSize: 3 } as never)).rejects.toThrow(/unknown option 'batchSize'/);
  });

  it('verbose 2 writes one line per epoch', async () => {
    const chunks: string[] = [];
    const m = mlp('js');
    await m.fitDataset(samples(data()).batch(8), { epochs: 2, verbose: 2, progressStream: { write: (s: string) => chunks.push(s) } });
    const lines = chunks.join('').trim().split('\n');
    expect(lines.length).toBe(2);
    expect(lines[1]).toMatch(/^epoch 2\/2 {2}loss \d\.\d{4} {2}acc \d\.\d{4}$/);
  });
});
