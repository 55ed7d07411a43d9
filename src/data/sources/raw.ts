// Raw files: rows of one element type and no header (a float32 array written with
// Float32Array's bytes, numpy's tofile()); the caller gives the shape of one row.
import * as arg from '../../args';
import { OxnetError } from '../../errors';
import { DTYPE_BYTES, type DType, fileSize, formatError, openFile, RowSource } from './rowFile';

export interface RawOptions {
  /** Shape of one sample, e.g. [784] or [28, 28, 1]. */
  shape: number[];
  /** Element type (default 'float32'). */
  dtype?: DType;
  /** Default true (as x86 and ARM write them). */
  littleEndian?: boolean;
  /** Multiplies every value (1/255 for uint8 pixels). Default 1. */
  scale?: number;
  /** Bytes to skip at the start (a header of your own). Default 0. */
  offset?: number;
}

/** The samples of a raw file, read lazily; refuses a file whose size is not a whole number of rows. */
export async function rawSource(path: string, options: RawOptions): Promise<RowSource> {
  arg.path(path, 'rawSource');
  const o = arg.options(options, 'rawSource', { required: true, keys: ['shape', 'dtype', 'littleEndian', 'scale', 'offset'] });
  const shape = sampleShape(o.shape, 'rawSource: shape');
  const dtype = (o.dtype ?? 'float32') as DType;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype))
    throw new OxnetError('E_ARG', `rawSource: dtype must be one of ${Object.keys(DTYPE_BYTES).join(', ')}, got ${arg.describe(dtype)}`);
  const littleEndian = o.littleEndian === undefined ? true : arg.boolean(o.littleEndian, 'rawSource: littleEndian');
  const scale = o.scale === undefined ? 1 : arg.finite(o.scale, 'rawSource: scale');
  const offset = o.offset === undefined ? 0 : arg.count(o.offset, 'rawSource: offset');
  const rowValues = shape.reduce((a, b) => a * b, 1);
  const rowBytes = rowValues * DTYPE_BYTES[dtype];
  const fh = await openFile(path, 'rawSource');
  let size: number;
  try {
    size = await fileSize(fh, path);
  } finally {
    await fh.close();
  }
  if (size < offset) throw formatError(path, size, `the file ends before the ${offset}-byte offset`);
  const extra = (size - offset) % rowBytes;
  if (extra !== 0) {
    const rows = Math.floor((size - offset) / rowBytes);
    throw formatError(
      path,
      offset + rows * rowBytes,
      `${size - offset} bytes of data are not a whole number of rows of shape [${shape.join(', ')}] ${dtype} (${rowBytes} bytes): ${extra} bytes left over after ${rows} rows`,
    );
  }
  return new RowSource({ file: path, offset, rows: (size - offset) / rowBytes, rowValues, dtype, littleEndian, scale, sampleShape: shape });
}

/** A sample shape: a non-empty array of positive integers. */
export function sampleShape(v: unknown, param: string): number[] {
  if (!Array.isArray(v) || v.length === 0) throw new OxnetError('E_ARG', `${param} must be a non-empty array of sizes, got ${arg.describe(v)}`);
  return v.map((d, i) => arg.positiveCount(d, `${param}[${i}]`));
}
