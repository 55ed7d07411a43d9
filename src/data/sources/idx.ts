// IDX files (MNIST's format) read lazily: the header (two zero bytes, a type byte, a dimension
// count, big-endian uint32 sizes) is checked up front, then the samples along the first
// dimension are read by ranges. Gzipped IDX files must be unpacked first (ranges need offsets).
import * as arg from '../../args';
import { checkSize, type DType, fileSize, formatError, openFile, readExactly, RowSource } from './rowFile';

const TYPES: Record<number, DType> = { 8: 'uint8', 9: 'int8', 11: 'int16', 12: 'int32', 13: 'float32', 14: 'float64' };

/** The samples of an IDX file; `scale` multiplies every value (1/255 for MNIST pixels). */
export async function idxSource(path: string, options: { scale?: number } = {}): Promise<RowSource> {
  arg.path(path, 'idxSource');
  const o = arg.options(options, 'idxSource', { keys: ['scale'] });
  const scale = o.scale === undefined ? 1 : arg.finite(o.scale, 'idxSource: scale');
  const fh = await openFile(path, 'idxSource');
  try {
    const size = await fileSize(fh, path);
    const head = await readExactly(fh, path, 0, Math.min(4, size), 'the IDX magic');
    if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b)
      throw formatError(path, 0, 'a gzip file: unpack it (gunzip) first, or read it whole with readIdx');
    if (head.length < 4 || head[0] !== 0 || head[1] !== 0) throw formatError(path, 0, 'not an IDX file (the magic must start with two zero bytes)');
    const dtype = TYPES[head[2]];
    if (!dtype) throw formatError(path, 2, `unknown IDX type byte 0x${head[2].toString(16)}`);
    const ndims = head[3];
    if (ndims === 0) throw formatError(path, 3, 'an IDX file of 0 dimensions has no samples');
    const dims = await readExactly(fh, path, 4, 4 * ndims, `the header's ${ndims} dimensions`);
    const view = new DataView(dims.buffer);
    const shape = Array.from({ length: ndims }, (_, i) => view.getUint32(4 * i, false));
    const sampleShape = shape.slice(1);
    const layout = {
      file: path,
      offset: 4 + 4 * ndims,
      rows: shape[0],
      rowValues: sampleShape.reduce((a, b) => a * b, 1),
      dtype,
      littleEndian: false,
      scale,
      sampleShape,
    };
    checkSize(layout, size, `the header's shape [${shape.join(', ')}] of ${dtype}`);
    return new RowSource(layout);
  } finally {
    await fh.close();
  }
}
