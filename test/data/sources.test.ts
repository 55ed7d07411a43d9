// The streamed sources (raw, IDX, .npy, .npz, CSV) and the transforms every source has: values
// read back, malformed files refused with the file and byte offset, shuffle the same for a seed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeIdx } from '../../src/data/idx';
import { zscore } from '../../src/data/normalize';
import { csvSource, DataSource, fitNormalizer, fromIterable, idxSource, npySource, npzNames, npzSource, oneHot, rawSource, zip } from '../../src/data/sources';
import { OxnetError } from '../../src/errors';
import { testTempDir } from '../helpers/temp';

const fixtures = join(__dirname, '..', 'fixtures', 'stream');

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const rows = async (s: AsyncIterable<Float32Array>) => {
  const out: number[][] = [];
  for await (const r of s) out.push(Array.from(r));
  return out;
};

async function rejects(p: Promise<unknown>, code: string, ...parts: (string | RegExp)[]): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(OxnetError);
  expect((e as OxnetError).code).toBe(code);
  for (const part of parts) expect((e as Error).message).toMatch(part);
}

/** A .npy file as numpy writes it (version 1, header padded to 64 bytes). */
function npyBytes(descr: string, shape: number[], data: ArrayBufferView, fortran = false): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': ${fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

/** A zip archive of `entries` (method 0 stored, or 8 deflated). */
function zipBytes(entries: { name: string; data: Uint8Array; deflate?: boolean }[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const body = e.deflate ? deflateRawSync(e.data) : e.data;
    const local = new Uint8Array(30 + name.length + body.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, e.deflate ? 8 : 0, true);
    lv.setUint32(18, body.length, true);
    lv.setUint32(22, e.data.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    local.set(body, 30 + name.length);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, e.deflate ? 8 : 0, true);
    cv.setUint32(20, body.length, true);
    cv.setUint32(24, e.data.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const dirSize = centrals.reduce((a, c) => a + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, dirSize, true);
  ev.setUint32(16, offset, true);
  return Buffer.concat([...locals, ...centrals, end]);
}

describe('transforms', () => {
  const numbers = () => fromIterable(range(10));

  it('map, filter, take, skip, repeat keep order and count', async () => {
    expect(
      await numbers()
        .map((v) => v * 2)
        .toArray(),
    ).toEqual(range(10).map((v) => v * 2));
    expect(
      await numbers()
        .filter((v) => v % 3 === 0)
        .toArray(),
    ).toEqual([0, 3, 6, 9]);
    expect(await numbers().skip(7).toArray()).toEqual([7, 8, 9]);
    expect(await numbers().take(3).toArray()).toEqual([0, 1, 2]);
    expect(await numbers().skip(2).take(2).repeat(3).toArray()).toEqual([2, 3, 2, 3, 2, 3]);
    expect(await numbers().take(2).repeat().take(5).toArray()).toEqual([0, 1, 0, 1, 0]);
    expect(numbers().skip(2).take(2).repeat(3).size).toBe(6);
    expect(numbers().batch(4).size).toBe(3);
    expect(numbers().batch(4, { dropRemainder: true }).size).toBe(2);
  });

  it('batch lays numbers, Float32Arrays, arrays and objects end to end', async () => {
    const src = fromIterable(range(5).map((i) => ({ x: Float32Array.of(i, 10 + i), y: i, pair: [i, Float32Array.of(-i)] })));
    const batches = await src.batch(2).toArray();
    expect(batches.length).toBe(3);
    expect(Array.from(batches[0].x)).toEqual([0, 10, 1, 11]);
    expect(Array.from(batches[0].y)).toEqual([0, 1]);
    expect(Array.from(batches[1].pair[1])).toEqual([-2, -3]);
    expect(Array.from(batches[2].x)).toEqual([4, 14]);
    expect((await src.batch(2, { dropRemainder: true }).toArray()).length).toBe(2);
    const ragged = fromIterable([Float32Array.of(1, 2), Float32Array.of(3)]);
    await rejects(ragged.batch(2).toArray(), 'E_DATA', 'element 1 of the batch must be a Float32Array of 2 values');
  });

  it('shuffle(bufferSize, seed): a permutation, the same for a seed, new for each pass, another for another seed', async () => {
    const s = numbers().shuffle(4, 7);
    const a = await s.toArray();
    const b = await s.toArray(); // the second pass
    expect([...a].sort((p, q) => p - q)).toEqual(range(10));
    expect([...b].sort((p, q) => p - q)).toEqual(range(10));
    expect(b).not.toEqual(a);
    const again = numbers().shuffle(4, 7);
    expect(await again.toArray()).toEqual(a);
    expect(await again.toArray()).toEqual(b);
    expect(await numbers().shuffle(4, 8).toArray()).not.toEqual(a);
    // A buffer of the whole source is a full shuffle; a buffer of one keeps the order.
    expect(await numbers().shuffle(1, 7).toArray()).toEqual(range(10));
    const full = await fromIterable(range(100)).shuffle(100, 3).toArray();
    expect(full.slice(0, 10)).not.toEqual(range(10));
    // repeat opens the shuffle again: each repetition a new order.
    const twice = await numbers().shuffle(10, 1).repeat(2).toArray();
    expect(twice.slice(0, 10)).not.toEqual(twice.slice(10));
  });

  it('prefetch(n) reads ahead of the consumer, keeps the order and passes errors on at their element', async () => {
    let produced = 0;
    const src = new DataSource(async function* () {
      for (let i = 0; i < 6; i++) {
        produced = i + 1;
        yield i;
      }
    }).prefetch(3);
    const it = src[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ done: false, value: 0 });
    await new Promise((r) => setImmediate(r));
    expect(produced).toBe(4); // the one taken and three ahead
    const rest: number[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value);
    expect(rest).toEqual([1, 2, 3, 4, 5]);
    const failing = new DataSource(async function* () {
      yield 1;
      yield 2;
      throw new OxnetError('E_DATA', 'broken at 3');
    }).prefetch(4);
    const seen: number[] = [];
    await rejects(
      (async () => {
        for await (const v of failing) seen.push(v);
      })(),
      'E_DATA',
      'broken at 3',
    );
    expect(seen).toEqual([1, 2]);
  });

  it('zip pairs sources by name or position and ends with the shortest', async () => {
    const z = zip({
      a: numbers(),
      b: numbers()
        .map((v) => -v)
        .take(3),
    });
    expect(await z.toArray()).toEqual([
      { a: 0, b: -0 },
      { a: 1, b: -1 },
      { a: 2, b: -2 },
    ]);
    expect(z.size).toBe(3);
    expect(await zip([numbers().take(2), numbers().skip(5)]).toArray()).toEqual([
      [0, 5],
      [1, 6],
    ]);
    expect(Array.from(oneHot(2, 4))).toEqual([0, 0, 1, 0]);
    expect(() => oneHot(4, 4)).toThrow(/not an integer in \[0, 3\]/);
  });

  it('only a chain whose elements no caller code sees hands its batch arrays back for reuse', () => {
    const rows = fromIterable([Float32Array.of(1), Float32Array.of(2)]);
    expect(rows.owned).toBe(false);
    expect(rows.batch(2).owned).toBe(true);
    expect(rows.batch(2).shuffle(2, 1).prefetch(2).take(1).skip(0).repeat(2).owned).toBe(true);
    expect(rows.batch(2).map((b) => b).owned).toBe(false);
    expect(rows.batch(2).filter(() => true).owned).toBe(false);
  });

  it('fromIterable reads a generator function once per pass', async () => {
    const src = fromIterable(function* () {
      yield 1;
      yield 2;
    });
    expect(await src.toArray()).toEqual([1, 2]);
    expect(await src.toArray()).toEqual([1, 2]);
    expect(() => fromIterable(42 as never)).toThrow(/expected an iterable/);
  });
});

describe('raw files', () => {
  it('reads float32 rows by ranges across blocks, and uint8 rows scaled', async () => {
    const dir = testTempDir('oxnet-stream-');
    const values = Float32Array.from(range(30), (v) => v * 0.5);
    writeFileSync(dir.file('f.bin'), values);
    const src = await rawSource(dir.file('f.bin'), { shape: [3] });
    expect(src.count).toBe(10);
    expect(src.sampleShape).toEqual([3]);
    expect(await rows(src)).toEqual(range(10).map((r) => [r * 1.5, r * 1.5 + 0.5, r * 1.5 + 1]));
    writeFileSync(dir.file('u.bin'), Uint8Array.from([0, 51, 102, 255, 0, 0]));
    const u = await rawSource(dir.file('u.bin'), { shape: [2], dtype: 'uint8', scale: 1 / 255 });
    const got = await rows(u);
    expect(got.map((r) => r.map((v) => Math.round(v * 255)))).toEqual([
      [0, 51],
      [102, 255],
      [0, 0],
    ]);
    // Tiny blocks: every block boundary crossed.
    const { RowSource } = await import('../../src/data/sources/rowFile');
    const small = new RowSource(src.layout, 8);
    expect(await rows(small)).toEqual(await rows(src));
  });

  it('refuses a file that is not a whole number of rows, naming the file and the byte offset', async () => {
    const dir = testTempDir('oxnet-stream-');
    writeFileSync(dir.file('odd.bin'), new Uint8Array(4 * 7 + 2));
    await rejects(rawSource(dir.file('odd.bin'), { shape: [7] }), 'E_DATA', `'${dir.file('odd.bin')}' at byte 28`, '2 bytes left over after 1 rows');
    await rejects(rawSource(dir.file('none.bin'), { shape: [7] }), 'E_IO', 'none.bin');
    await rejects(rawSource(dir.file('odd.bin'), { shape: [0] }), 'E_ARG', 'shape[0]');
  });
});

describe('IDX files', () => {
  it('reads the samples of an IDX file with its shape', async () => {
    const dir = testTempDir('oxnet-stream-');
    writeFileSync(
      dir.file('images.idx'),
      encodeIdx(
        'ubyte',
        [3, 2, 2],
        range(12).map((v) => v * 20),
      ),
    );
    const src = await idxSource(dir.file('images.idx'), { scale: 1 / 4 });
    expect(src.count).toBe(3);
    expect(src.sampleShape).toEqual([2, 2]);
    expect(await rows(src)).toEqual([
      [0, 5, 10, 15],
      [20, 25, 30, 35],
      [40, 45, 50, 55],
    ]);
    writeFileSync(dir.file('f.idx'), encodeIdx('float', [2, 1], [1.5, -2.25]));
    expect(await rows(await idxSource(dir.file('f.idx')))).toEqual([[1.5], [-2.25]]);
  });

  it('refuses a wrong magic, an unknown type and a truncated file with the byte offset', async () => {
    const dir = testTempDir('oxnet-stream-');
    const good = encodeIdx('ubyte', [3, 4], range(12));
    writeFileSync(dir.file('magic.idx'), Uint8Array.from([1, ...good.subarray(1)]));
    await rejects(idxSource(dir.file('magic.idx')), 'E_DATA', `'${dir.file('magic.idx')}' at byte 0`, 'not an IDX file');
    writeFileSync(dir.file('type.idx'), Uint8Array.from([0, 0, 7, ...good.subarray(3)]));
    await rejects(idxSource(dir.file('type.idx')), 'E_DATA', 'at byte 2', 'unknown IDX type byte 0x7');
    writeFileSync(dir.file('short.idx'), good.subarray(0, good.length - 5));
    await rejects(idxSource(dir.file('short.idx')), 'E_DATA', 'at byte 16', 'truncated', 'after 1 whole rows');
    writeFileSync(dir.file('long.idx'), Uint8Array.from([...good, 9]));
    await rejects(idxSource(dir.file('long.idx')), 'E_DATA', `at byte ${good.length}`, '1 bytes after the last of the 3 rows');
  });

  it('a file cut short after it was opened fails where it ends', async () => {
    const dir = testTempDir('oxnet-stream-');
    writeFileSync(dir.file('cut.idx'), encodeIdx('ubyte', [4, 4], range(16)));
    const src = await idxSource(dir.file('cut.idx'));
    writeFileSync(dir.file('cut.idx'), encodeIdx('ubyte', [4, 4], range(16)).subarray(0, 20));
    await rejects(rows(src), 'E_DATA', 'at byte 20', 'truncated');
  });
});

describe('NumPy files', () => {
  it('reads .npy files numpy wrote (float32, int64 labels)', async () => {
    const x = await npySource(join(fixtures, 'x_f4.npy'));
    expect(x.count).toBe(3);
    expect(x.sampleShape).toEqual([2, 2]);
    expect(await rows(x)).toEqual(range(3).map((r) => range(4).map((c) => (r * 4 + c) / 4)));
    const labels = await npySource(join(fixtures, 'labels_i8.npy'));
    expect(await rows(labels)).toEqual([[2], [0], [1]]);
  });

  it('reads the stored arrays of an .npz numpy wrote, and refuses a compressed one', async () => {
    const file = join(fixtures, 'pair.npz');
    expect((await npzNames(file)).sort()).toEqual(['x', 'y']);
    expect(await rows(await npzSource(file, 'x'))).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(await rows(await npzSource(file, 'y'))).toEqual([[0.5], [1.5], [2.5]]);
    await rejects(npzSource(file, 'z'), 'E_DATA', "no array 'z'", "'x', 'y'");
    await rejects(npzSource(join(fixtures, 'compressed.npz'), 'x'), 'E_DATA', 'compressed.npz', 'at byte 0', 'np.savez_compressed');
  });

  it('reads big-endian and uint8 .npy files and archives written here', async () => {
    const dir = testTempDir('oxnet-stream-');
    const be = new DataView(new ArrayBuffer(16));
    [1.5, -2, 3.25, 4].forEach((v, i) => {
      be.setFloat32(4 * i, v, false);
    });
    writeFileSync(dir.file('be.npy'), npyBytes('>f4', [2, 2], be));
    expect(await rows(await npySource(dir.file('be.npy')))).toEqual([
      [1.5, -2],
      [3.25, 4],
    ]);
    writeFileSync(dir.file('u.npy'), npyBytes('|u1', [4], Uint8Array.of(0, 255, 10, 20)));
    expect(await rows(await npySource(dir.file('u.npy'), { scale: 0.5 }))).toEqual([[0], [127.5], [5], [10]]);
    const f8 = npyBytes('<f8', [2, 1], Float64Array.of(0.125, 8));
    writeFileSync(dir.file('a.npz'), zipBytes([{ name: 'a.npy', data: f8 }]));
    expect(await rows(await npzSource(dir.file('a.npz'), 'a'))).toEqual([[0.125], [8]]);
    writeFileSync(dir.file('d.npz'), zipBytes([{ name: 'a.npy', data: f8, deflate: true }]));
    await rejects(npzSource(dir.file('d.npz'), 'a'), 'E_DATA', 'zip method 8');
  });

  it('refuses a wrong magic, a truncated array, an unknown dtype and fortran order', async () => {
    const dir = testTempDir('oxnet-stream-');
    const good = npyBytes('<f4', [3, 2], new Float32Array(6));
    writeFileSync(dir.file('magic.npy'), Uint8Array.from([0x94, ...good.subarray(1)]));
    await rejects(npySource(dir.file('magic.npy')), 'E_DATA', `'${dir.file('magic.npy')}' at byte 0`, 'not a .npy file');
    writeFileSync(dir.file('short.npy'), good.subarray(0, good.length - 3));
    await rejects(npySource(dir.file('short.npy')), 'E_DATA', 'at byte 144', 'truncated', 'the file ends at byte 149 after 2 whole rows');
    writeFileSync(dir.file('c.npy'), npyBytes('<c8', [1], new Float32Array(2)));
    await rejects(npySource(dir.file('c.npy')), 'E_DATA', "dtype '<c8' is not supported");
    writeFileSync(dir.file('f.npy'), npyBytes('<f4', [2, 3], new Float32Array(6), true));
    await rejects(npySource(dir.file('f.npy')), 'E_DATA', 'fortran_order True');
    writeFileSync(dir.file('z.npz'), new Uint8Array(30));
    await rejects(npzSource(dir.file('z.npz'), 'x'), 'E_DATA', 'not a zip archive');
  });
});

describe('CSV streamed row by row', () => {
  const text = 'a,b,label\n1,10,cat\n2,20,dog\n3,30,cat\n4,40,bird\n';

  it('yields { x, y } per row with the classes of a first pass, every pass', async () => {
    const dir = testTempDir('oxnet-stream-');
    writeFileSync(dir.file('t.csv'), text);
    const src = await csvSource(dir.file('t.csv'), { task: 'classification', target: 'label' });
    expect(src.count).toBe(4);
    expect(src.classNames).toEqual(['bird', 'cat', 'dog']);
    expect(src.featureNames).toEqual(['a', 'b']);
    for (let pass = 0; pass < 2; pass++) {
      const got = await src.toArray();
      expect(got.map((r) => Array.from(r.x))).toEqual([
        [1, 10],
        [2, 20],
        [3, 30],
        [4, 40],
      ]);
      expect(got.map((r) => Array.from(r.y))).toEqual([
        [0, 1, 0],
        [0, 0, 1],
        [0, 1, 0],
        [1, 0, 0],
      ]);
    }
    const reg = await csvSource(dir.file('t.csv'), { task: 'regression', target: 'b', features: ['a'] });
    expect((await reg.toArray()).map((r) => [r.x[0], r.y[0]])).toEqual([
      [1, 10],
      [2, 20],
      [3, 30],
      [4, 40],
    ]);
  });

  it('names the file and line of a bad cell, an unknown class and a missing column', async () => {
    const dir = testTempDir('oxnet-stream-');
    writeFileSync(dir.file('bad.csv'), 'a,label\n1,x\nfoo,y\n');
    const src = await csvSource(dir.file('bad.csv'), { task: 'classification', target: 'label' });
    await rejects(src.toArray(), 'E_DATA', `'${dir.file('bad.csv')}' line 3, column 'a' has 'foo', not a number`);
    writeFileSync(dir.file('cls.csv'), 'a,label\n1,x\n2,y\n');
    const known = await csvSource(dir.file('cls.csv'), { task: 'classification', target: 'label', classes: ['x'] });
    await rejects(known.toArray(), 'E_DATA', "unknown class 'y'");
    await rejects(csvSource(dir.file('bad.csv'), { task: 'regression', target: 'nope' }), 'E_DATA', "no column named 'nope'");
    writeFileSync(dir.file('ragged.csv'), 'a,b\n1,2\n3\n');
    await rejects(csvSource(dir.file('ragged.csv'), { task: 'autoencoder' }), 'E_DATA', 'ragged.csv', /line 3/);
  });

  it('fitNormalizer over the training rows matches zscore().fit on the same rows', async () => {
    const dir = testTempDir('oxnet-stream-');
    const n = 50;
    const lines = ['u,v,t', ...range(n).map((i) => `${Math.sin(i) * 100 + 3},${(i * 37) % 11},${i % 2}`)];
    writeFileSync(dir.file('n.csv'), `${lines.join('\n')}\n`);
    const src = await csvSource(dir.file('n.csv'), { task: 'classification', target: 't' });
    const train = src.take(40);
    const streamed = await fitNormalizer(train, 'zscore');
    const all = await train.toArray();
    const x = new Float32Array(40 * 2);
    all.forEach((r, i) => {
      x.set(r.x, i * 2);
    });
    const ref = zscore().fit(x, 40, 2).toJSON() as { mean: number[]; std: number[] };
    const got = streamed.toJSON() as { mean: number[]; std: number[] };
    got.mean.forEach((m, j) => {
      expect(m).toBeCloseTo(ref.mean[j], 10);
    });
    got.std.forEach((s, j) => {
      expect(s).toBeCloseTo(ref.std[j], 10);
    });
    const mm = (await fitNormalizer(train.map((r) => r.x).batch(7), 'minmax', { columns: 2 })).toJSON() as { min: number[]; max: number[] };
    expect(mm.max[1]).toBe(Math.max(...all.map((r) => r.x[1])));
    expect(mm.min[0]).toBe(Math.min(...all.map((r) => r.x[0])));
  });
});
