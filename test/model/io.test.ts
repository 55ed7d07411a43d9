// Save/load: a round trip keeps predictions, weights, batch-norm state and the normalizer bit for
// bit; every kind of damaged file is refused with E_FORMAT.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sequential, adam, layers, loadModel, saveModel } from '../../src/index';
import { zscore } from '../../src/data/normalize';
import { crc32 } from '../../src/io/crc32';
import { FORMAT_VERSION, PREAMBLE_BYTES } from '../../src/io/format';
import { modelFromBytes, modelToBytes } from '../../src/model/files';
import { tempDir } from '../helpers/temp';

const dir = tempDir('oxnet-io-').path;

function smallCnn(): Sequential {
  const model = new Sequential({ seed: 11 });
  model.add(layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 6, 1] }));
  model.add(layers.batchNormalization({}));
  model.add(layers.maxPooling2d({ poolSize: 2 }));
  model.add(layers.flatten());
  model.add(layers.dropout({ rate: 0.25 }));
  model.add(layers.dense({ units: 3, activation: 'softmax', name: 'out' }));
  model.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
  return model;
}

function data(n: number) {
  const x = new Float32Array(n * 36).map((_, i) => Math.sin(i * 0.37));
  const y = new Float32Array(n * 3).map((_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0));
  return { x, y };
}

/** A valid file's bytes with the CRC recomputed after `edit` changed the header or payload. */
function resealed(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const headerLength = view.getUint32(8, true);
  const header = out.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength);
  view.setUint32(12, crc32(out.subarray(PREAMBLE_BYTES + headerLength), crc32(header)), true);
  return out;
}

/** Replaces the header JSON (keeping the payload) and fixes lengths and CRC. */
function withHeader(bytes: Uint8Array, edit: (h: Record<string, any>) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const headerLength = view.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
  edit(header);
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const payload = bytes.subarray(PREAMBLE_BYTES + headerLength);
  const out = new Uint8Array(PREAMBLE_BYTES + hb.length + payload.length);
  out.set(bytes.subarray(0, PREAMBLE_BYTES));
  new DataView(out.buffer).setUint32(8, hb.length, true);
  out.set(hb, PREAMBLE_BYTES);
  out.set(payload, PREAMBLE_BYTES + hb.length);
  return resealed(out);
}

function refused(bytes: Uint8Array, pattern: RegExp): void {
  let err: any;
  try {
    modelFromBytes(bytes, 'test.oxnet');
  } catch (e) {
    err = e;
  }
  expect(err?.code).toBe('E_FORMAT');
  expect(err?.message).toMatch(pattern);
}

describe('save/load', () => {
  it('round trip: same predictions, weights, batch-norm state, normalizer, compile settings', async () => {
    const model = smallCnn();
    const { x, y } = data(12);
    await model.fit(x, y, { epochs: 2, batchSize: 4 });
    model.setNormalizer(zscore().fit(x, 12, 36));
    const path = join(dir, 'cnn.oxnet');
    saveModel(model, path);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]); // temp file renamed away
    const loaded = loadModel(path);
    expect(loaded.summary()).toBe(model.summary());
    expect(loaded.getWeights()).toEqual(model.getWeights());
    expect(loaded.getState()).toEqual(model.getState());
    expect(loaded.getState()[0].some((v) => v !== 0)).toBe(true); // running mean moved during fit
    expect(loaded.predict(x)).toEqual(model.predict(x));
    expect(loaded.getNormalizer()?.toJSON()).toEqual(model.getNormalizer()?.toJSON());
    expect(loaded.compileConfig).toEqual(model.compileConfig);
    expect(loaded.evaluate(x, y).loss).toBeCloseTo(model.evaluate(x, y).loss, 6);
  });

  it('an uncompiled loaded model predicts', () => {
    const model = new Sequential({ seed: 2 });
    model.add(layers.dense({ units: 2, activation: 'tanh', inputDim: 3 }));
    const loaded = modelFromBytes(modelToBytes(model));
    expect(loaded.isCompiled).toBe(false);
    expect(loaded.predict([[1, 2, 3]])).toEqual(model.predict([[1, 2, 3]]));
  });

  describe('refuses damaged files with E_FORMAT', () => {
    const good = modelToBytes(smallCnn());
    it('truncated (inside the preamble and inside the payload)', () => {
      refused(good.subarray(0, 10), /truncated/);
      refused(good.subarray(0, good.length - 4), /truncated/);
    });
    it('oversized (bytes after the payload)', () => refused(new Uint8Array([...good, 0, 0, 0, 0]), /unexpected bytes/));
    it('wrong magic', () => {
      const b = good.slice();
      b[0] = 0x50; // 'P'
      refused(b, /magic/);
    });
    it('wrong version', () => {
      const b = good.slice();
      new DataView(b.buffer).setUint32(4, FORMAT_VERSION + 1, true);
      refused(b, /version/);
    });
    it('bad checksum (one payload bit flipped)', () => {
      const b = good.slice();
      b[b.length - 1] ^= 1;
      refused(b, /checksum/);
    });
    it('huge declared header or payload length: refused before allocating', () => {
      const b = good.slice();
      new DataView(b.buffer).setUint32(8, 0xffffffff, true);
      refused(b, /header length/);
      const c = good.slice();
      new DataView(c.buffer).setBigUint64(16, 2n ** 60n, true);
      refused(c, /truncated/);
    });
    it('wrong dtype', () =>
      refused(
        withHeader(good, (h) => (h.weights[0].dtype = 'float64')),
        /dtype/,
      ));
    it('mismatched shape', () =>
      refused(
        withHeader(good, (h) => (h.weights[0].shape = [3, 3, 1, 3])),
        /expects|outside/,
      ));
    it('duplicate names', () =>
      refused(
        withHeader(good, (h) => (h.weights[1].name = h.weights[0].name)),
        /duplicate/,
      ));
    it('unknown layer type (nothing that names code is ever run)', () =>
      refused(
        withHeader(good, (h) => (h.graph.layers[0].type = 'eval')),
        /unknown layer type/,
      ));
    it('a tensor outside the payload', () =>
      refused(
        withHeader(good, (h) => (h.weights[0].offset = 1e9)),
        /outside/,
      ));
    it('not a file of ours at all', () => {
      const path = join(dir, 'junk.oxnet');
      writeFileSync(path, 'hello world, this is not a model file');
      expect(() => loadModel(path)).toThrowError(expect.objectContaining({ code: 'E_FORMAT' }));
      expect(() => loadModel(join(dir, 'missing.oxnet'))).toThrowError(expect.objectContaining({ code: 'E_IO' }));
    });
  });

  it('the file starts with the documented preamble', () => {
    const path = join(dir, 'small.oxnet');
    const model = new Sequential({ seed: 1, layers: [layers.dense({ units: 1, inputDim: 2 })] });
    model.save(path);
    const b = readFileSync(path);
    expect(b.subarray(0, 4).toString('latin1')).toBe('OXNT');
    expect(b.readUInt32LE(4)).toBe(FORMAT_VERSION);
    expect(FORMAT_VERSION).toBe(2);
    // payload: 2 + 1 float32 parameters
    expect(Number(b.readBigUInt64LE(16))).toBe(12);
    expect(b.length).toBe(PREAMBLE_BYTES + b.readUInt32LE(8) + 12);
  });
});
