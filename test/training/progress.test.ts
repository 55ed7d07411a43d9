// fit's verbose output on fake streams: a TTY gets the cli-progress bar (batch n/N, the running
// loss) and one line per epoch; any other stream exactly one line per epoch; verbose 0 nothing.
import { describe, expect, it } from 'vitest';
import { loadIris } from '../../src/data/iris';
import { adam } from '../../src/index';
import { dense } from '../../src/layers/dense';
import { Sequential } from '../../src/model/sequential';
import { formatEpoch } from '../../src/training/progress';

const iris = loadIris();

function irisModel() {
  const model = new Sequential({ seed: 5 });
  model.add(dense({ units: 8, activation: 'tanh', inputShape: [4] }));
  model.add(dense({ units: 3, activation: 'softmax' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.02 }), metrics: ['accuracy'] });
  return model;
}

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, columns: 160, write: (s: string) => chunks.push(s) > 0 } };
}

const ESC = String.fromCharCode(27);
/** The text without terminal escape sequences. */
const plain = (s: string) => s.replace(new RegExp(`${ESC}(\\[[0-9;?]*[A-Za-z]|[78])`, 'g'), '');

describe('fit verbose', () => {
  it('draws the bar on a TTY: batch n/N, ETA, the running loss and accuracy, then one line per epoch', async () => {
    const { chunks, stream } = fakeStream(true);
    const history = await irisModel().fit(iris.x, iris.y, { epochs: 2, batchSize: 10, verbose: 1, progressStream: stream });
    const text = plain(chunks.join(''));
    expect(text).toMatch(/epoch 1\/2 1\/15 \[=*\.*\] ETA \S+ loss \d\.\d{4} acc \d\.\d{4} [\d,-]+ samples\/s/);
    expect(text).toMatch(/epoch 2\/2 15\/15 \[={20}\] ETA \S+ loss \d\.\d{4} acc \d\.\d{4}/);
    // The bar is redrawn in place (cursor moves, no newline); only the permanent lines end in '\n'.
    const lines = chunks.filter((c) => c.includes('\n'));
    expect(lines.every((l) => l.endsWith('\n') && !l.includes(ESC))).toBe(true);
    expect(lines).toHaveLength(2);
    for (let e = 0; e < 2; e++) {
      const logs = { loss: history.loss[e], acc: history.acc[e], lr: history.history.lr[e] };
      expect(lines[e]).toMatch(new RegExp(`^${formatEpoch(e, 2, logs)} {2}\\d+\\.\\ds {2}[\\d,]+ samples/s\n$`));
    }
  });

  it('writes exactly one plain line per epoch to a stream that is not a TTY', async () => {
    const { chunks, stream } = fakeStream(false);
    const history = await irisModel().fit(iris.x, iris.y, { epochs: 3, batchSize: 10, verbose: 1, validationSplit: 0.2, progressStream: stream });
    expect(chunks).toHaveLength(3);
    chunks.forEach((c, e) => {
      const logs = { loss: history.loss[e], acc: history.acc[e], valLoss: history.valLoss[e], valAcc: history.valAcc[e], lr: 0.02 };
      expect(c).toBe(`${formatEpoch(e, 3, logs)}\n`);
    });
  });

  it('verbose 2 writes one line per epoch even on a TTY; verbose 0 (the default) writes nothing', async () => {
    const tty = fakeStream(true);
    await irisModel().fit(iris.x, iris.y, { epochs: 2, batchSize: 10, verbose: 2, progressStream: tty.stream });
    expect(tty.chunks).toHaveLength(2);
    expect(tty.chunks.every((c) => /^epoch \d\/2 {2}loss .*\n$/.test(c) && !c.includes(ESC))).toBe(true);
    for (const verbose of [0, undefined] as const) {
      const quiet = fakeStream(true);
      await irisModel().fit(iris.x, iris.y, { epochs: 2, batchSize: 10, verbose, progressStream: quiet.stream });
      expect(quiet.chunks).toEqual([]);
    }
  });

  it('takes the bar down when fit throws', async () => {
    const { chunks, stream } = fakeStream(true);
    const fail = {
      onBatchEnd(batch: number) {
        if (batch === 3) throw new Error('stop here');
      },
    };
    await expect(irisModel().fit(iris.x, iris.y, { epochs: 2, batchSize: 10, verbose: 1, progressStream: stream, callbacks: fail })).rejects.toThrow(
      'stop here',
    );
    expect(chunks.join('').endsWith(`${ESC}[2K`)).toBe(true); // the bar's line cleared
  });

  it('refuses a bad verbose or progressStream with E_ARG', async () => {
    const model = irisModel();
    for (const opts of [{ verbose: 3 }, { verbose: true }, { progressStream: {} }, { progressStream: 'stdout' }]) {
      await expect(model.fit(iris.x, iris.y, opts as object), JSON.stringify(opts)).rejects.toMatchObject({ code: 'E_ARG' });
    }
  });
});
