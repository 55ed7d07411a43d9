// A model with two inputs, an image and a vector of tabular features, on synthetic data built so
// that neither input alone can solve it: the image shows a bar, horizontal or vertical (bit a); the
// features carry a flag (bit b) among noise; the label is a XOR b. Alone, each input says nothing
// about the label (chance, 0.5); together the model reaches ~1.0. A conv branch and a dense branch
// meet in layers.concatenate.
// Run: npm run build && node examples/two-inputs.js
const { input, layers, model, adam } = require('../dist');

/** n samples: images [8, 8, 1], features [4], one-hot labels of a XOR b; seeded. */
function xorData(n, seed) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const image = new Float32Array(n * 64);
  const features = new Float32Array(n * 4);
  const label = new Float32Array(n * 2);
  for (let k = 0; k < n; k++) {
    const a = next() < 0.5 ? 1 : 0; // 1: vertical bar
    const b = next() < 0.5 ? 1 : 0;
    const at = Math.floor(next() * 8);
    for (let p = 0; p < 64; p++) image[k * 64 + p] = 0.2 * next();
    for (let i = 0; i < 8; i++) image[k * 64 + (a ? i * 8 + at : at * 8 + i)] = 1;
    features[k * 4] = b + 0.3 * (next() - 0.5);
    for (let f = 1; f < 4; f++) features[k * 4 + f] = next();
    label[k * 2 + (a ^ b)] = 1;
  }
  return { image, features, label, n };
}

const imageBranch = (x) => layers.flatten().apply(layers.maxPooling2d().apply(layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu' }).apply(x)));
const tabBranch = (x) => layers.dense({ units: 8, activation: 'relu' }).apply(x);
const head = (h) => layers.dense({ units: 2, activation: 'softmax' }).apply(layers.dense({ units: 16, activation: 'relu' }).apply(h));

/** 'both': the two-input model; 'image' or 'features': one input alone. @param {'both' | 'image' | 'features'} which @param {{ seed?: number, backend?: import('../dist').BackendName }} [options] */
function buildModel(which, { seed = 1, backend } = {}) {
  const image = input({ shape: [8, 8, 1], name: 'image' });
  const features = input({ shape: [4], name: 'features' });
  if (which === 'image') return model({ inputs: image, outputs: head(imageBranch(image)), seed, backend });
  if (which === 'features') return model({ inputs: features, outputs: head(tabBranch(features)), seed, backend });
  const joined = layers.concatenate().apply([imageBranch(image), tabBranch(features)]);
  return model({ inputs: [image, features], outputs: head(joined), seed, backend });
}

/** @param {{ epochs?: number, backend?: import('../dist').BackendName }} [options] */
async function accuracies({ epochs = 30, backend } = {}) {
  const train = xorData(2000, 1);
  const test = xorData(500, 2);
  const result = {};
  for (const which of /** @type {const} */ (['image', 'features', 'both'])) {
    const m = buildModel(which, { backend });
    m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 3e-3 }), metrics: ['accuracy'] });
    const x = (d) => (which === 'image' ? d.image : which === 'features' ? d.features : { image: d.image, features: d.features });
    await m.fit(x(train), train.label, { epochs, batchSize: 32 });
    result[which] = m.evaluate(x(test), test.label).accuracy;
  }
  return result;
}

async function main() {
  const r = await accuracies();
  console.log(`test accuracy: image alone ${r.image.toFixed(3)}, features alone ${r.features.toFixed(3)}, both inputs ${r.both.toFixed(3)}`);
}

module.exports = { xorData, buildModel, accuracies };
if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
