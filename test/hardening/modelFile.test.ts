// Model files lose nothing and crash nothing (issue 7): a valid file mutated 300+ ways
// (truncations, bit flips, length fields, header JSON edits resealed with a correct checksum)
// is either refused with E_FORMAT or loads to exactly the original weights.
import { describe, expect, it } from 'vitest';
import { Sequential, adam, layers } from '../../src/index';
import { zscore } from '../../src/data/normalize';
import { OxnetError } from '../../src/errors';
import { crc32 } from '../../src/io/crc32';
import { PREAMBLE_BYTES } from '../../src/io/format';
import { modelFromBytes, modelToBytes } from '../../src/io/save';

function model(): Sequential {
  const m = new Sequential({ seed: 5, backend: 'js' });
  m.add(layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [4, 4, 1] }));
  m.add(layers.batchNormalization({}));
  m.add(layers.flatten());
  m.add(layers.dense({ units: 3, activation: 'softmax' }));
  m.compile({ loss: 'categoricalCrossentropy', optimizer: adam({ lr: 0.01 }) });
  m.setNormalizer(
    zscore().fit(
      new Float32Array(32).map((_, i) => Math.cos(i)),
      2,
      16,
    ),
  );
  return m;
}

const original = model();
const good = modelToBytes(original);
const headerLength = new DataView(good.buffer).getUint32(8, true);
const header = JSON.parse(new TextDecoder().decode(good.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength)));
const payload = good.subarray(PREAMBLE_BYTES + headerLength);

/** A file with this header (any JSON) and payload, lengths and CRC all consistent. */
function sealed(h: unknown, body: Uint8Array = payload): Uint8Array {
  const hb = new TextEncoder().encode(typeof h === 'string' ? h : JSON.stringify(h));
  const out = new Uint8Array(PREAMBLE_BYTES + hb.length + body.length);
  out.set(good.subarray(0, PREAMBLE_BYTES));
  const v = new DataView(out.buffer);
  v.setUint32(8, hb.length, true);
  v.setUint32(12, crc32(body, crc32(hb)), true);
  v.setBigUint64(16, BigInt(body.length), true);
  out.set(hb, PREAMBLE_BYTES);
  out.set(body, PREAMBLE_BYTES + hb.length);
  return out;
}

const edit = (f: (h: any) => void) => {
  const h = structuredClone(header);
  f(h);
  return sealed(h);
};

function mutations(): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  // Truncations: every preamble byte, then spread over header and payload.
  for (let n = 0; n < good.length; n += n < PREAMBLE_BYTES ? 1 : Math.max(1, Math.floor(good.length / 40))) out.push([`truncated to ${n}`, good.slice(0, n)]);
  out.push(['one byte short', good.slice(0, -1)]);
  out.push(['one byte extra', new Uint8Array([...good, 0])]);
  // Bit flips: one bit at 120 positions spread over the file.
  for (let k = 0; k < 120; k++) {
    const pos = Math.floor((k * good.length) / 120);
    const b = good.slice();
    b[pos] ^= 1 << (k % 8);
    out.push([`bit ${k % 8} of byte ${pos} flipped`, b]);
  }
  // Length fields and the version, with everything else intact.
  const field = (name: string, set: (v: DataView) => void) => {
    const b = good.slice();
    set(new DataView(b.buffer));
    out.push([name, b]);
  };
  for (const v of [0, 2, 0xffffffff]) field(`version ${v}`, (d) => d.setUint32(4, v, true));
  for (const v of [0, 1, headerLength - 1, headerLength + 1, 2 ** 24, 2 ** 32 - 1]) field(`header length ${v}`, (d) => d.setUint32(8, v, true));
  for (const v of [0n, 1n, BigInt(payload.length - 4), BigInt(payload.length + 4), 2n ** 53n, 2n ** 64n - 1n])
    field(`payload length ${v}`, (d) => d.setBigUint64(16, v, true));
  // Header JSON edits, resealed so the checksum passes and the deeper checks must catch them.
  const w = header.weights.length;
  for (let i = 0; i < w; i++) {
    for (const shape of [[], [0], [2 ** 31], [2 ** 31, 2 ** 31], [-1], [1.5], 'x', null])
      out.push([`weights[${i}].shape ${JSON.stringify(shape)}`, edit((h) => (h.weights[i].shape = shape))]);
    for (const dtype of ['float64', 'int8', undefined]) out.push([`weights[${i}].dtype ${dtype}`, edit((h) => (h.weights[i].dtype = dtype))]);
    for (const offset of [-4, 1, 2 ** 40, payload.length, 1.5, '0']) out.push([`weights[${i}].offset ${offset}`, edit((h) => (h.weights[i].offset = offset))]);
    out.push([`weights[${i}] name duplicated`, edit((h) => (h.weights[i].name = h.weights[(i + 1) % w].name))]);
    out.push([`weights[${i}] renamed`, edit((h) => (h.weights[i].name = 'other'))]);
    out.push([`weights[${i}] removed`, edit((h) => h.weights.splice(i, 1))]);
    out.push([`weights[${i}] and [${(i + 1) % w}] swapped`, edit((h) => ([h.weights[i], h.weights[(i + 1) % w]] = [h.weights[(i + 1) % w], h.weights[i]]))]);
  }
  out.push(['state emptied', edit((h) => (h.state = []))]);
  out.push(['state[0] dtype', edit((h) => (h.state[0].dtype = 'float16'))]);
  out.push(['extra weight entry', edit((h) => h.weights.push({ ...h.weights[0], name: 'extra' }))]);
  for (let i = 0; i < header.layers.length; i++) {
    out.push([`layers[${i}] unknown type`, edit((h) => (h.layers[i].type = 'lstm'))]);
    out.push([`layers[${i}] no config`, edit((h) => delete h.layers[i].config)]);
    out.push([`layers[${i}] null`, edit((h) => (h.layers[i] = null))]);
    for (const key of Object.keys(header.layers[i].config)) {
      for (const value of [-1, 0, 1e9, 'x', null, [1e5, 1e5]])
        out.push([`layers[${i}].config.${key} = ${JSON.stringify(value)}`, edit((h) => (h.layers[i].config[key] = value))]);
    }
  }
  out.push(['layers removed', edit((h) => h.layers.pop())]);
  out.push(['units 1e8 (would allocate 1.6e9 floats)', edit((h) => (h.layers[3].config.units = 1e8))]);
  for (const s of [-1, 1.5, 2 ** 33, 'x', null]) out.push([`seed ${s}`, edit((h) => (h.seed = s))]);
  for (const s of [[4, 4, 2], [16], [], 'x']) out.push([`inputShape ${JSON.stringify(s)}`, edit((h) => (h.inputShape = s))]);
  for (const f of ['other', undefined]) out.push([`format ${f}`, edit((h) => (h.format = f))]);
  for (const l of ['bogus', 5]) out.push([`compile.loss ${l}`, edit((h) => (h.compile.loss = l))]);
  out.push(['compile.optimizer.lr NaN-ish', edit((h) => (h.compile.optimizer.lr = -1))]);
  out.push(['normalizer junk', edit((h) => (h.normalizer = { kind: 'zscore', mean: 'x' }))]);
  out.push(['normalizer wrong width', edit((h) => (h.normalizer.mean = [1, 2]))]);
  out.push(['header not JSON', sealed('{"format": "oxnet-model", ')]);
  out.push(['header a JSON array', sealed('[1,2,3]')]);
  out.push(['header invalid UTF-8', sealed(new TextDecoder('latin1').decode(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))]);
  out.push(['payload one float short', sealed(header, payload.subarray(0, payload.length - 4))]);
  // Benign: whitespace in the JSON and a different (valid) seed must still load the same weights.
  out.push(['header re-indented (benign)', sealed(JSON.stringify(header, null, 2))]);
  out.push(['seed changed (benign)', edit((h) => (h.seed = 6))]);
  return out;
}

describe('mutated model files', () => {
  const cases = mutations();

  it('has at least 200 distinct mutations', () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
  });

  it('each is refused with E_FORMAT or loads to the original weights', () => {
    const weights = original.getWeights();
    const state = original.getState();
    let refused = 0;
    let loaded = 0;
    const wrong: string[] = [];
    for (const [name, bytes] of cases) {
      try {
        const m = modelFromBytes(bytes, name);
        if (
          JSON.stringify(m.getWeights().map((a) => Array.from(a))) !== JSON.stringify(weights.map((a) => Array.from(a))) ||
          JSON.stringify(m.getState().map((a) => Array.from(a))) !== JSON.stringify(state.map((a) => Array.from(a)))
        ) {
          wrong.push(`${name}: loaded different weights`);
        }
        loaded++;
        if (process.env.SHOW_LOADED) console.log('loaded:', name);
        if (process.env.SHOW_LOADED) console.error('predicting', name);
        // A file that loads must also run (or refuse with a typed error), e.g. dilationRate 1e9.
        try {
          m.predict(new Float32Array(16).fill(0.5));
        } catch (e) {
          if (!(e instanceof OxnetError)) wrong.push(`${name}: predict threw ${(e as Error).name} ${(e as Error).message}`);
        }
      } catch (e) {
        if (!(e instanceof OxnetError) || e.code !== 'E_FORMAT') wrong.push(`${name}: ${(e as Error).name} ${(e as OxnetError).code} ${(e as Error).message}`);
        else refused++;
      }
    }
    expect(wrong).toEqual([]);
    // What loads: the two benign edits, and config edits that do not change any weight shape
    // (a null name or initializer falls back to the default, momentum 0, epsilon 1e9,
    // dilationRate under 'same' padding); everything touching sizes or bytes is refused.
    expect(loaded).toBeGreaterThanOrEqual(2);
    expect(loaded).toBeLessThan(40);
    expect(refused).toBeGreaterThan(cases.length - 40);
  });
});
