// Child of the distributed tests: trains net argv[2] ('mlp', 'cnn', or 'mlp-stream' through fitDataset) for 50 steps at global batch
// 16 and writes its weights (base64 of the float bytes) and losses to argv[3].<rank>.json. Under
// mpirun it trains with fit's distributed option; alone, as one plain process. With argv[4] =
// 'die', rank 1 SIGKILLs itself after two epochs while the others go on; with 'throw', it throws.
import { writeFileSync } from 'node:fs';
import { Sequential, adam, distributed, fromIterable, layers, sgd } from '../../../src/index';
import type { World } from '../../../src/distributed/world';
import { mulberry32 } from '../../../src/random';

export const SAMPLES = 160;
export const BATCH = 16;
export const EPOCHS = 5; // 10 batches an epoch: 50 steps

function build(net: string): { model: Sequential; x: Float32Array; y: Float32Array } {
  const rand = mulberry32(7);
  const model = new Sequential({ seed: 3, backend: 'native' });
  const inputs = net.startsWith('cnn') ? 64 : 12;
  if (net.startsWith('cnn')) {
    model.add(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [8, 8, 1] }));
    model.add(layers.maxPooling2d({ poolSize: 2 }));
    model.add(layers.flatten());
    model.add(layers.dense({ units: 3, activation: 'softmax' }));
    model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 1e-2 }) });
  } else {
    model.add(layers.dense({ units: 16, activation: 'tanh', inputShape: [inputs] }));
    model.add(layers.dense({ units: 3, activation: 'softmax' }));
    model.compile({ loss: 'categoricalCrossentropy', optimizer: sgd({ lr: 0.1, momentum: 0.9 }), metrics: ['accuracy'] });
  }
  const x = Float32Array.from({ length: SAMPLES * inputs }, () => rand() * 2 - 1);
  const y = new Float32Array(SAMPLES * 3);
  for (let s = 0; s < SAMPLES; s++) y[s * 3 + Math.floor(rand() * 3)] = 1;
  return { model, x, y };
}

async function main(): Promise<void> {
  const [net, out, mode] = process.argv.slice(2);
  const { model, x, y } = build(net);
  const world: World | null = process.env.OMPI_COMM_WORLD_SIZE ? await distributed() : null;
  const rank = world?.rank ?? 0;
  const opts = { batchSize: BATCH, ...(world ? { distributed: world } : {}) };
  const losses: number[] = [];
  if (mode === 'die' || mode === 'throw') {
    losses.push(...(await model.fit(x, y, { ...opts, epochs: 2 })).loss);
    if (rank === 1 && mode === 'die') process.kill(process.pid, 'SIGKILL');
    if (rank === 1 && mode === 'throw') throw new Error('rank 1 gives up');
    // The other ranks go on and block in the next allreduce: mpirun must end them.
    await model.fit(x, y, { ...opts, epochs: 1000 });
    return;
  }
  if (net.endsWith('-stream')) {
    // The same batches from a streamed source (fitDataset), in a seeded order per pass.
    const width = x.length / SAMPLES;
    let pass = 0;
    const source = fromIterable(function* () {
      const rand = mulberry32(100 + pass++);
      const order = Array.from({ length: SAMPLES }, (_, i) => i).sort(() => rand() - 0.5);
      for (let b = 0; b < SAMPLES; b += BATCH) {
        const rows = order.slice(b, b + BATCH);
        const bx = new Float32Array(rows.length * width);
        const by = new Float32Array(rows.length * 3);
        rows.forEach((r, i) => {
          bx.set(x.subarray(r * width, (r + 1) * width), i * width);
          by.set(y.subarray(r * 3, (r + 1) * 3), i * 3);
        });
        yield { x: { data: bx, shape: [rows.length, width] }, y: { data: by, shape: [rows.length, 3] } };
      }
    });
    losses.push(...(await model.fitDataset(source, { epochs: EPOCHS, ...(world ? { distributed: world } : {}) })).loss);
  } else {
    losses.push(...(await model.fit(x, y, { ...opts, epochs: EPOCHS })).loss);
  }
  const weights = model.getWeights().map((w) => Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('base64'));
  writeFileSync(`${out}.${rank}.json`, JSON.stringify({ rank, size: world?.size ?? 1, step: model.step, losses, weights }));
}

main().catch((e) => {
  process.stderr.write(`child failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
