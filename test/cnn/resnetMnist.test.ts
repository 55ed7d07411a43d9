// The graph issue's proof on real work: the ResNet of examples/resnet-mnist.js (workload W6) on
// the bundled MNIST split reaches >= 0.975 test accuracy within 5 epochs on the native backend
// (PyTorch, same network and split: 0.9695 after 3 epochs, 0.9785 after 5); and the js backend,
// the reference, trains it to the same weights as native on a small subset.
import { describe, expect, it } from 'vitest';
import { adam, loadMnist, mnistEpochOrder, sgd } from '../../src/index';
import { closeness, nativeOrNull } from '../helpers/backends';
import { relativeError } from '../helpers/gradcheck';

// The example is plain JavaScript over dist/; build it from src here through the same function.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { buildResnet } = require('../../examples/resnet-mnist.js') as {
  buildResnet: (o: { seed?: number; backend?: string }) => import('../../src/index').Model;
};
const { native } = nativeOrNull();

describe.runIf(native)('ResNet (W6) on MNIST', () => {
  it('>= 0.975 test accuracy within 5 epochs (native)', async () => {
    const data = loadMnist();
    const net = buildResnet({ seed: 1, backend: 'native' });
    net.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
    const accuracies: number[] = [];
    await net.fit(data.trainX, data.trainY, {
      epochs: 5,
      batchSize: 64,
      epochOrder: mnistEpochOrder,
      callbacks: [
        {
          onEpochEnd: (e, _logs, m) => {
            const acc = (m as typeof net).evaluate(data.testX, data.testY).accuracy;
            accuracies.push(acc);
            console.log(`W6 epoch ${e + 1}: test accuracy ${acc.toFixed(4)}`);
            if (acc >= 0.975) m.stopTraining = true;
          },
        },
      ],
    });
    expect(Math.max(...accuracies)).toBeGreaterThanOrEqual(0.975);
  }, 900_000);

  it('the js backend, the reference, matches native on the same weights: predictions, loss, gradients and one training step', async () => {
    const data = loadMnist();
    const x = data.trainX.subarray(0, 24 * 784);
    const y = data.trainY.subarray(0, 24 * 10);
    const nets = (['native', 'js'] as const).map((backend) => {
      const m = buildResnet({ seed: 3, backend });
      m.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ lr: 0.05 }) });
      return m;
    });
    // Two native batches first (batch norm running statistics move), then js takes native's weights and state.
    await nets[0].fit(data.trainX.subarray(0, 48 * 784), data.trainY.subarray(0, 480), { epochs: 1, batchSize: 24, shuffle: false });
    nets[1].setWeights(nets[0].getWeights());
    nets[1].setState(nets[0].getState());
    const [pn, pj] = nets.map((m) => m.predict(data.testX.subarray(0, 16 * 784)) as Float32Array);
    expect(closeness(pn, pj, 1e-5, 1e-3)).toBeNull();
    const [gn, gj] = nets.map((m) => m.computeGradients(x, y));
    expect(gj.loss).toBeCloseTo(gn.loss, 5);
    // Norm-wise relative differences: float32 rounding through 19 batch norms.
    gn.grads.forEach((g, i) => {
      expect(relativeError(g, gj.grads[i]), `gradient of ${gn.names[i]}`).toBeLessThan(1e-4);
    });
    nets.forEach((m, i) => {
      m.applyGradients([gn, gj][i].grads);
    });
    const [wn, wj] = nets.map((m) => m.getWeights());
    wn.forEach((w, i) => {
      expect(relativeError(w, wj[i]), nets[0].weightsInfo()[i].name).toBeLessThan(1e-5);
    });
  }, 300_000);
});
