// NumPy's .npy files (np.save) and uncompressed .npz archives (np.savez) read lazily: the header
// (magic \x93NUMPY, version, a Python dict literal with descr, fortran_order and shape) is
// parsed up front, the rows along the first axis are read by ranges.
import type { FileHandle } from 'node:fs/promises';
import * as arg from '../../args';
import { OxnetError } from '../../errors';
import { checkSize, type DType, fileSize, formatError, openFile, readExactly, type RowLayout, RowSource } from './rowFile';
import { storedEntries } from './zip';

const DESCR: Record<string, DType> = {
  f4: 'float32',
  f8: 'float64',
  u1: 'uint8',
  i1: 'int8',
  u2: 'uint16',
  i2: 'int16',
  u4: 'uint32',
  i4: 'int32',
  i8: 'int64',
  b1: 'uint8',
};

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** The rows of a .npy file (one sample per index of the first axis); `scale` multiplies every value. */
export async function npySource(path: string, options: { scale?: number } = {}): Promise<RowSource> {
  arg.path(path, 'npySource');
  const scale = scaleOption(options, 'npySource');
  const fh = await openFile(path, 'npySource');
  try {
    const size = await fileSize(fh, path);
    return new RowSource(await npyLayout(fh, path, 0, size, scale, path));
  } finally {
    await fh.close();
  }
}

/**
 * The rows of array `name` ('x' for np.savez(f, x=...), 'arr_0' for a positional one) of an
 * .npz archive; its entries must be stored (np.savez), not deflated (np.savez_compressed).
 */
export async function npzSource(path: string, name: string, options: { scale?: number } = {}): Promise<RowSource> {
  arg.path(path, 'npzSource');
  arg.string(name, 'npzSource: name');
  const scale = scaleOption(options, 'npzSource');
  const fh = await openFile(path, 'npzSource');
  try {
    const size = await fileSize(fh, path);
    const entries = await storedEntries(fh, path, size);
    const entry = entries.find((e) => e.name === `${name}.npy` || e.name === name);
    if (!entry) {
      const names = entries.map((e) => e.name.replace(/\.npy$/, ''));
      throw new OxnetError('E_DATA', `'${path}': no array '${name}' in the archive (it holds ${names.map((n) => `'${n}'`).join(', ') || 'nothing'})`);
    }
    if (entry.method !== 0) {
      throw formatError(
        path,
        entry.headerOffset,
        `array '${name}' is compressed (zip method ${entry.method}); save with np.savez, not np.savez_compressed, so it can be read by ranges`,
      );
    }
    return new RowSource(await npyLayout(fh, path, entry.dataOffset, entry.dataOffset + entry.size, scale, `${path}:${name}`));
  } finally {
    await fh.close();
  }
}

/** The names of the arrays an .npz archive holds. */
export async function npzNames(path: string): Promise<string[]> {
  arg.path(path, 'npzNames');
  const fh = await openFile(path, 'npzNames');
  try {
    return (await storedEntries(fh, path, await fileSize(fh, path))).map((e) => e.name.replace(/\.npy$/, ''));
  } finally {
    await fh.close();
  }
}

function scaleOption(options: unknown, fn: string): number {
  const o = arg.options(options, fn, { keys: ['scale'] });
  return o.scale === undefined ? 1 : arg.finite(o.scale, `${fn}: scale`);
}

/** The layout of the .npy data that spans bytes [start, end) of the file. */
async function npyLayout(fh: FileHandle, file: string, start: number, end: number, scale: number, what: string): Promise<RowLayout> {
  const fixed = await readExactly(fh, file, start, Math.min(12, end - start), 'the .npy magic and version');
  if (fixed.length < 10 || MAGIC.some((b, i) => fixed[i] !== b))
    throw formatError(file, start, `${what === file ? '' : `${what}: `}not a .npy file (magic \\x93NUMPY)`);
  const major = fixed[6];
  if (major < 1 || major > 3) throw formatError(file, start + 6, `unsupported .npy version ${major}.${fixed[7]}`);
  const view = new DataView(fixed.buffer);
  const lenBytes = major === 1 ? 2 : 4;
  if (fixed.length < 8 + lenBytes) throw formatError(file, start + fixed.length, 'truncated .npy header');
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const headerAt = start + 8 + lenBytes;
  if (headerAt + headerLen > end) throw formatError(file, end, `truncated: the .npy header needs ${headerLen} bytes from byte ${headerAt}`);
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(await readExactly(fh, file, headerAt, headerLen, 'the .npy header'));
  const header = parseHeader(text, file, headerAt);
  const shape = header.shape;
  if (shape.length === 0) throw formatError(file, headerAt, 'a 0-dimensional array (a scalar) has no samples');
  if (header.fortran && shape.filter((d) => d > 1).length > 1) {
    throw formatError(file, headerAt, `fortran_order True: rows are not contiguous; save np.ascontiguousarray(a) instead`);
  }
  const sampleShape = shape.slice(1);
  const layout: RowLayout = {
    file,
    offset: headerAt + headerLen,
    rows: shape[0],
    rowValues: sampleShape.reduce((a, b) => a * b, 1),
    dtype: header.dtype,
    littleEndian: header.littleEndian,
    scale,
    sampleShape,
  };
  checkSize(layout, end, `the header's shape (${shape.join(', ')}) of ${header.descr}`);
  return layout;
}

/** The header dict: {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }. */
function parseHeader(text: string, file: string, at: number): { dtype: DType; littleEndian: boolean; descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw formatError(file, at, `the .npy header must give 'descr', 'fortran_order' and 'shape', got ${JSON.stringify(text.trim())}`);
  }
  const m = /^([<>|=])([a-z]\d+)$/.exec(descr);
  const dtype = m ? DESCR[m[2]] : undefined;
  if (!m || !dtype) throw formatError(file, at, `dtype '${descr}' is not supported (float32, float64, uint8/16/32, int8/16/32/64, bool)`);
  const parts = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const shape = parts.map((s) => {
    const d = Number(s.replace(/L$/, ''));
    if (!Number.isSafeInteger(d) || d < 0) throw formatError(file, at, `bad size '${s}' in the .npy shape (${shapeText})`);
    return d;
  });
  return { dtype, littleEndian: m[1] !== '>', descr, fortran: fortran === 'True', shape };
}
