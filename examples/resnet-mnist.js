// A ResNet on the MNIST digits (workload W6): stem conv 3x3 16 + batch norm + ReLU; three stages
// of 16, 32 and 64 filters, two residual blocks each (conv-BN-ReLU-conv-BN, add the shortcut,
// ReLU), the first block of stages 2 and 3 with stride 2 and a strided 1x1 projection on the
// shortcut; global average pooling; dense 10 softmax. Built with the functional API: input(),
// layer.apply(), layers.add() for the shortcuts, model({ inputs, outputs }). Cross-entropy, Adam
// 1e-3, batch 64, the workloads' split. Reaches ~0.98 test accuracy after 5 epochs (a few minutes
// on 2 cores of the native backend).
// Run: npm run build && node examples/resnet-mnist.js [epochs]
const { input, layers, model, adam, loadMnist, mnistEpochOrder } = require('../dist');

/** The W6 network: one input [28, 28, 1], 10 softmax outputs. @param {{ seed?: number, backend?: import('../dist').BackendName, blocks?: number }} [options] */
function buildResnet({ seed = 1, backend, blocks = 2 } = {}) {
  const conv = (filters, kernelSize, strides) => layers.conv2d({ filters, kernelSize, strides, padding: 'same', useBias: false });
  // Running statistics with momentum 0.9 (PyTorch's default, 0.1 in its convention): Keras's 0.99
  // lags a few hundred batches behind, and 19 lagging layers ruin early inference.
  const bn = () => layers.batchNormalization({ momentum: 0.9 });
  const bnRelu = (x) => layers.activation({ activation: 'relu' }).apply(bn().apply(x));
  const x = input({ shape: [28, 28, 1], name: 'digit' });
  let h = bnRelu(conv(16, 3, 1).apply(x));
  let channels = 16;
  [16, 32, 64].forEach((filters, stage) => {
    for (let b = 0; b < blocks; b++) {
      const strides = stage > 0 && b === 0 ? 2 : 1;
      const y = bn().apply(conv(filters, 3, 1).apply(bnRelu(conv(filters, 3, strides).apply(h))));
      // identity shortcut where the shape stays, a strided 1x1 projection where it changes
      const shortcut = strides === 1 && channels === filters ? h : conv(filters, 1, strides).apply(h);
      h = layers.activation({ activation: 'relu' }).apply(layers.add().apply([y, shortcut]));
      channels = filters;
    }
  });
  const out = layers.dense({ units: 10, activation: 'softmax', name: 'digit_class' }).apply(layers.globalAveragePooling2d().apply(h));
  return model({ inputs: x, outputs: out, seed, backend, name: 'resnet-mnist' });
}

async function main() {
  const epochs = Number(process.argv[2] ?? 5);
  const data = loadMnist();
  const net = buildResnet();
  net.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-3 }), metrics: ['accuracy'] });
  console.log(net.summary());
  await net.fit(data.trainX, data.trainY, { epochs, batchSize: 64, epochOrder: mnistEpochOrder, verbose: 1 });
  const { accuracy, misclassified } = net.evaluate(data.testX, data.testY);
  console.log(`test accuracy ${accuracy.toFixed(4)} (${misclassified} of 2000 wrong) after ${epochs} epochs`);
}

module.exports = { buildResnet };
if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
