// Child process for the atomic-save test: saves a large model (8 MB) to argv[2] over and over,
// alternating two weight sets (every tensor j of set s filled with s + j, s = 1 or 2) so that
// nearly all of its time is spent inside saveModel; the parent SIGKILLs it mid-save.
import { Sequential, layers, saveModel } from '../../../src/index';

const path = process.argv[2];
function model(s: number): Sequential {
  const m = new Sequential({ seed: 1, backend: 'js' });
  m.add(layers.dense({ units: 1024, inputDim: 1024 }));
  m.add(layers.dense({ units: 1024 }));
  m.add(layers.dense({ units: 10 }));
  m.setWeights(m.getWeights().map((w, j) => w.fill(s + j)));
  return m;
}
const sets = [model(1), model(2)];
for (let k = 0; ; k++) {
  process.stdout.write(`saving ${k}\n`);
  saveModel(sets[k % 2], path);
}
