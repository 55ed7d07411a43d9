// Nothing is left behind (issue 18): saves and checkpoints leave only the files they were asked
// to write, on success and on failure (no .tmp- files), and the folders tests make for them are
// gone from the system temp directory when the test ends.
import { mkdirSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OxnetError, Sequential, layers, loadModel, modelCheckpoint, saveModel } from '../../src/index';
import { tempEntries, testTempDir } from '../helpers/temp';

// Unique to this run, so that other test files making temp folders at the same time do not count.
const PREFIX = `oxnet-clean-${process.pid}-`;

function tiny(): Sequential {
  const m = new Sequential({ seed: 3, backend: 'js' });
  m.add(layers.dense({ units: 4, inputShape: [2], activation: 'tanh' }));
  m.add(layers.dense({ units: 1 }));
  m.compile({ loss: 'mse', optimizer: 'sgd' });
  return m;
}

const x = new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]);
const y = new Float32Array([0, 1, 1, 0]);

describe('temp files and folders', () => {
  it('a save and a checkpointing fit leave only their own files', async () => {
    const dir = testTempDir(PREFIX);
    const m = tiny();
    saveModel(m, dir.file('m.oxnet'));
    m.save(dir.file('m2.oxnet'));
    const ckpt = modelCheckpoint({ path: dir.file('ckpt-{epoch}.oxnet'), monitor: 'loss', saveBest: false });
    await m.fit(x, y, { epochs: 2, batchSize: 4, callbacks: [ckpt] });
    expect(readdirSync(dir.path).sort()).toEqual(['ckpt-0.oxnet', 'ckpt-1.oxnet', 'm.oxnet', 'm2.oxnet']);
    expect(loadModel(dir.file('ckpt-1.oxnet')).getWeights()).toEqual(m.getWeights());
  });

  it('a save that fails (the target is a folder) removes its temp file', () => {
    const dir = testTempDir(PREFIX);
    mkdirSync(dir.file('taken.oxnet'));
    let err: unknown;
    try {
      saveModel(tiny(), dir.file('taken.oxnet'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OxnetError);
    expect((err as OxnetError).code).toBe('E_IO');
    expect(readdirSync(dir.path)).toEqual(['taken.oxnet']);
  });

  it('a checkpoint whose save fails rejects the fit with E_IO and leaves no temp file', async () => {
    const dir = testTempDir(PREFIX);
    mkdirSync(dir.file('best.oxnet'));
    const ckpt = modelCheckpoint({ path: dir.file('best.oxnet'), monitor: 'loss' });
    await expect(tiny().fit(x, y, { epochs: 1, batchSize: 4, callbacks: [ckpt] })).rejects.toMatchObject({ code: 'E_IO' });
    expect(readdirSync(dir.path)).toEqual(['best.oxnet']);
  });

  it('the folders of the tests above are gone from the system temp directory', () => {
    expect(tempEntries([PREFIX])).toEqual([]);
  });
});
