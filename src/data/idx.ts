// The IDX binary format (MNIST's files): two zero bytes, a type byte, a dimension count, the
// dimensions as big-endian uint32, then the values big-endian. Gzipped files are read as well.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as arg from '../args';
import { OxnetError } from '../errors';

export type IdxType = 'ubyte' | 'byte' | 'short' | 'int' | 'float' | 'double';

const TYPES: Record<number, { name: IdxType; size: number }> = {
  8: { name: 'ubyte', size: 1 },
  9: { name: 'byte', size: 1 },
  11: { name: 'short', size: 2 },
  12: { name: 'int', size: 4 },
  13: { name: 'float', size: 4 },
  14: { name: 'double', size: 8 },
};

export interface IdxArray {
  type: IdxType;
  shape: number[];
  /** Values as float32, row-major. */
  data: Float32Array;
}

function bytesOf(pathOrBytes: string | Uint8Array, param: string): { bytes: Uint8Array; source: string } {
  if (typeof pathOrBytes !== 'string') {
    if (!(pathOrBytes instanceof Uint8Array)) {
      throw new OxnetError('E_ARG', `readIdx: ${param} must be a file path or a Uint8Array, got ${arg.describe(pathOrBytes)}`);
    }
    return { bytes: arg.bytes(pathOrBytes, `readIdx: ${param}`), source: 'IDX data' };
  }
  arg.path(pathOrBytes, 'readIdx', param);
  try {
    return { bytes: readFileSync(pathOrBytes), source: `'${pathOrBytes}'` };
  } catch (e) {
    throw arg.fsError(e, 'readIdx', 'read IDX file', pathOrBytes);
  }
}

/** Reads an IDX file (or its bytes); `scale` multiplies every value (1/255 for MNIST pixels). */
export function readIdx(pathOrBytes: string | Uint8Array, options: { scale?: number } = {}): IdxArray {
  return readIdxAs(pathOrBytes, options, 'pathOrBytes');
}

function readIdxAs(pathOrBytes: string | Uint8Array, options: { scale?: number }, param: string): IdxArray {
  const o = arg.options(options, 'readIdx', { keys: ['scale'] });
  const scale = o.scale === undefined ? 1 : arg.finite(o.scale, 'readIdx: scale');
  let { bytes, source } = bytesOf(pathOrBytes, param);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new OxnetError('E_DATA', `${source}: damaged gzip stream (${(e as Error).message})`);
    }
  }
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new OxnetError('E_DATA', `${source}: not an IDX file (magic must start with two zero bytes)`);
  }
  const type = TYPES[bytes[2]];
  if (!type) throw new OxnetError('E_DATA', `${source}: unknown IDX type byte 0x${bytes[2].toString(16)}`);
  const ndims = bytes[3];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerSize = 4 + 4 * ndims;
  if (bytes.length < headerSize) {
    throw new OxnetError('E_DATA', `${source}: truncated header (${ndims} dimensions need ${headerSize} bytes, file has ${bytes.length})`);
  }
  const shape = Array.from({ length: ndims }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = headerSize + count * type.size;
  if (bytes.length !== expected) {
    const what = bytes.length < expected ? 'truncated' : 'has trailing bytes';
    throw new OxnetError('E_DATA', `${source}: ${what}: shape [${shape.join(', ')}] of ${type.name} needs ${expected} bytes, file has ${bytes.length}`);
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = readValue(view, headerSize + i * type.size, type.name) * scale;
  return { type: type.name, shape, data };
}

function readValue(view: DataView, at: number, type: IdxType): number {
  switch (type) {
    case 'ubyte':
      return view.getUint8(at);
    case 'byte':
      return view.getInt8(at);
    case 'short':
      return view.getInt16(at, false);
    case 'int':
      return view.getInt32(at, false);
    case 'float':
      return view.getFloat32(at, false);
    case 'double':
      return view.getFloat64(at, false);
  }
}

/** Encodes values as an IDX file (the tests write small files with it). */
export function encodeIdx(type: IdxType, shape: number[], values: ArrayLike<number>): Uint8Array {
  const code = Number(Object.keys(TYPES).find((k) => TYPES[Number(k)].name === type));
  if (!TYPES[code]) {
    throw new OxnetError(
      'E_ARG',
      `encodeIdx: type must be one of ${Object.values(TYPES)
        .map((t) => `'${t.name}'`)
        .join(', ')}, got ${arg.describe(type)}`,
    );
  }
  const size = TYPES[code].size;
  if (!Array.isArray(shape) || shape.length > 255)
    throw new OxnetError('E_ARG', `encodeIdx: shape must be an array of at most 255 sizes, got ${arg.describe(shape)}`);
  shape.forEach((d, i) => {
    arg.integer(d, `encodeIdx: shape[${i}]`, 0, 0xffffffff);
  });
  arg.numbers(values, 'encodeIdx: values');
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) {
    throw new OxnetError('E_SHAPE', `encodeIdx: shape [${shape.join(', ')}] holds ${count} values, got ${values.length}`);
  }
  const headerSize = 4 + 4 * shape.length;
  const bytes = new Uint8Array(headerSize + count * size);
  const view = new DataView(bytes.buffer);
  bytes[2] = code;
  bytes[3] = shape.length;
  shape.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d, false);
  });
  for (let i = 0; i < count; i++) {
    const at = headerSize + i * size;
    const v = values[i];
    if (type === 'ubyte') view.setUint8(at, v);
    else if (type === 'byte') view.setInt8(at, v);
    else if (type === 'short') view.setInt16(at, v, false);
    else if (type === 'int') view.setInt32(at, v, false);
    else if (type === 'float') view.setFloat32(at, v, false);
    else view.setFloat64(at, v, false);
  }
  return bytes;
}

/**
 * An image file and a label file as (x, y): pixels scaled to [0, 1] (ubyte / 255), labels one-hot
 * over `classes` outputs. Refuses files whose sample counts differ.
 */
export function loadIdxPair(
  images: string | Uint8Array,
  labels: string | Uint8Array,
  classes = 10,
): { x: Float32Array; y: Float32Array; count: number; inputSize: number; imageShape: number[] } {
  arg.integer(classes, 'loadIdxPair: classes', 1, arg.MAX_COUNT);
  const img = readIdxAs(images, {}, 'images');
  const lab = readIdxAs(labels, {}, 'labels');
  const scale = img.type === 'ubyte' ? 1 / 255 : 1;
  const count = img.shape[0] ?? 0;
  if (lab.shape.length !== 1 || lab.shape[0] !== count) {
    throw new OxnetError('E_DATA', `IDX labels shape [${lab.shape.join(', ')}] does not match ${count} images`);
  }
  const inputSize = count === 0 ? 0 : img.data.length / count;
  const x = scale === 1 ? img.data : img.data.map((v) => v * scale);
  const y = new Float32Array(count * classes);
  lab.data.forEach((label, i) => {
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      throw new OxnetError('E_DATA', `IDX label ${i} is ${label}, outside [0, ${classes - 1}]`);
    }
    y[i * classes + label] = 1;
  });
  return { x, y, count, inputSize, imageShape: img.shape.slice(1) };
}
