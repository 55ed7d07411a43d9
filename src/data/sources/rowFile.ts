// Fixed-size rows read from a file by ranges (positioned FileHandle.read calls, which run on
// libuv's thread pool): a block of rows at a time, the next block's read in flight while the
// current one is decoded and handed out. Never the whole file; memory is two blocks (1 MiB).
import { open, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import * as arg from '../../args';
import { OxnetError } from '../../errors';
import { DataSource } from './source';

/** Element types of the files read here, with their byte size. */
export type DType = 'float32' | 'float64' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'int64';

export const DTYPE_BYTES: Record<DType, number> = { float32: 4, float64: 8, uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, int64: 8 };

const LITTLE = endianness() === 'LE';

/** Rows per chunk handed on (the transforms loop over a chunk without a promise per row). */
const CHUNK_ROWS = 256;

/** Where the rows are and how they decode. */
export interface RowLayout {
  /** The file as messages name it (its path). */
  file: string;
  /** Byte offset of row 0. */
  offset: number;
  rows: number;
  /** Values per row. */
  rowValues: number;
  dtype: DType;
  littleEndian: boolean;
  /** Every value is multiplied by this (1/255 for pixels). */
  scale: number;
  /** The shape of one row as the file gives it. */
  sampleShape: number[];
}

/** A source of the rows (Float32Array each, sampleShape's values) of a file laid out as `layout`. */
export class RowSource extends DataSource<Float32Array> {
  constructor(
    readonly layout: RowLayout,
    blockBytes = 1 << 20,
  ) {
    super(() => readRows(layout, blockBytes), layout.rows, true);
  }

  /** Samples in the file. */
  get count(): number {
    return this.layout.rows;
  }

  get sampleShape(): number[] {
    return [...this.layout.sampleShape];
  }
}

/** The error for a malformed file: its path and the byte offset where it goes wrong. */
export function formatError(file: string, offset: number, what: string): OxnetError {
  return new OxnetError('E_DATA', `'${file}' at byte ${offset}: ${what}`);
}

/** Opens `file` for reading, as E_IO when it cannot be. */
export async function openFile(file: string, fn: string): Promise<FileHandle> {
  arg.path(file, fn);
  try {
    return await open(file, 'r');
  } catch (e) {
    throw arg.fsError(e, fn, 'read', file);
  }
}

/** Exactly `length` bytes at `position`, or the error that names the file and where it ended. */
export async function readExactly(fh: FileHandle, file: string, position: number, length: number, what: string): Promise<Uint8Array> {
  // A fresh ArrayBuffer per read: offset 0 keeps float views aligned, and rows handed out as views stay valid.
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await fh.read(bytes, done, length - done, position + done));
    } catch (e) {
      throw arg.fsError(e, 'read rows', 'read', file);
    }
    if (bytesRead === 0)
      throw formatError(file, position + done, `truncated: ${what} needs ${length} bytes from byte ${position}, the file ends at byte ${position + done}`);
    done += bytesRead;
  }
  return bytes;
}

/** Checks that the file holds exactly the rows the header promises (no more, no less). */
export function checkSize(layout: RowLayout, size: number, header: string): void {
  const rowBytes = layout.rowValues * DTYPE_BYTES[layout.dtype];
  const end = layout.offset + layout.rows * rowBytes;
  if (size < end) {
    const whole = Math.floor((size - layout.offset) / Math.max(rowBytes, 1));
    throw formatError(
      layout.file,
      layout.offset + whole * rowBytes,
      `truncated: ${header} promises ${layout.rows} rows of ${rowBytes} bytes (to byte ${end}), the file ends at byte ${size} after ${whole} whole rows`,
    );
  }
  if (size > end) throw formatError(layout.file, end, `${size - end} bytes after the last of the ${layout.rows} rows ${header} promises`);
}

/** The rows a block at a time (a chunk of views into the block's values). */
async function* readRows(layout: RowLayout, blockBytes: number): AsyncGenerator<Float32Array[]> {
  const { file, rows, rowValues, dtype } = layout;
  const rowBytes = rowValues * DTYPE_BYTES[dtype];
  if (rows === 0) return;
  const perBlock = Math.max(1, Math.floor(blockBytes / Math.max(rowBytes, 1)));
  const fh = await openFile(file, 'read rows');
  try {
    const read = (first: number) => {
      const count = Math.min(perBlock, rows - first);
      return readExactly(fh, file, layout.offset + first * rowBytes, count * rowBytes, `row ${first}..${first + count - 1}`).then((b) => ({ b, count }));
    };
    let pending = read(0);
    for (let first = 0; first < rows; ) {
      const { b, count } = await pending;
      const next = first + count;
      if (next < rows) {
        pending = read(next);
        pending.catch(() => {}); // awaited on the next turn; an early return must not leave it unhandled
      }
      const values = decode(b, count * rowValues, layout);
      // Chunks of at most CHUNK_ROWS: a block of tiny rows (labels) would otherwise become one huge chunk.
      for (let c0 = 0; c0 < count; c0 += CHUNK_ROWS) {
        const c1 = Math.min(count, c0 + CHUNK_ROWS);
        const chunk = new Array<Float32Array>(c1 - c0);
        for (let r = c0; r < c1; r++) chunk[r - c0] = values.subarray(r * rowValues, (r + 1) * rowValues);
        yield chunk;
      }
      first = next;
    }
  } finally {
    await fh.close();
  }
}

/** `n` values of the layout's dtype -> float32, scaled. */
function decode(b: Uint8Array, n: number, layout: RowLayout): Float32Array {
  const { dtype, scale, littleEndian } = layout;
  const native = littleEndian === LITTLE;
  let out: Float32Array;
  if (dtype === 'float32' && native) out = new Float32Array(b.buffer, b.byteOffset, n);
  else if (dtype === 'uint8') out = Float32Array.from(b.subarray(0, n));
  else if (dtype === 'int8') out = Float32Array.from(new Int8Array(b.buffer, b.byteOffset, n));
  else {
    out = new Float32Array(n);
    const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const size = DTYPE_BYTES[dtype];
    const get = getter(view, dtype, littleEndian);
    for (let i = 0; i < n; i++) out[i] = get(i * size);
  }
  if (scale !== 1) for (let i = 0; i < n; i++) out[i] *= scale;
  return out;
}

function getter(v: DataView, dtype: DType, le: boolean): (at: number) => number {
  switch (dtype) {
    case 'float32':
      return (at) => v.getFloat32(at, le);
    case 'float64':
      return (at) => v.getFloat64(at, le);
    case 'uint16':
      return (at) => v.getUint16(at, le);
    case 'int16':
      return (at) => v.getInt16(at, le);
    case 'uint32':
      return (at) => v.getUint32(at, le);
    case 'int32':
      return (at) => v.getInt32(at, le);
    case 'int64':
      return (at) => Number(v.getBigInt64(at, le));
    default:
      return (at) => v.getUint8(at);
  }
}

/** Size in bytes of an open file. */
export async function fileSize(fh: FileHandle, file: string): Promise<number> {
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
    return st.size;
  } catch (e) {
    throw arg.fsError(e, 'read rows', 'read', file);
  }
}
