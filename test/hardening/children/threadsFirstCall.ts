// Child: one kind of first native call (argv[2]: predict, fit, maxPool, conv, loadModel with the
// model file in argv[3]) in a process started with OXNET_THREADS set by the parent, then
// getThreads(). Prints one JSON line: the thread count, the pool threads by name ("oxnet-<i>")
// and the threads the process gained over the call, or the error the call (or getThreads) threw.
// libuv's threads are started before the first snapshot (one fs call starts its whole pool), so
// the count of threads gained covers the call alone.
import { readdirSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Sequential, getThreads, layers, loadModel, sgd } from '../../../src/index';
import { backendByName } from '../../../src/backend';

function threadNames(): string[] {
  const names: string[] = [];
  for (const task of readdirSync('/proc/self/task')) {
    try {
      names.push(readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim());
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return names;
}

function convModel(): Sequential {
  const m = new Sequential({ seed: 1, backend: 'native' });
  m.add(layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }));
  m.add(layers.maxPooling2d({ poolSize: 2 }));
  m.add(layers.flatten());
  m.add(layers.dense({ units: 2 }));
  return m;
}

const input = (n: number) => new Float32Array(n).map((_, i) => Math.sin(i * 0.7));

async function firstCall(mode: string): Promise<void> {
  switch (mode) {
    case 'predict':
      convModel().predict(input(4 * 64));
      return;
    case 'fit': {
      const m = convModel();
      m.compile({ loss: 'mse', optimizer: sgd({ lr: 0.01 }) });
      await m.fit(input(8 * 64), input(8 * 2), { epochs: 1, batchSize: 4 });
      return;
    }
    case 'maxPool':
      backendByName('native').maxPool2dForward(input(2 * 8 * 8 * 4), { batch: 2, inShape: [8, 8, 4], pool: [2, 2], strides: [2, 2], padding: [0, 0, 0, 0] });
      return;
    case 'conv':
      backendByName('native').conv2dForward(input(2 * 8 * 8 * 3), input(3 * 3 * 3 * 4), null, {
        batch: 2,
        inShape: [8, 8, 3],
        filters: 4,
        kernel: [3, 3],
        strides: [1, 1],
        padding: [1, 1, 1, 1],
        dilation: [1, 1],
      });
      return;
    case 'loadModel':
      loadModel(process.argv[3]).predict(input(4 * 64));
      return;
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

const describeError = (e: unknown) => ({ name: (e as Error)?.name, code: (e as { code?: unknown })?.code, message: String((e as Error)?.message ?? e) });

(async () => {
  await stat('.');
  const before = threadNames();
  const result: Record<string, unknown> = {};
  try {
    await firstCall(process.argv[2]);
  } catch (e) {
    result.error = describeError(e);
  }
  try {
    result.threads = getThreads();
  } catch (e) {
    result.threadsError = describeError(e);
  }
  const after = threadNames();
  result.pool = after.filter((n) => n.startsWith('oxnet-')).length;
  result.gained = after.length - before.length;
  process.stdout.write(`${JSON.stringify(result)}\n`);
})();
