// The course's third use of an MLP, compression: a 784-32-784 autoencoder on the MNIST digits
// (the split of docs/workloads), 5 epochs, codes read from the bottleneck with encode().
// Runs on the native backend when it is built; otherwise on the js one (a few seconds there too).
import { describe, expect, it } from 'vitest';
import { tryNativeBackend } from '../../src/backend';
import { loadMnist } from '../../src/data/mnist';
import { dense } from '../../src/layers/dense';
import { meanSquaredError, reconstructionErrors } from '../../src/metrics';
import { Sequential } from '../../src/model/sequential';

const backend = process.env.OXNET_BACKEND !== 'js' && tryNativeBackend() ? 'native' : 'js';
if (backend === 'js') console.warn('autoencoder test: on the js backend (native not built, or OXNET_BACKEND=js)');

describe(`MNIST autoencoder 784-32-784 (${backend} backend)`, () => {
  it('reaches test reconstruction MSE < 0.03 in 5 epochs and encodes to 32 numbers', async () => {
    const d = loadMnist();
    const model = new Sequential({ seed: 1, backend });
    model.add(dense({ units: 32, activation: 'sigmoid', inputShape: [784], name: 'code' }));
    model.add(dense({ units: 784, activation: 'sigmoid' }));
    // measured: lr 1e-2, batch 32 gives ~0.021 after 5 epochs (lr 1e-3, batch 64 as W5: ~0.054)
    model.compile({ loss: 'mse', optimizer: { kind: 'adam', lr: 1e-2 } });
    const history = await model.fit(d.trainX, d.trainX, { epochs: 5, batchSize: 32 });
    expect(history.loss[4]).toBeLessThan(history.loss[0]);
    const recon = model.predict(d.testX);
    const mse = meanSquaredError(recon, d.testX);
    console.log(`test reconstruction MSE after 5 epochs: ${mse.toFixed(4)}`);
    expect(mse).toBeLessThan(0.03);
    // a model that outputs the mean image scores much worse: compression really happened
    const mean = new Float32Array(784);
    for (let i = 0; i < 8000; i++) for (let k = 0; k < 784; k++) mean[k] += d.trainX[i * 784 + k] / 8000;
    const baseline = meanSquaredError(
      Float32Array.from({ length: d.testX.length }, (_, i) => mean[i % 784]),
      d.testX,
    );
    expect(mse).toBeLessThan(baseline / 2);

    const codes = model.encode(d.testX, 'code');
    expect(codes.length).toBe(2000 * 32);
    expect(codes.every((c) => c >= 0 && c <= 1)).toBe(true); // sigmoid units (float32 may round to 0 or 1)
    // decoding the codes gives back the full model's reconstruction
    const decoded = model.decode(codes, 'code');
    for (let i = 0; i < 784 * 3; i++) expect(decoded[i]).toBeCloseTo(recon[i], 5);
    // per-digit errors average to the overall MSE
    const perDigit = reconstructionErrors(d.testX, recon, 784);
    expect(perDigit.reduce((a, b) => a + b, 0) / 2000).toBeCloseTo(mse, 6);
  });
});
