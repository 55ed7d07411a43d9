// Child: results of synchronous native calls made in a loop that never yields to the event loop
// must be collectable by V8 within that loop. Each call below returns a 1 MiB array; if results
// only went away through finalizers that wait for the event loop, peak RSS would grow by
// calls x 1 MiB. Prints one JSON line: peak RSS before and after each loop, in MiB.
import { Sequential, layers, sgd } from '../../../src/index';
import { loadNativeBinding } from '../../../src/backend/native';

const calls = Number(process.argv[2] ?? 400);
const binding = loadNativeBinding();
const peakMiB = () => process.resourceUsage().maxRSS / 1024;

const n = 512; // 512 x 512 floats = 1 MiB per result
const a = new Float32Array(n * n).map((_, i) => Math.sin(i));
const b = new Float32Array(n * n).map((_, i) => Math.cos(i));
let check = 0;
const before = peakMiB();
for (let i = 0; i < calls; i++) check += binding.matmul(a, b, n, n, n)[i % (n * n)];
const afterMatmul = peakMiB();

const model = new Sequential({ seed: 1, backend: 'native' });
model.add(layers.dense({ units: 256, activation: 'relu', inputShape: [16] }));
model.compile({ loss: 'mse', optimizer: sgd({ lr: 0.1 }) });
const x = new Float32Array(1024 * 16).map((_, i) => Math.sin(i * 0.3));
for (let i = 0; i < calls; i++) check += (model.predict(x) as Float32Array)[i]; // 1024 x 256 floats
const afterPredict = peakMiB();
console.log(JSON.stringify({ calls, before, afterMatmul, afterPredict, finite: Number.isFinite(check) }));
