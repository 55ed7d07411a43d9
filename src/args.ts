// Argument checks at the public boundary, shared by every exported function and method: what a
// caller passes is checked before it is used, and what cannot be used is refused with an
// OxnetError naming the parameter and what it got (never the runtime's own TypeError from deep
// inside). File-system failures become E_IO naming the path and a plain reason (fsError).
import { OxnetError } from './errors';

/** The codes an argument check refuses with. */
export type ArgCode = 'E_ARG' | 'E_CONFIG' | 'E_SHAPE';

/** A value as a refusal names it: its kind, and the value itself when it is short. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return `string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
    case 'number':
      return `number ${Object.is(v, -0) ? '-0' : String(v)}`;
    case 'bigint':
      return `bigint ${v}n`;
    case 'boolean':
      return `boolean ${v}`;
    case 'symbol':
      return `a symbol`;
    case 'function':
      return 'a function';
  }
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor?.name ?? 'typed array';
    if (isDetached(v)) return `a detached ${name}`;
    return 'length' in v ? `a ${name} of ${(v as unknown as ArrayLike<unknown>).length}` : `a ${name}`;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === null || proto === Object.prototype) return 'an object';
  const name = (proto as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? `a ${name}` : 'an object';
}

/** Whether a typed array's (or DataView's) buffer has been detached (transferred): reading it would throw. */
export function isDetached(view: ArrayBufferView): boolean {
  const buffer = view.buffer;
  if (buffer.byteLength !== 0 || !(buffer instanceof ArrayBuffer)) return false;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

/** A plain options object (not null, an array, a function or a typed array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer);
}

/**
 * The options object `param` of `fn`: undefined gives {} (unless required); anything but an
 * object is refused; with `keys`, so is a key outside them (a typo would otherwise do nothing).
 */
export function options(
  value: unknown,
  fn: string,
  opts: { param?: string; keys?: readonly string[]; required?: boolean; code?: ArgCode; hint?: string } = {},
): Record<string, unknown> {
  const { param = 'options', keys, required = false, code = 'E_ARG' } = opts;
  const hint = opts.hint ?? (keys ? ` ({ ${keys.join(', ')} })` : '');
  if (value === undefined && !required) return {};
  if (!isPlainObject(value)) throw new OxnetError(code, `${fn}: ${param} must be an object${hint}, got ${describe(value)}`);
  if (keys) {
    const unknown = Object.keys(value).filter((k) => !keys.includes(k));
    if (unknown.length) throw new OxnetError(code, `${fn}: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; known: ${keys.join(', ')}`);
  }
  return value;
}

/** An integer in [min, max] (default: any safe integer >= min). */
export function integer(value: unknown, param: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER, code: ArgCode = 'E_ARG'): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === Number.MIN_SAFE_INTEGER ? '' : ` >= ${min}`) : ` in [${min}, ${max}]`;
    throw new OxnetError(code, `${param} must be an integer${range}, got ${describe(value)}`);
  }
  return value;
}

/** The largest count of samples, rows or elements a check lets through: buffers are indexed with 32-bit integers. */
export const MAX_COUNT = 2 ** 31 - 1;

/** A count in [0, MAX_COUNT]. */
export function count(value: unknown, param: string, code: ArgCode = 'E_ARG'): number {
  return integer(value, param, 0, MAX_COUNT, code);
}

/** A count in [1, MAX_COUNT]. */
export function positiveCount(value: unknown, param: string, code: ArgCode = 'E_ARG'): number {
  return integer(value, param, 1, MAX_COUNT, code);
}

/** A seed: an integer in [0, 2^32). */
export function seed(value: unknown, param = 'seed', code: ArgCode = 'E_ARG'): number {
  return integer(value, param, 0, 0xffffffff, code);
}

/** A finite number `ok` accepts (`rule` says which, for the message). */
export function finite(value: unknown, param: string, ok: (v: number) => boolean = () => true, rule = 'a finite number', code: ArgCode = 'E_ARG'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw new OxnetError(code, `${param} must be ${rule}, got ${describe(value)}`);
  return value;
}

export function boolean(value: unknown, param: string, code: ArgCode = 'E_ARG'): boolean {
  if (typeof value !== 'boolean') throw new OxnetError(code, `${param} must be true or false, got ${describe(value)}`);
  return value;
}

export function string(value: unknown, param: string, code: ArgCode = 'E_ARG'): string {
  if (typeof value !== 'string') throw new OxnetError(code, `${param} must be a string, got ${describe(value)}`);
  return value;
}

export function func<F extends (...args: never[]) => unknown>(value: unknown, param: string, code: ArgCode = 'E_ARG'): F {
  if (typeof value !== 'function') throw new OxnetError(code, `${param} must be a function, got ${describe(value)}`);
  return value as F;
}

/** A file path: a non-empty string without NUL bytes (which the file system would refuse with its own TypeError). */
export function path(value: unknown, fn: string, param = 'path'): string {
  if (typeof value !== 'string' || value === '' || value.includes('\0')) {
    throw new OxnetError('E_ARG', `${fn}: ${param} must be a non-empty file path, got ${value === '' ? 'an empty string' : describe(value)}`);
  }
  return value;
}

/** A typed array that is not detached (reading a detached one would throw a TypeError). */
function checkView(value: ArrayBufferView, param: string): void {
  if (isDetached(value)) throw new OxnetError('E_ARG', `${param} is a detached ${value.constructor?.name ?? 'typed array'} (its buffer was transferred)`);
}

/** Numbers: a typed array of numbers (not BigInt64 / BigUint64) or an array of numbers. */
export function numbers(value: unknown, param: string): ArrayLike<number> {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    checkView(value, param);
    if (value instanceof BigInt64Array || value instanceof BigUint64Array) throw new OxnetError('E_ARG', `${param} must hold numbers, got ${describe(value)}`);
    return value as unknown as ArrayLike<number>;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] !== 'number') throw new OxnetError('E_ARG', `${param} must hold numbers only, got ${describe(value[i])} at index ${i}`);
    }
    return value;
  }
  throw new OxnetError('E_ARG', `${param} must be a Float32Array or an array of numbers, got ${describe(value)}`);
}

/** Bytes: a Uint8Array (a Buffer is one) that is not detached. */
export function bytes(value: unknown, param: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new OxnetError('E_ARG', `${param} must be a Uint8Array, got ${describe(value)}`);
  checkView(value, param);
  return value;
}

/** Plain reasons for Node's file-system error codes. */
const REASONS: Record<string, string> = {
  ENOENT: 'it does not exist',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'the operation is not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links in the path',
  EEXIST: 'it already exists',
  EBUSY: 'it is busy',
  EIO: 'an input/output error on the device',
  EFBIG: 'the file is too large',
  EXDEV: 'it is on another device',
};

/**
 * A file-system failure as E_IO: `fn` could not `action` `file` (read, write...), with a plain
 * reason for the errno code (missing, a directory, not readable, no space...) and the system
 * error as the cause.
 */
export function fsError(e: unknown, fn: string, action: string, file: string): OxnetError {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  const known =
    code === 'ENOENT' && action !== 'read' && !action.startsWith('read ') ? 'its folder does not exist' : typeof code === 'string' ? REASONS[code] : undefined;
  const denied = code === 'EACCES' || code === 'EPERM' ? `, it is not ${action.startsWith('read') ? 'readable' : 'writable'} by this process` : '';
  const reason = known ? `${known}${denied} (${code})` : e instanceof Error ? e.message : String(e);
  return new OxnetError('E_IO', `${fn}: cannot ${action} '${file}': ${reason}`, { cause: e });
}
