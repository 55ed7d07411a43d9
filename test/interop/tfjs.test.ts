// importTfjs against TensorFlow.js itself: the fixtures in test/fixtures/tfjs/ were saved by
// @tensorflow/tfjs 4.22.0 (scripts/tfjs-fixtures.mjs, cpu backend) with its predictions for the
// stored inputs; an imported model must reproduce them within 1e-5 on both backends, train on,
// and bad files must be refused with a typed error naming what was wrong.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adam, type BackendName, importTfjs, type Model, OxnetError } from '../../src/index';
import { nativeOrNull } from '../helpers/backends';
import { testTempDir } from '../helpers/temp';

const fixtures = resolve(__dirname, '../fixtures/tfjs');
const modelJson = (name: string) => join(fixtures, name, 'model.json');

interface Reference {
  tfjs: string;
  inputs: Record<string, number[]>;
  outputs: number[][];
}
const reference = (name: string): Reference => JSON.parse(readFileSync(join(fixtures, name, 'reference.json'), 'utf8'));

function inputsOf(ref: Reference): Float32Array | Record<string, Float32Array> {
  const xs = Object.entries(ref.inputs).map(([k, v]) => [k, Float32Array.from(v)] as const);
  return xs.length === 1 ? xs[0][1] : Object.fromEntries(xs);
}

function predictAll(m: Model, ref: Reference): Float32Array[] {
  const y = m.predict(inputsOf(ref));
  return Array.isArray(y) ? y : [y];
}

const maxDiff = (a: Float32Array[], b: number[][]) => Math.max(...a.flatMap((y, j) => Array.from(y, (v, i) => Math.abs(v - b[j][i]))));

const backends: BackendName[] = ['js', ...(nativeOrNull().native ? (['native'] as const) : [])];

describe.each(backends)('importTfjs on the %s backend', (backend) => {
  it.each(['mlp', 'cnn', 'functional', 'shared', 'windows'])('%s: predictions equal tfjs 4.22.0 within 1e-5', async (name) => {
    const ref = reference(name);
    expect(ref.tfjs).toBe('4.22.0');
    const m = await importTfjs(modelJson(name), { backend });
    const out = predictAll(m, ref);
    expect(out.map((y) => y.length)).toEqual(ref.outputs.map((y) => y.length));
    expect(maxDiff(out, ref.outputs)).toBeLessThan(1e-5);
  });
});

describe('importTfjs: the imported model', () => {
  it('cnn: the weights are tfjs shards in oxnet order, batch norm statistics as state', async () => {
    const m = await importTfjs(modelJson('cnn'));
    expect(m.weightsInfo().map((w) => w.name.split('/')[1])).toEqual(['kernel', 'bias', 'gamma', 'beta', 'kernel', 'bias', 'kernel', 'bias']);
    expect(m.stateInfo().map((w) => w.name)).toEqual([
      'batch_normalization_BatchNormalization1/runningMean',
      'batch_normalization_BatchNormalization1/runningVar',
    ]);
    // The shard's first floats are the first conv kernel's, little-endian, in HWIO order.
    const bytes = readFileSync(join(fixtures, 'cnn', 'weights.bin'));
    const first = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 16));
    expect(Array.from(m.getWeights()[0].subarray(0, 4))).toEqual(Array.from(first));
    expect(m.getState()[1].every((v) => v >= 0.5 && v <= 1.5)).toBe(true); // the fixture's seeded variances
  });

  it('shared: a layer tfjs applied to both inputs is one oxnet layer, one kernel', async () => {
    const m = await importTfjs(modelJson('shared'));
    expect(m.weightsInfo().map((w) => w.name)).toEqual([
      'shared/kernel',
      'shared/bias',
      expect.stringMatching(/^dense_Dense\d+\/kernel$/),
      expect.stringMatching(/bias$/),
    ]);
    const ref = reference('shared');
    // One conv for both and a symmetric maximum: swapping the inputs changes nothing (two convs would).
    const swapped = predictAll(m, { ...ref, inputs: { left: ref.inputs.right, right: ref.inputs.left } });
    expect(maxDiff(swapped, ref.outputs)).toBeLessThan(1e-6);
  });

  it('functional: inputs and outputs keep their tfjs names; fits further and the loss falls', async () => {
    const ref = reference('functional');
    const m = await importTfjs(modelJson('functional'), { seed: 3 });
    const [kind, level] = predictAll(m, ref);
    const n = level.length;
    // Targets the model does not yet give: the least likely class, and the level negated.
    const y = { kind: new Float32Array(n * 3), level: level.map((v) => -v) };
    for (let i = 0; i < n; i++) {
      const row = Array.from(kind.subarray(i * 3, i * 3 + 3));
      y.kind[i * 3 + row.indexOf(Math.min(...row))] = 1;
    }
    m.compile({ loss: { kind: 'categoricalCrossentropy', level: 'mse' }, optimizer: adam({ lr: 0.01 }) });
    const h = await m.fit(inputsOf(ref), y, { epochs: 30, batchSize: n });
    expect(h.history.loss.at(-1)!).toBeLessThan(h.history.loss[0] * 0.5);
  });

  it('cnn: compiles and fits (batch norm and dropout in training mode), the loss falls', async () => {
    const ref = reference('cnn');
    const m = await importTfjs(modelJson('cnn'), { seed: 1 });
    const x = inputsOf(ref) as Float32Array;
    const y = new Float32Array(12);
    [0, 1, 2, 0].forEach((c, i) => {
      y[i * 3 + c] = 1;
    });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }), metrics: ['accuracy'] });
    const before = m.evaluate(x, y).loss;
    await m.fit(x, y, { epochs: 40, batchSize: 4 });
    expect(m.evaluate(x, y).loss).toBeLessThan(before * 0.5);
  });
});

/** A copy of a fixture folder with model.json edited by `edit` (and shards by `shards`). */
function variant(name: string, edit: (json: any) => void, shards?: (dir: string) => void): string {
  const dir = testTempDir('oxnet-tfjs-').path;
  for (const f of readdirSync(join(fixtures, name))) copyFileSync(join(fixtures, name, f), join(dir, f));
  const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  edit(json);
  writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
  shards?.(dir);
  return join(dir, 'model.json');
}

async function refused(path: string, code: string, ...phrases: string[]): Promise<void> {
  const err = await importTfjs(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OxnetError);
  expect((err as OxnetError).code).toBe(code);
  for (const p of phrases) expect((err as OxnetError).message).toContain(p);
}

const layersOf = (json: any) => json.modelTopology.config.layers;

describe('importTfjs reads the other spellings of the same file', () => {
  it("a converter's model.json (topology under model_config, class 'Functional')", async () => {
    const path = variant('functional', (j) => {
      j.modelTopology = { keras_version: '2.15.0', backend: 'tensorflow', model_config: { ...j.modelTopology, class_name: 'Functional' } };
      delete j.format;
    });
    const ref = reference('functional');
    expect(maxDiff(predictAll(await importTfjs(path), ref), ref.outputs)).toBeLessThan(1e-5);
  });
});

describe('importTfjs refuses what oxnet cannot reproduce, naming it', () => {
  it('an unknown layer', async () => {
    await refused(
      variant('mlp', (j) => {
        layersOf(j)[1].class_name = 'GRU';
      }),
      'E_CONFIG',
      "'dense_Dense2' (GRU)",
      'no GRU layer',
    );
  });

  it('an activation oxnet lacks', async () => {
    await refused(
      variant('mlp', (j) => {
        layersOf(j)[0].config.activation = 'elu';
      }),
      'E_CONFIG',
      "'dense_Dense1'",
      'activation "elu"',
    );
  });

  it('channels_first, frozen layers, constraints and unknown options', async () => {
    await refused(
      variant('cnn', (j) => {
        layersOf(j)[0].config.data_format = 'channels_first';
      }),
      'E_CONFIG',
      "'conv2d_Conv2D1'",
      'channels_first',
    );
    await refused(
      variant('cnn', (j) => {
        layersOf(j)[1].config.trainable = false;
      }),
      'E_CONFIG',
      "'batch_normalization_BatchNormalization1'",
      'trainable',
    );
    await refused(
      variant('mlp', (j) => {
        layersOf(j)[0].config.kernel_constraint = { class_name: 'MaxNorm', config: { max_value: 2 } };
      }),
      'E_CONFIG',
      'kernel_constraint',
    );
    await refused(
      variant('functional', (j) => {
        layersOf(j).find((l: any) => l.class_name === 'UpSampling2D').config.interpolation = 'bilinear';
      }),
      'E_CONFIG',
      "'up_sampling2d_UpSampling2D1' (UpSampling2D): interpolation 'bilinear'",
    );
    await refused(
      variant('cnn', (j) => {
        layersOf(j)[0].config.groups = 2;
      }),
      'E_CONFIG',
      "option 'groups'",
    );
  });

  it('regularizers are dropped (a training penalty only): the model imports and predicts the same', async () => {
    const path = variant('mlp', (j) => {
      layersOf(j)[0].config.kernel_regularizer = { class_name: 'L1L2', config: { l1: 0, l2: 0.01 } };
    });
    const ref = reference('mlp');
    expect(maxDiff(predictAll(await importTfjs(path), ref), ref.outputs)).toBeLessThan(1e-5);
  });

  it('quantized or non-float32 weights', async () => {
    await refused(
      variant('mlp', (j) => {
        j.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', scale: 0.1, min: -1 };
      }),
      'E_FORMAT',
      "'dense_Dense1/kernel' is quantized",
    );
    await refused(
      variant('mlp', (j) => {
        j.weightsManifest[0].weights[1].dtype = 'int32';
      }),
      'E_FORMAT',
      '\'dense_Dense1/bias\' has dtype "int32"',
    );
  });

  it('a missing shard, a short shard', async () => {
    await refused(
      variant(
        'functional',
        () => {},
        (dir) => writeFileSync(join(dir, 'group1-shard2of2.bin'), ''),
      ),
      'E_FORMAT',
      'group1-shard2of2.bin is short',
    );
    const missing = variant('functional', (j) => {
      j.weightsManifest[0].paths[1] = './gone.bin';
    });
    await refused(missing, 'E_IO', 'gone.bin');
  });

  it('a weight the topology does not take, or one it lacks', async () => {
    await refused(
      variant('mlp', (j) => {
        j.weightsManifest[0].weights[0].name = 'other/kernel';
      }),
      'E_FORMAT',
      "no weight 'dense_Dense1/kernel'",
    );
  });

  it('a graph model, a file that is not a model.json, and a missing file', async () => {
    await refused(
      variant('mlp', (j) => {
        j.format = 'graph-model';
      }),
      'E_CONFIG',
      'graph models',
    );
    await refused(
      variant('mlp', (j) => {
        delete j.weightsManifest;
      }),
      'E_FORMAT',
      'modelTopology and weightsManifest',
    );
    await refused(join(fixtures, 'nothing', 'model.json'), 'E_IO', 'nothing');
    await expect(importTfjs(modelJson('mlp'), { seed: 1, weights: 'x' } as never)).rejects.toMatchObject({
      code: 'E_ARG',
      message: expect.stringContaining("'weights'"),
    });
  });

  it('unknown input dimensions', async () => {
    await refused(
      variant('mlp', (j) => {
        layersOf(j)[0].config.batch_input_shape = [null, null];
      }),
      'E_CONFIG',
      'unknown (null) dimensions',
    );
  });
});
