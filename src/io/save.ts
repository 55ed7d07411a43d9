// Model files on disk: one .oxnet file (see format.ts), written atomically, read with every size
// checked. This module knows bytes and snapshots, not models: src/model/files.ts takes a model's
// snapshot to save and builds a model from what is read.
import { closeSync, fsyncSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsError } from '../args';
import { OxnetError } from '../errors';
import { type DecodedModelFile, decodeModelFile, encodeModelFile, type ModelHeader, type Named } from './format';

/** Larger files are refused before any byte is read. */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

/** What a model file holds: the header (topology, seed, normalizers, compile settings) and the tensors. */
export interface ModelSnapshot {
  header: Omit<ModelHeader, 'weights' | 'state' | 'extra'>;
  weights: Named[];
  state: Named[];
  /** A checkpoint's optimizer moments and callbacks' tensors. */
  extra?: Named[];
}

export function snapshotToBytes(s: ModelSnapshot): Uint8Array {
  return encodeModelFile(s.header, s.weights, s.state, undefined, s.extra);
}

/** Writes a snapshot to `path` atomically (see writeFileAtomic). */
export function writeModelFile(path: string, s: ModelSnapshot): void {
  writeFileAtomic(path, snapshotToBytes(s), 'saveModel');
}

/** Writes `path` atomically: a temp file in the same folder, fsync, then rename over the target. */
export function writeFileAtomic(path: string, bytes: Uint8Array, op: string): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w', 0o644);
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
    syncFolder(dirname(path));
  } catch (e) {
    // Every failure path removes the temp file: a close that fails too must not skip the unlink
    // (nor hide the first error).
    try {
      if (fd >= 0) closeSync(fd);
    } catch {
      // the write error below says what went wrong
    }
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist
    }
    throw fsError(e, op, 'write', path);
  }
  removeStaleTemps(path);
}

/**
 * Removes temp files that earlier saves to `path` left behind when their process was killed
 * mid-save: only names of our own pattern, only of processes that no longer run (a save in
 * progress elsewhere, or in this process, keeps its file). Best effort.
 */
function removeStaleTemps(path: string): void {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.tmp-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const pid = name.startsWith(prefix) ? Number(/^(\d+)-\d+$/.exec(name.slice(prefix.length))?.[1]) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || processRuns(pid)) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // gone already, or not ours to remove
    }
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // runs, under another user
  }
}

/** Makes the rename itself durable; some platforms (Windows) cannot open a folder, which is fine. */
function syncFolder(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // best effort: the file's own contents are already synced
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Reads and checks a model file (E_IO when it cannot be read, E_FORMAT when it is damaged); `op` names the caller in errors. */
export function readModelFile(path: string, op = 'loadModel'): DecodedModelFile {
  let size: number;
  let bytes: Uint8Array;
  try {
    const stat = statSync(path);
    // Reading a folder fails with EISDIR on Linux but not everywhere: say so before reading.
    if (stat.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
    size = stat.size;
    if (size > MAX_FILE_BYTES) throw new OxnetError('E_FORMAT', `${op}: ${path} is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
    bytes = new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof OxnetError) throw e;
    throw fsError(e, op, 'read', path);
  }
  return decodeModelFile(bytes, path);
}
