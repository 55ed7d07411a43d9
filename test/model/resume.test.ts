// Exact resume: a run killed (SIGKILL) after a checkpoint and resumed from it ends with the very
// bits of a run that never stopped: weights, batch-norm state, optimizer moments, step, losses.
// The MLP has dropout, Adam, a normalizer, a validation split, a plateau and early stopping; the
// CNN batch norm, SGD with momentum and a schedule. Then: the moments round-trip, incompatible
// checkpoints are refused saying what differs, damaged ones with E_FORMAT.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, earlyStopping, layers, loadCheckpoint, loadModel, OxnetError, readCheckpoint, saveCheckpoint, saveModel } from '../../src/index';
import { bundleChild } from '../hardening/childBundle';
import { nativeOrNull } from '../helpers/backends';
import { testTempDir } from '../helpers/temp';
import { checkpointEvery, EPOCHS, makeRun, type RunKind } from './resumeRuns';
import type { Model } from '../../src/model/model';
import type { History } from '../../src/model/history';
import { join } from 'node:path';

const backends: ('native' | 'js')[] = nativeOrNull().native ? ['native', 'js'] : ['js'];

const bits = (list: Float32Array[]) => list.map((a) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length)));

/** Everything a run ends with, as bits (floats) and numbers. */
function end(model: Model, history: History) {
  return {
    weights: bits(model.getWeights()),
    state: bits(model.getState()),
    moments: bits(model.getOptimizerState()),
    step: model.step,
    epochsTrained: model.epochsTrained,
    lr: model.learningRate,
    history: history.history,
  };
}

async function straight(kind: RunKind, backend: 'native' | 'js') {
  const run = makeRun(kind, backend);
  const history = await run.model.fit(run.x, run.y, { ...run.fit, epochs: EPOCHS, callbacks: run.callbacks() });
  return { ...end(run.model, history), history: history.history };
}

/** The resumed run's history holds epochs from the checkpoint's on: the straight run's tail. */
function tail(h: Record<string, number[]>, from: number): Record<string, number[]> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, v.slice(from)]));
}

let child = '';
beforeAll(async () => {
  child = await bundleChild('resumeRun', join(__dirname, 'children'));
});

/** Runs the child toward 6 epochs and SIGKILLs it a random moment after a checkpoint of epoch >= 3 appears. */
function killedRun(kind: RunKind, backend: string, path: string): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, kind, backend, path], { stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
    let stdout = '';
    p.stdout.on('data', (d) => {
      stdout += d;
    });
    p.on('error', reject);
    p.on('exit', (_code, signal) => {
      clearInterval(poll);
      resolve({ signal, stdout });
    });
    const poll = setInterval(() => {
      if (!existsSync(path)) return;
      let epoch = 0;
      try {
        epoch = readCheckpoint(path).epoch;
      } catch {
        return; // not there yet
      }
      if (epoch < 3) return;
      clearInterval(poll);
      setTimeout(() => p.kill('SIGKILL'), Math.floor(Math.random() * 110)); // during epoch 4 or 5
    }, 3);
  });
}

describe.each(backends)('%s backend', (backend) => {
  describe.each(['mlp', 'cnn'] as RunKind[])('%s', (kind) => {
    it('killed with SIGKILL after a checkpoint and resumed to 6 epochs: bitwise the straight run', async () => {
      const dir = testTempDir('oxnet-resume-');
      const path = dir.file('run.oxnet');
      const want = await straight(kind, backend);
      const { signal, stdout } = await killedRun(kind, backend, path);
      expect(signal).toBe('SIGKILL');
      expect(stdout).not.toContain('finished');
      const at = readCheckpoint(path).epoch;
      expect(at).toBeGreaterThanOrEqual(3);
      expect(at).toBeLessThan(EPOCHS);
      const killed = readFileSync(path);
      const run = makeRun(kind, backend);
      const history = await run.model.fit(run.x, run.y, {
        ...run.fit,
        epochs: EPOCHS,
        resumeFrom: path,
        callbacks: [...run.callbacks(), checkpointEvery(path)],
      });
      expect(history.epoch).toEqual(Array.from({ length: EPOCHS - at }, (_, i) => at + i));
      const got = end(run.model, history);
      expect(got.weights).toEqual(want.weights);
      expect(got.state).toEqual(want.state);
      expect(got.moments).toEqual(want.moments);
      expect([got.step, got.epochsTrained, got.lr]).toEqual([want.step, want.epochsTrained, want.lr]);
      expect(got.history).toEqual(tail(want.history, at));
      // The test can fail: the same resume with the moments zeroed ends elsewhere.
      writeFileSync(dir.file('killed.oxnet'), killed);
      const zeroed = makeRun(kind, backend);
      zeroed.model.restore(dir.file('killed.oxnet'));
      zeroed.model.setOptimizerState(zeroed.model.getOptimizerState().map((m) => m.fill(0)));
      await zeroed.model.fit(zeroed.x, zeroed.y, {
        ...zeroed.fit,
        epochs: EPOCHS,
        initialEpoch: at,
        callbacks: [...zeroed.callbacks(), checkpointEvery(path)],
      });
      expect(bits(zeroed.model.getWeights())).not.toEqual(want.weights);
    }, 30_000);

    it('restore (or loadCheckpoint), then fit with initialEpoch, continues the same run in-process', async () => {
      const dir = testTempDir('oxnet-resume-');
      const path = dir.file('three.oxnet');
      const want = await straight(kind, backend);
      const first = makeRun(kind, backend);
      await first.model.fit(first.x, first.y, { ...first.fit, epochs: 3, callbacks: [...first.callbacks(), checkpointEvery(path)] });
      expect(readCheckpoint(path).epoch).toBe(3);
      const run = makeRun(kind, backend);
      run.model.restore(path);
      // loadCheckpoint builds the same model from the file (on the active backend: native here)
      if (backend === 'native') {
        const loaded = loadCheckpoint(path);
        expect([bits(loaded.getWeights()), bits(loaded.getOptimizerState()), loaded.step]).toEqual([
          bits(run.model.getWeights()),
          bits(run.model.getOptimizerState()),
          run.model.step,
        ]);
      }
      const history = await run.model.fit(run.x, run.y, {
        ...run.fit,
        initialEpoch: 3,
        epochs: EPOCHS,
        callbacks: [...run.callbacks(), checkpointEvery(path)],
      });
      expect(end(run.model, history).weights).toEqual(want.weights);
      expect(history.history).toEqual(tail(want.history, 3));
      // and a checkpoint is a model file too
      expect(bits(loadModel(path).getWeights())).toEqual(want.weights);
    }, 30_000);
  });
});

function adamModel(units = 6, optimizer: Record<string, unknown> = { kind: 'adam', lr: 0.05 }) {
  const m = new Sequential({ seed: 4 });
  m.add(layers.dense({ units, activation: 'tanh', inputShape: [3] }));
  m.add(layers.dense({ units: 1 }));
  m.compile({ loss: 'mse', optimizer });
  return m;
}
const X = Float32Array.from({ length: 60 }, (_, i) => Math.sin(i));
const Y = Float32Array.from({ length: 20 }, (_, i) => Math.cos(i));

describe('optimizer state', () => {
  it('round-trips: an Adam step after restore equals the step without interruption', async () => {
    const dir = testTempDir('oxnet-resume-');
    const a = adamModel();
    await a.fit(X, Y, { epochs: 3, batchSize: 5 });
    saveCheckpoint(a, dir.file('a.oxnet'));
    const b = loadCheckpoint(dir.file('a.oxnet'));
    expect(bits(b.getOptimizerState())).toEqual(bits(a.getOptimizerState()));
    expect(b.getOptimizerState().length).toBe(8); // m and v of 4 weight tensors
    expect(b.step).toBe(a.step);
    const { grads } = a.computeGradients(X.subarray(0, 15), Y.subarray(0, 5));
    a.applyGradients(grads);
    b.applyGradients(grads);
    expect(bits(b.getWeights())).toEqual(bits(a.getWeights()));
    // the same step from zero moments lands elsewhere
    const c = loadModel(dir.file('a.oxnet'));
    c.step = b.step - 1;
    c.applyGradients(grads);
    expect(bits(c.getWeights())).not.toEqual(bits(a.getWeights()));
  });

  it('a resume through the per-epoch path ends as a straight fit in one backend call (no callbacks)', async () => {
    const dir = testTempDir('oxnet-resume-');
    const path = dir.file('a.oxnet');
    const straightRun = adamModel();
    await straightRun.fit(X, Y, { epochs: 5, batchSize: 5, seed: 21 });
    await adamModel().fit(X, Y, { epochs: 2, batchSize: 5, seed: 21, callbacks: [checkpointEvery(path)] });
    const resumed = adamModel();
    await resumed.fit(X, Y, { epochs: 5, batchSize: 5, resumeFrom: path, callbacks: [checkpointEvery(path)] }); // the seed comes from the checkpoint
    expect(bits(resumed.getWeights())).toEqual(bits(straightRun.getWeights()));
    expect(bits(resumed.getOptimizerState())).toEqual(bits(straightRun.getOptimizerState()));
  });

  it("survives fit's own runner: computeGradients after fit({ seed }) goes on with fit's moments", async () => {
    const a = adamModel();
    await a.fit(X, Y, { epochs: 2, batchSize: 5, seed: 77 });
    const moments = bits(a.getOptimizerState());
    expect(moments.flat().some((v) => v !== 0)).toBe(true);
    a.computeGradients(X.subarray(0, 3), Y.subarray(0, 1)); // switches to the model-seed runner
    expect(bits(a.getOptimizerState())).toEqual(moments);
  });
});

describe('callbacks', () => {
  it('a run early stopping ended resumes to its end: no epoch, the best weights put back', async () => {
    const dir = testTempDir('oxnet-resume-');
    const path = dir.file('stop.oxnet');
    const stopper = () => earlyStopping({ monitor: 'loss', patience: 0, minDelta: 1, restoreBestWeights: true });
    const straightRun = adamModel();
    const h = await straightRun.fit(X, Y, { epochs: 10, batchSize: 5, callbacks: [stopper()] });
    expect(h.epoch).toEqual([0, 1]); // epoch 1 did not improve by 1: stopped, epoch 0's weights back
    const stopped = adamModel();
    await stopped.fit(X, Y, { epochs: 10, batchSize: 5, callbacks: [stopper(), checkpointEvery(path)] });
    expect(readCheckpoint(path).state.fit?.stopTraining).toBe(true);
    const resumed = adamModel();
    const again = await resumed.fit(X, Y, { epochs: 10, batchSize: 5, resumeFrom: path, callbacks: [stopper(), checkpointEvery(path)] });
    expect(again.epoch).toEqual([]);
    expect(bits(resumed.getWeights())).toEqual(bits(straightRun.getWeights()));
    expect(bits(resumed.getWeights())).not.toEqual(bits(readCheckpoint(path).file.weights.map((w) => w.values)));
  });
});

describe('refusals', () => {
  it('a checkpoint of other shapes, another optimizer or another run: E_CONFIG saying what differs', async () => {
    const dir = testTempDir('oxnet-resume-');
    const path = dir.file('a.oxnet');
    const a = adamModel();
    await a.fit(X, Y, { epochs: 2, batchSize: 5, callbacks: [checkpointEvery(path)] });
    const refused = (m: Model, f: () => unknown, re: RegExp) => {
      const before = bits(m.getWeights());
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(OxnetError);
      expect((err as OxnetError).code).toBe('E_CONFIG');
      expect((err as Error).message).toMatch(re);
      expect(bits(m.getWeights())).toEqual(before); // left as it was
    };
    const wide = adamModel(7);
    refused(wide, () => wide.restore(path), /weight 0 is dense_1\/kernel \[3,6\] in the checkpoint, dense_1\/kernel \[3,7\] in the model/);
    const sgd = adamModel(6, { kind: 'sgd', lr: 0.05, momentum: 0.9 });
    refused(sgd, () => sgd.restore(path), /optimizer \{.*"kind":"adam".*\} in the checkpoint, \{.*"kind":"sgd".*\} in the model/);
    const other = adamModel();
    const untouched = bits(other.getWeights());
    await expect(other.fit(X, Y, { epochs: 4, batchSize: 4, resumeFrom: path, callbacks: [checkpointEvery(path)] })).rejects.toThrow(
      /batchSize 5, this fit has 4/,
    );
    expect(bits(other.getWeights())).toEqual(untouched); // refused before the checkpoint was put in
    await expect(adamModel().fit(X, Y, { epochs: 4, batchSize: 5, resumeFrom: path })).rejects.toThrow(
      /states of callbacks \[0\], this fit's callbacks with state are \[\]/,
    );
    await expect(adamModel().fit(X, Y, { epochs: 4, batchSize: 5, seed: 3, resumeFrom: path, callbacks: [checkpointEvery(path)] })).rejects.toThrow(
      /seed 3: the checkpoint's run had seed 4/,
    );
    await expect(adamModel().fit(X, Y, { epochs: 1, batchSize: 5, resumeFrom: path, callbacks: [checkpointEvery(path)] })).rejects.toThrow(
      /epochs 1 is below initialEpoch 2/,
    );
  });

  it('a truncated, damaged or plain model file: E_FORMAT', async () => {
    const dir = testTempDir('oxnet-resume-');
    const a = adamModel();
    await a.fit(X, Y, { epochs: 1, batchSize: 5 });
    saveCheckpoint(a, dir.file('a.oxnet'));
    const bytes = readFileSync(dir.file('a.oxnet'));
    writeFileSync(dir.file('short.oxnet'), bytes.subarray(0, bytes.length - 9));
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3] ^= 0x40;
    writeFileSync(dir.file('flipped.oxnet'), flipped);
    saveModel(a, dir.file('model.oxnet'));
    const cases: [string, RegExp][] = [
      ['short.oxnet', /truncated/],
      ['flipped.oxnet', /checksum mismatch/],
      ['model.oxnet', /model file without training state/],
    ];
    for (const [name, re] of cases) {
      expect(() => readCheckpoint(dir.file(name))).toThrow(re);
      await expect(adamModel().fit(X, Y, { epochs: 3, resumeFrom: dir.file(name) })).rejects.toMatchObject({ code: 'E_FORMAT' });
    }
  });
});
