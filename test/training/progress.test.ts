// fit's verbose output on fake streams: a TTY gets the cli-progress bar (batch n/N, the running
// loss) and one line per epoch; any other stream exactly one line per epoch; verbose 0 nothing.
// The bar shows only in epochs that run 100 ms: the bar tests set progressTiming to 0 for iris.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadIris } from '../../src/data/iris';
import { adam } from '../../src/index';
import { dense } from '../../src/layers/dense';
import { Sequential } from '../../src/model/sequential';
import { formatEpoch, progressTiming } from '../../src/training/progress';

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

/** The permanent lines written (a grouped write may hold several). */
const linesOf = (chunks: string[]) =>
  chunks
    .join('')
    .split(/(?<=\n)/)
    .filter((l) => l.endsWith('\n'));

describe('fit verbose, the bar forced on for tiny epochs', () => {
  const saved = { ...progressTiming };
  beforeEach(() => {
    progressTiming.barDelayMs = 0;
    progressTiming.groupMs = 0;
  });
  afterEach(() => {
    Object.assign(progressTiming, saved);
  });

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
    expect(chunks).toHaveLength(3); // validation: each epoch's line as it ends
    chunks.forEach((c, e) => {
      const logs = { loss: history.loss[e], acc: history.acc[e], valLoss: history.valLoss[e], valAcc: history.valAcc[e], lr: 0.02 };
      expect(c).toBe(`${formatEpoch(e, 3, logs)}\n`);
    });
  });

  it('verbose 2 writes one line per epoch even on a TTY; verbose 0 (the default) writes nothing', async () => {
    const tty = fakeStream(true);
    await irisModel().fit(iris.x, iris.y, { epochs: 2, batchSize: 10, verbose: 2, progressStream: tty.stream });
    const lines = linesOf(tty.chunks);
    expect(lines).toHaveLength(2);
    expect(lines.every((c) => /^epoch \d\/2 {2}loss .*\n$/.test(c) && !c.includes(ESC))).toBe(true);
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
});

describe('fit verbose', () => {
  it('on a TTY, epochs shorter than the bar delay leave one line each and no bar', async () => {
    const { chunks, stream } = fakeStream(true);
    const history = await irisModel().fit(iris.x, iris.y, { epochs: 30, batchSize: 10, verbose: 1, progressStream: stream });
    expect(chunks.join('')).not.toContain(ESC);
    const lines = linesOf(chunks);
    expect(lines).toHaveLength(30);
    lines.forEach((l, e) => {
      const logs = { loss: history.loss[e], acc: history.acc[e], lr: 0.02 };
      expect(l).toMatch(new RegExp(`^${formatEpoch(e, 30, logs)} {2}\\d+\\.\\ds {2}[\\d,]+ samples/s\n$`));
    });
    // Several short epochs to a write, not one write per batch.
    expect(chunks.length).toBeLessThan(30);
  });

  it('trains the same weights and history whatever it shows (grouped epochs, timed chunks, one call)', async () => {
    const run = async (opts: object) => {
      const model = irisModel();
      const h = await model.fit(iris.x, iris.y, { epochs: 12, batchSize: 10, ...opts });
      return { history: h.history, weights: model.getWeights() };
    };
    const quiet = await run({});
    const others = [
      await run({ verbose: 1, progressStream: fakeStream(true).stream }),
      await run({ verbose: 2, progressStream: fakeStream(false).stream }),
      await run({ signal: new AbortController().signal }),
    ];
    const saved = { ...progressTiming };
    try {
      progressTiming.barDelayMs = 0;
      progressTiming.groupMs = 0;
      others.push(await run({ verbose: 1, progressStream: fakeStream(true).stream }));
    } finally {
      Object.assign(progressTiming, saved);
    }
    // stopBelowLoss stops the grouped epochs where it stops the one call.
    const threshold = quiet.history.loss[6] * (1 + 1e-9);
    const stopped = await run({ stopBelowLoss: threshold });
    expect(stopped.history.loss.length).toBeLessThan(12);
    expect((await run({ stopBelowLoss: threshold, verbose: 2, progressStream: fakeStream(false).stream })).history).toEqual(stopped.history);
    for (const o of others) {
      expect(o.history).toEqual(quiet.history);
      o.weights.forEach((w, i) => {
        expect(w).toEqual(quiet.weights[i]);
      });
    }
  });

  it('refuses a bad verbose or progressStream with E_ARG', async () => {
    const model = irisModel();
    for (const opts of [{ verbose: 3 }, { verbose: true }, { progressStream: {} }, { progressStream: 'stdout' }]) {
      await expect(model.fit(iris.x, iris.y, opts as object), JSON.stringify(opts)).rejects.toMatchObject({ code: 'E_ARG' });
    }
  });
});
