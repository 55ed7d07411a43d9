// Child process for the atomic-save test: saves a large model to argv[2] over and over (each
// save with different weights), printing "saving" before each; the parent SIGKILLs it mid-save.
import { Sequential, layers, saveModel } from '../../../src/index';

const path = process.argv[2];
const m = new Sequential({ seed: 1, backend: 'js' });
m.add(layers.dense({ units: 1024, inputDim: 1024 }));
m.add(layers.dense({ units: 1024 }));
m.add(layers.dense({ units: 10 }));
let k = 0;
for (;;) {
  m.setWeights(m.getWeights().map((w) => w.fill(++k)));
  process.stdout.write(`saving ${k}\n`);
  saveModel(m, path);
}
