// Callbacks driven by hand with a stand-in model: the sequences of logs below are made up so that
// each rule's expected reaction can be read off directly.
import { describe, expect, it } from 'vitest';
import type { Callback, EpochLogs } from '../../src/model/callbacks';
import { stepDecay } from '../../src/schedules';
import { earlyStopping, learningRateScheduler, modelCheckpoint, progressLogger, reduceLROnPlateau } from '../../src/training/callbacks';

class FakeModel {
  stopTraining = false;
  step = 0;
  learningRate = 0.1;
  weights = [new Float32Array([0])];
  getWeights() {
    return this.weights.map((w) => w.slice());
  }
  setWeights(w: Float32Array[]) {
    this.weights = w.map((a) => a.slice());
  }
  save(_path: string) {}
  saveCheckpoint(_path: string) {}
}

/** Runs epochs like fit does: the weight becomes the epoch number, then the epoch's logs are reported. */
async function run(model: FakeModel, cb: Callback, valLosses: number[]): Promise<number> {
  model.stopTraining = false;
  await cb.onTrainBegin?.(model);
  let epoch = 0;
  for (; epoch < valLosses.length && !model.stopTraining; epoch++) {
    await cb.onEpochBegin?.(epoch, model);
    model.weights[0][0] = epoch;
    const logs: EpochLogs = { loss: 1, valLoss: valLosses[epoch], valAcc: 1 - valLosses[epoch], lr: model.learningRate };
    await cb.onEpochEnd?.(epoch, logs, model);
    await cb.afterEpochEnd?.(epoch, logs, model);
  }
  await cb.onTrainEnd?.({ epochs: epoch }, model);
  return epoch;
}

describe('earlyStopping', () => {
  it('stops after `patience` epochs without improvement and restores the best weights', async () => {
    const model = new FakeModel();
    const cb = earlyStopping({ patience: 2, restoreBestWeights: true });
    // best at epoch 1 (0.5); epochs 2 and 3 do not improve -> stop after epoch 3
    const ran = await run(model, cb, [0.9, 0.5, 0.6, 0.55, 0.1]);
    expect(ran).toBe(4);
    expect(cb.bestEpoch).toBe(1);
    expect(cb.stoppedEpoch).toBe(3);
    expect(model.weights[0][0]).toBe(1);
  });

  it('keeps the last weights without restoreBestWeights, and respects minDelta', async () => {
    const model = new FakeModel();
    const cb = earlyStopping({ patience: 1, minDelta: 0.05 });
    // 0.48 is better than 0.5 by less than minDelta: no improvement -> stop at epoch 2
    expect(await run(model, cb, [1, 0.5, 0.48, 0.1])).toBe(3);
    expect(model.weights[0][0]).toBe(2);
  });

  it('can monitor accuracy (higher is better) and refuses a quantity fit does not log', async () => {
    const model = new FakeModel();
    const cb = earlyStopping({ monitor: 'valAcc', patience: 1 });
    // valAcc = 1 - valLoss: 0.1, 0.5, 0.4 -> stops at epoch 2
    expect(await run(model, cb, [0.9, 0.5, 0.6, 0.2])).toBe(3);
    await expect(run(model, earlyStopping({ monitor: 'acc' }), [1])).rejects.toThrow(/monitors 'acc'/);
  });
});

describe('learning rate callbacks', () => {
  it('scheduler sets the rate from the schedule before each epoch', async () => {
    const model = new FakeModel();
    const seen: number[] = [];
    const schedule = stepDecay({ initial: 0.2, factor: 0.5, every: 2 });
    const sched = learningRateScheduler(schedule);
    const spy: Callback = { onEpochEnd: (_e, logs) => void seen.push(logs.lr) };
    await run(model, { onEpochBegin: (e, m) => sched.onEpochBegin?.(e, m), onEpochEnd: spy.onEpochEnd }, [1, 1, 1, 1, 1]);
    expect(seen).toEqual([0.2, 0.2, 0.1, 0.1, 0.05]);
  });

  it('reduceLROnPlateau multiplies by factor after `patience` flat epochs, with cooldown and floor', async () => {
    const model = new FakeModel();
    const lrs: number[] = [];
    const cb = reduceLROnPlateau({ factor: 0.5, patience: 2, cooldown: 1, minLr: 0.02 });
    const record: Callback = {
      ...cb,
      onEpochEnd: async (e, logs) => {
        await cb.onEpochEnd?.(e, logs, model);
        lrs.push(model.learningRate);
      },
    };
    // Keras's rule traced by hand: improves at epoch 0 only; waits 1, 2 -> halve at epoch 2; epoch 3
    // ends the cooldown and counts 1; epoch 4 counts 2 -> halve; epoch 6 -> 0.0125, floored to 0.02
    await run(model, record, [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    expect(lrs).toEqual([0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]);
  });
});

describe('modelCheckpoint and progressLogger', () => {
  it('saves at each improvement only, naming the epoch', async () => {
    const model = new FakeModel();
    const writes: string[] = [];
    const cb = modelCheckpoint({ path: 'm-{epoch}.oxnet', save: (p) => void writes.push(p) });
    await run(model, cb, [0.9, 0.5, 0.7, 0.4]);
    expect(writes).toEqual(['m-0.oxnet', 'm-1.oxnet', 'm-3.oxnet']);
    expect(cb.saved).toEqual(writes);
  });

  it('every: a save point every n epochs, each saved or (saveBest) only when the monitor improved', async () => {
    const writes: string[] = [];
    const save = (p: string) => void writes.push(p);
    await run(new FakeModel(), modelCheckpoint({ path: 'a-{epoch}', every: 2, saveBest: false, save }), [0.9, 0.5, 0.7, 0.4, 0.45]);
    expect(writes).toEqual(['a-1', 'a-3']);
    writes.length = 0;
    await run(new FakeModel(), modelCheckpoint({ path: 'b-{epoch}', every: 2, save }), [0.9, 0.5, 0.3, 0.6, 0.2, 0.1]);
    expect(writes).toEqual(['b-1', 'b-5']); // epoch 3's 0.6 is no better than epoch 1's 0.5
    expect(() => modelCheckpoint({ path: 'c', every: 0 })).toThrow(/every must be/);
  });

  it('writes one line per epoch', async () => {
    const lines: string[] = [];
    await run(new FakeModel(), progressLogger({ epochs: 2, write: (l) => lines.push(l) }), [0.5, 0.25]);
    expect(lines).toEqual(['epoch 1/2 loss 1 valLoss 0.5000 valAcc 0.5000 lr 0.100', 'epoch 2/2 loss 1 valLoss 0.2500 valAcc 0.7500 lr 0.100']);
  });
});

describe('callbacks take options only (the model reaches them through the hooks)', () => {
  const model = new FakeModel();
  const refusals: [string, () => unknown, RegExp][] = [
    ['earlyStopping(model, opts)', () => (earlyStopping as (...a: unknown[]) => unknown)(model, { patience: 2 }), /earlyStopping takes an options object only/],
    ['earlyStopping(model)', () => (earlyStopping as (...a: unknown[]) => unknown)(model), /got a model/],
    ['earlyStopping(5)', () => (earlyStopping as (...a: unknown[]) => unknown)(5), /got number 5/],
    ['earlyStopping({ patiense })', () => (earlyStopping as (...a: unknown[]) => unknown)({ patiense: 3 }), /unknown option 'patiense'/],
    ['earlyStopping({ patience: -1 })', () => earlyStopping({ patience: -1 }), /patience must be an integer >= 0/],
    [
      'reduceLROnPlateau(model, opts)',
      () => (reduceLROnPlateau as (...a: unknown[]) => unknown)(model, { factor: 0.5 }),
      /reduceLROnPlateau takes an options object only/,
    ],
    ['reduceLROnPlateau({ factor: 2 })', () => reduceLROnPlateau({ factor: 2 }), /factor must be in \(0, 1\)/],
    [
      'learningRateScheduler(model, schedule)',
      () => (learningRateScheduler as (...a: unknown[]) => unknown)(model, () => 0.1),
      /learningRateScheduler takes a schedule/,
    ],
    ['learningRateScheduler(schedule, extra)', () => (learningRateScheduler as (...a: unknown[]) => unknown)(() => 0.1, model), /takes a schedule only/],
    [
      "modelCheckpoint('path', opts)",
      () => (modelCheckpoint as (...a: unknown[]) => unknown)('best.oxnet', {}),
      /modelCheckpoint takes an options object only/,
    ],
    ['modelCheckpoint({})', () => (modelCheckpoint as (...a: unknown[]) => unknown)({}), /path must be a non-empty string/],
  ];
  it.each(refusals)('%s is refused with E_ARG', (_label, call, message) => {
    let err: unknown;
    try {
      call();
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string })?.code).toBe('E_ARG');
    expect((err as Error).message).toMatch(message);
  });

  it('one callback object steers whichever model fit hands it', async () => {
    const cb = earlyStopping({ patience: 1, restoreBestWeights: true });
    const a = new FakeModel();
    const b = new FakeModel();
    expect(await run(a, cb, [0.5, 0.9, 0.1])).toBe(2);
    expect(a.weights[0][0]).toBe(0);
    expect(await run(b, cb, [0.9, 0.5, 0.6, 0.1])).toBe(3);
    expect(b.weights[0][0]).toBe(1);
  });
});
