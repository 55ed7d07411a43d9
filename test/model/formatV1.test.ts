// Model files written by the chain-only version (format 1, test/fixtures/README.md) still load:
// the same topology, weights, batch-norm state, normalizer and compile settings, and the
// predictions that version made. Saving again writes format 2, which loads to the same model.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getBackend, loadModel, modelFromBytes, modelToBytes, Sequential, setBackend } from '../../src/index';
import { FORMAT_VERSION } from '../../src/io/format';
import { backendNames, closeness } from '../helpers/backends';

const fixtures = join(__dirname, '..', 'fixtures');
const probe = JSON.parse(readFileSync(join(fixtures, 'v1-predictions.json'), 'utf8'));

describe.each(backendNames())('format version 1 files (%s backend)', (backend) => {
  it.each([
    ['v1-mlp.oxnet', 'mlpX', 'mlpY', 3],
    ['v1-cnn.oxnet', 'cnnX', 'cnnY', 72],
  ])('%s loads and predicts what the old version predicted', (file, xKey, yKey, width) => {
    const bytes = readFileSync(join(fixtures, file));
    expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true)).toBe(1);
    const previous = getBackend();
    setBackend(backend);
    try {
      const m = loadModel(join(fixtures, file));
      expect(m).toBeInstanceOf(Sequential);
      expect(m.isCompiled).toBe(true);
      const x = Float32Array.from(probe[xKey]);
      expect(x.length % width).toBe(0);
      const y = m.predict(x) as Float32Array;
      // The old version's native float32 results; js agrees to float32 rounding.
      expect(closeness(y, Float32Array.from(probe[yKey]), 1e-5, 1e-4)).toBeNull();
      const again = modelToBytes(m);
      expect(new DataView(again.buffer, again.byteOffset).getUint32(4, true)).toBe(FORMAT_VERSION);
      const back = modelFromBytes(again);
      expect(back.predict(x)).toEqual(y);
      expect(back.getState()).toEqual(m.getState());
      expect(back.getNormalizer()?.toJSON()).toEqual(m.getNormalizer()?.toJSON());
    } finally {
      setBackend(previous);
    }
  });

  it('the CNN keeps its channelsFirst input, batch-norm running statistics and sigmoid beta', () => {
    const m = loadModel(join(fixtures, 'v1-cnn.oxnet'));
    expect(m.inputShape).toEqual([2, 6, 6]);
    expect(m.stateInfo().map((s) => s.name)).toEqual(['batchNormalization_1/runningMean', 'batchNormalization_1/runningVar']);
    expect(m.getState()[1].some((v) => v !== 1)).toBe(true); // trained, not the initial variance
    expect((m.layers.at(-1)!.config as { activation: { beta?: number } }).activation.beta).toBe(2);
  });
});
