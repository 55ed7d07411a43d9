// The entries of a zip archive (an .npz) from its central directory, with ZIP64 sizes and
// offsets: where each entry's data starts, so a stored entry can be read by ranges.
import type { FileHandle } from 'node:fs/promises';
import { formatError, readExactly } from './rowFile';

export interface ZipEntry {
  name: string;
  /** 0: stored; 8: deflate. */
  method: number;
  /** Bytes of the entry's data as stored. */
  size: number;
  /** Offset of its local header. */
  headerOffset: number;
  /** Offset of its data (after the local header). */
  dataOffset: number;
}

const EOCD = 0x06054b50;
const EOCD64 = 0x06064b50;
const EOCD64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;

/** Every entry of the archive `file` (open as fh, `size` bytes). */
export async function storedEntries(fh: FileHandle, file: string, size: number): Promise<ZipEntry[]> {
  // The end record is in the last 22 + 65535 (comment) bytes.
  const tailLen = Math.min(size, 22 + MAX16);
  const tailAt = size - tailLen;
  const tail = await readExactly(fh, file, tailAt, tailLen, 'the zip end record');
  const tv = new DataView(tail.buffer);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw formatError(file, tailAt, 'not a zip archive (.npz): no end-of-central-directory record');
  let count = tv.getUint16(eocd + 10, true);
  let dirSize = tv.getUint32(eocd + 12, true);
  let dirAt = tv.getUint32(eocd + 16, true);
  if (count === MAX16 || dirSize === MAX32 || dirAt === MAX32) {
    const loc = eocd - 20;
    if (loc < 0 || tv.getUint32(loc, true) !== EOCD64_LOCATOR) throw formatError(file, tailAt + eocd, 'ZIP64 archive without its end-record locator');
    const at64 = Number(tv.getBigUint64(loc + 8, true));
    const rec = new DataView((await readExactly(fh, file, at64, 56, 'the ZIP64 end record')).buffer);
    if (rec.getUint32(0, true) !== EOCD64) throw formatError(file, at64, 'bad ZIP64 end record signature');
    count = Number(rec.getBigUint64(32, true));
    dirSize = Number(rec.getBigUint64(40, true));
    dirAt = Number(rec.getBigUint64(48, true));
  }
  if (dirAt + dirSize > size)
    throw formatError(file, dirAt, `truncated: the central directory (${dirSize} bytes) runs past the end of the file (${size} bytes)`);
  const dir = await readExactly(fh, file, dirAt, dirSize, 'the central directory');
  const dv = new DataView(dir.buffer);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > dirSize || dv.getUint32(p, true) !== CENTRAL) throw formatError(file, dirAt + p, `bad central directory entry ${i}`);
    const method = dv.getUint16(p + 10, true);
    let size64 = dv.getUint32(p + 20, true);
    let uncompressed = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let headerOffset = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(dir.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extra field (id 1): the 64-bit values of the fields that read 0xffffffff, in this order.
    for (let e = p + 46 + nameLen; e + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (id === 1) {
        let q = e + 4;
        if (uncompressed === MAX32) {
          uncompressed = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (size64 === MAX32) {
          size64 = Number(dv.getBigUint64(q, true));
          q += 8;
        }
        if (headerOffset === MAX32) headerOffset = Number(dv.getBigUint64(q, true));
      }
      e += 4 + len;
    }
    const local = new DataView((await readExactly(fh, file, headerOffset, 30, `the local header of '${name}'`)).buffer);
    if (local.getUint32(0, true) !== LOCAL) throw formatError(file, headerOffset, `bad local header signature for '${name}'`);
    const dataOffset = headerOffset + 30 + local.getUint16(26, true) + local.getUint16(28, true);
    entries.push({ name, method, size: method === 0 ? uncompressed : size64, headerOffset, dataOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}
