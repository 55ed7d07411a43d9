// Makes test/fixtures/tfjs/ once: three tfjs Layers models saved in the `file://` layout that
// tfjs-node's model.save writes (model.json + weight shards), with reference inputs and tfjs's own
// predictions. Run after `cd bench && npm ci` (bench pins @tensorflow/tfjs 4.22.0):
//   node scripts/tfjs-fixtures.mjs
// tfjs-node is not needed: tf.io.withSaveHandler hands over the topology, weight specs and bytes.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tf = createRequire(join(root, 'bench', 'package.json'))('@tensorflow/tfjs');
const out = join(root, 'test', 'fixtures', 'tfjs');

// A Park-Miller generator: the same weights and inputs on every run.
let state = 12345;
const rand = () => {
  state = (state * 48271) % 2147483647;
  return state / 2147483647;
};
const uniform = (n, lo, hi) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());

/** Seeded weights: running variances positive, everything else in [-0.5, 0.5]. */
function seedWeights(m) {
  m.setWeights(
    m.weights.map((w) => {
      const n = w.shape.reduce((a, d) => a * d, 1);
      const positive = w.name.endsWith('moving_variance') || w.name.endsWith('gamma');
      return tf.tensor(positive ? uniform(n, 0.5, 1.5) : uniform(n, -0.5, 0.5), w.shape);
    }),
  );
}

function writeAtomic(file, data) {
  writeFileSync(`${file}.tmp-fixture`, data);
  renameSync(`${file}.tmp-fixture`, file);
}

/** Saves `m` as tfjs-node's file:// handler does; `shards` > 1 splits the bytes as the converter's sharding does. */
async function save(m, name, inputs, shards = 1) {
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  await m.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const bytes = new Uint8Array(tf.io.concatenateArrayBuffers([artifacts.weightData].flat()));
      const cut = Math.ceil(bytes.length / shards / 4) * 4;
      const paths = [];
      for (let i = 0; i < shards; i++) {
        const file = shards === 1 ? 'weights.bin' : `group1-shard${i + 1}of${shards}.bin`;
        writeAtomic(join(dir, file), bytes.subarray(i * cut, Math.min(bytes.length, (i + 1) * cut)));
        paths.push(`./${file}`);
      }
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths, weights: artifacts.weightSpecs }],
      };
      writeAtomic(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  const xs = inputs.map(([shape]) =>
    tf.tensor(
      uniform(
        shape.reduce((a, d) => a * d, 1),
        -1,
        1,
      ),
      shape,
    ),
  );
  const ys = [m.predict(xs.length === 1 ? xs[0] : xs)].flat();
  const reference = {
    tfjs: tf.version.tfjs,
    backend: tf.getBackend(),
    inputs: Object.fromEntries(xs.map((x, i) => [inputs[i][1], Array.from(x.dataSync())])),
    outputs: ys.map((y) => Array.from(y.dataSync())),
  };
  writeAtomic(join(dir, 'reference.json'), JSON.stringify(reference));
  console.log(`${name}: ${m.countParams()} parameters, ${inputs.length} input(s), ${ys.length} output(s)`);
}

await tf.setBackend('cpu');

// 1. A Sequential MLP: 4 -> 8 relu -> 6 tanh -> 5 sigmoid -> 3 softmax.
const mlp = tf.sequential({ name: 'mlp' });
mlp.add(tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }));
mlp.add(tf.layers.dense({ units: 6, activation: 'tanh' }));
mlp.add(tf.layers.dense({ units: 5, activation: 'sigmoid', useBias: false }));
mlp.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
seedWeights(mlp);
await save(mlp, 'mlp', [[[6, 4], 'x']]);

// 2. A Sequential CNN: conv2d, batch norm, max pooling, flatten, dropout, dense softmax.
const cnn = tf.sequential({ name: 'cnn' });
cnn.add(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }));
cnn.add(tf.layers.batchNormalization());
cnn.add(tf.layers.maxPooling2d({ poolSize: 2 }));
cnn.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same' }));
cnn.add(tf.layers.leakyReLU({ alpha: 0.2 }));
cnn.add(tf.layers.flatten());
cnn.add(tf.layers.dropout({ rate: 0.25 }));
cnn.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
seedWeights(cnn);
await save(cnn, 'cnn', [[[4, 8, 8, 1], 'x']]);

// 3. A functional model: two inputs, residual add, the other merges, two outputs, two shards.
const image = tf.input({ shape: [8, 8, 2], name: 'image' });
const features = tf.input({ shape: [5], name: 'features' });
const padded = tf.layers.zeroPadding2d({ padding: 1 }).apply(image);
const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(padded);
const branch = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', useBias: false }).apply(conv);
const residual = tf.layers.add().apply([conv, branch]);
const depthwise = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', depthMultiplier: 2 }).apply(residual);
const avg = tf.layers.averagePooling2d({ poolSize: 2 }).apply(depthwise);
const up = tf.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }).apply(avg);
const gated = tf.layers.multiply().apply([up, residual]);
const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(gated);
const upsampled = tf.layers.upSampling2d({ size: [2, 2] }).apply(pooled);
const mixed = tf.layers.average().apply([upsampled, gated]);
// depthMultiplier 1: tfjs 4.22's SeparableConv2D leaves depth_multiplier out of its saved config, so
// tfjs itself could not reload one with another multiplier (depthwiseConv2d above keeps its 2).
const sep = tf.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(mixed);
const gap = tf.layers.globalAveragePooling2d({}).apply(sep);
const gmp = tf.layers.globalMaxPooling2d({}).apply(mixed);
const hidden = tf.layers.dense({ units: 6, activation: 'relu' }).apply(features);
const normed = tf.layers.layerNormalization().apply(hidden);
const shaped = tf.layers.flatten().apply(tf.layers.reshape({ targetShape: [2, 3] }).apply(normed));
const squashed = tf.layers.activation({ activation: 'sigmoid' }).apply(shaped);
const joined = tf.layers.concatenate().apply([gap, gmp, squashed]);
const kind = tf.layers.dense({ units: 3, activation: 'softmax', name: 'kind' }).apply(joined);
const level = tf.layers.dense({ units: 1, name: 'level' }).apply(joined);
const functional = tf.model({ inputs: [image, features], outputs: [kind, level], name: 'functional' });
seedWeights(functional);
await save(
  functional,
  'functional',
  [
    [[3, 8, 8, 2], 'image'],
    [[3, 5], 'features'],
  ],
  2,
);

// 4. A layer shared by two inputs (two inbound nodes, one set of weights), dilation, cropping,
// maximum, 'same' average pooling, ReLU and Softmax layers.
const left = tf.input({ shape: [6, 6, 3], name: 'left' });
const right = tf.input({ shape: [6, 6, 3], name: 'right' });
const shared = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu', name: 'shared' });
const both = tf.layers.maximum().apply([shared.apply(left), shared.apply(right)]);
const cropped = tf.layers
  .cropping2D({
    cropping: [
      [1, 0],
      [0, 1],
    ],
  })
  .apply(both);
const smoothed = tf.layers.averagePooling2d({ poolSize: 2, strides: 1, padding: 'same' }).apply(cropped);
const rectified = tf.layers.reLU().apply(tf.layers.flatten().apply(smoothed));
const scores = tf.layers.softmax().apply(tf.layers.dense({ units: 4 }).apply(rectified));
const siamese = tf.model({ inputs: [left, right], outputs: scores, name: 'shared' });
seedWeights(siamese);
await save(siamese, 'shared', [
  [[3, 6, 6, 3], 'left'],
  [[3, 6, 6, 3], 'right'],
]);

// 5. Window arithmetic where frameworks part ways: odd sizes, 'valid' transposed convolution with
// stride 2, strided depthwise, 'same' max pooling on an odd input, a channel concatenate, and
// LeakyReLU's default alpha.
const odd = tf.input({ shape: [7, 7, 2], name: 'odd' });
const down = tf.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, depthMultiplier: 1 }).apply(odd);
const back = tf.layers.conv2dTranspose({ filters: 3, kernelSize: 3, strides: 2 }).apply(down);
const wide = tf.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same' }).apply(odd);
const channels = tf.layers.concatenate({ axis: 3 }).apply([back, wide]);
const leaky = tf.layers.leakyReLU().apply(channels);
const halved = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(leaky);
const windows = tf.model({ inputs: odd, outputs: tf.layers.flatten().apply(halved), name: 'windows' });
seedWeights(windows);
await save(windows, 'windows', [[[2, 7, 7, 2], 'odd']]);
