import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { loadCsv, parseCsv } from '../../src/data/csv';
import { encodeIdx, loadIdxPair, readIdx } from '../../src/data/idx';
import { loadIris } from '../../src/data/iris';
import { OxnetError } from '../../src/errors';
import { tempDir } from '../helpers/temp';

const dir = tempDir('oxnet-loaders-').path;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(OxnetError);
    return (e as OxnetError).code;
  }
  throw new Error('did not throw');
}

describe('loadCsv', () => {
  const text = 'a,b,label\n1,2,cat\n3,4.5,dog\n-1,0,cat\n';

  it('one-hot encodes a categorical target and keeps class names', () => {
    const d = parseCsv(text, { task: 'classification', target: 'label' });
    expect(d.count).toBe(3);
    expect(d.featureNames).toEqual(['a', 'b']);
    expect(d.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4.5, -1, 0]);
    expect(Array.from(d.y)).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it('orders numeric class labels numerically and encodes against known classes', () => {
    const d = parseCsv('x,c\n0,10\n1,2\n2,10\n', { task: 'classification', target: 'c' });
    expect(d.classNames).toEqual(['2', '10']);
    const known = parseCsv('x,c\n0,10\n', { task: 'classification', target: 'c', classes: ['10', '2'] });
    expect(Array.from(known.y)).toEqual([1, 0]);
  });

  it('reads files, regression targets, autoencoder targets and prediction input without target', () => {
    const path = join(dir, 'r.csv');
    writeFileSync(path, 'x1,x2,y\n1,2,3\n4,5,6\n');
    const reg = loadCsv(path, { task: 'regression', target: 'y' });
    expect(Array.from(reg.y)).toEqual([3, 6]);
    const ae = loadCsv(path, { task: 'autoencoder' });
    expect(ae.inputSize).toBe(3);
    expect(ae.y).toBe(ae.x);
    const noTarget = parseCsv('x1,x2\n1,2\n', { task: 'regression', target: 'y', requireTarget: false });
    expect(noTarget.targetSize).toBe(0);
    expect(Array.from(noTarget.x)).toEqual([1, 2]);
  });

  it('names line and column of bad values, refuses empty and missing', () => {
    expect(() => parseCsv('a,b,label\n1,x,cat\n', { task: 'classification', target: 'label' })).toThrow(/line 2, column 'b' has 'x', not a number/);
    expect(() => parseCsv('a,y\n1,2\n3,\n', { task: 'regression', target: 'y' })).toThrow(/line 3, column 'y' has an empty value/);
    expect(() => parseCsv(text, { task: 'classification', target: 'nope' })).toThrow(/no column named 'nope'/);
    expect(() => parseCsv('a,b\n1,2\n3\n', { task: 'autoencoder' })).toThrow(/line 3/);
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    expect(codeOf(() => loadCsv(empty, { task: 'autoencoder' }))).toBe('E_DATA');
    expect(codeOf(() => loadCsv(join(dir, 'absent.csv'), { task: 'autoencoder' }))).toBe('E_IO');
    expect(codeOf(() => parseCsv('a,a\n1,2\n', { task: 'autoencoder' }))).toBe('E_DATA');
    expect(codeOf(() => parseCsv(text, { task: 'classification' }))).toBe('E_ARG');
  });
});

describe('IDX', () => {
  it('reads ubyte and float files, plain and gzipped', () => {
    const ub = encodeIdx('ubyte', [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    // header: 00 00 08 03, then 2, 2, 3 as big-endian uint32 (IDX format as MNIST publishes it)
    expect(Array.from(ub.subarray(0, 8))).toEqual([0, 0, 8, 3, 0, 0, 0, 2]);
    const a = readIdx(ub);
    expect(a.type).toBe('ubyte');
    expect(a.shape).toEqual([2, 2, 3]);
    expect(a.data[11]).toBe(255);
    const path = join(dir, 'f.idx.gz');
    writeFileSync(path, gzipSync(encodeIdx('float', [3], [1.5, -2, 1e-3])));
    expect(Array.from(readIdx(path).data)).toEqual([1.5, -2, Math.fround(1e-3)]);
  });

  it('pairs images and labels into scaled x and one-hot y', () => {
    const images = encodeIdx('ubyte', [2, 1, 2], [0, 255, 51, 102]);
    const labels = encodeIdx('ubyte', [2], [3, 0]);
    const p = loadIdxPair(images, labels, 4);
    expect(p.inputSize).toBe(2);
    expect(Array.from(p.x)).toEqual([0, 1, Math.fround(0.2), Math.fround(0.4)]);
    expect(Array.from(p.y)).toEqual([0, 0, 0, 1, 1, 0, 0, 0]);
    expect(() => loadIdxPair(images, encodeIdx('ubyte', [3], [0, 1, 2]), 4)).toThrow(/does not match 2 images/);
    expect(() => loadIdxPair(images, encodeIdx('ubyte', [2], [0, 9]), 4)).toThrow(/outside \[0, 3\]/);
  });

  it('refuses truncated, padded and foreign files', () => {
    const good = encodeIdx('ubyte', [4], [1, 2, 3, 4]);
    expect(() => readIdx(good.subarray(0, good.length - 1))).toThrow(/truncated/);
    expect(() => readIdx(good.subarray(0, 6))).toThrow(/truncated header/);
    expect(() => readIdx(new Uint8Array([...good, 0]))).toThrow(/trailing bytes/);
    expect(() => readIdx(new Uint8Array([1, 2, 3, 4]))).toThrow(/not an IDX file/);
    expect(codeOf(() => readIdx(new Uint8Array([0, 0, 0x42, 1, 0, 0, 0, 0])))).toBe('E_DATA');
  });
});

describe('loadIris', () => {
  it('gives 150 flowers, 50 per species, one-hot', () => {
    const iris = loadIris();
    expect(iris.count).toBe(150);
    expect(iris.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    // first row of Fisher's table: 5.1, 3.5, 1.4, 0.2, setosa
    expect(Array.from(iris.x.subarray(0, 4))).toEqual([5.1, 3.5, 1.4, 0.2].map(Math.fround));
    const perClass = [0, 0, 0];
    for (let i = 0; i < 150; i++) for (let k = 0; k < 3; k++) perClass[k] += iris.y[i * 3 + k];
    expect(perClass).toEqual([50, 50, 50]);
  });
});
