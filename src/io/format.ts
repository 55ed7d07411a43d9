// The .oxnet file: one self-checking binary file.
//   0  "OXNT"                  magic
//   4  u32 LE format version   (FORMAT_VERSION)
//   8  u32 LE header length    (bytes of UTF-8 JSON)
//  12  u32 LE CRC-32 of header + payload
//  16  u64 LE payload length
//  24  header JSON, then the raw little-endian float32 payload.
// The header holds the topology as data (layer type + config, known types only, and how they are
// applied), the weight and state manifests (name, shape, dtype 'float32', byte offset into the
// payload), the normalizers and the compile settings; a checkpoint adds its training state and
// a manifest of extra tensors (optimizer moments, callbacks' tensors: src/io/checkpoint.ts) after
// the state, so loadModel reads it as a model. Version 1 (a chain: inputShape + layers)
// is still read. Decoding checks every size against the bytes actually present before using it.
import { OxnetError } from '../errors';
import { crc32 } from './crc32';

export const MAGIC = 'OXNT';
export const FORMAT_VERSION = 2;
/** Versions this oxnet reads: 1 (chains only) and 2 (graphs). */
export const READABLE_VERSIONS = [1, 2];
export const PREAMBLE_BYTES = 24;
/** Headers are small (layer configs and manifests); anything larger is refused unread. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  /** Byte offset into the payload. */
  offset: number;
}

/** A tensor of the graph: model input i, or the output of layer application j. */
export type TensorRef = { input: number } | { node: number };

/** The topology of a version-2 file. */
export interface GraphTopology {
  kind: 'sequential' | 'functional';
  name?: string;
  inputs: { name: string; shape: number[] }[];
  /** Distinct layers, in the order their weights are laid out; config includes the name. */
  layers: { type: string; config: Record<string, unknown> }[];
  /** Layer applications in topological order. */
  nodes: { layer: number; inputs: TensorRef[] }[];
  outputs: TensorRef[];
}

export interface ModelHeader {
  format: 'oxnet-model';
  /** Version 1 only: the chain's input shape and layers. */
  inputShape?: number[];
  layers?: { type: string; config: Record<string, unknown> }[];
  /** Version 2. */
  graph?: GraphTopology;
  seed: number;
  weights: TensorEntry[];
  state: TensorEntry[];
  /** Version 1: the normalizer of the one input. */
  normalizer?: object;
  /** Version 2: one per input (null: none). */
  normalizers?: (object | null)[];
  compile?: Record<string, unknown>;
  /** A checkpoint's training state (src/io/checkpoint.ts); absent in a model file. */
  checkpoint?: Record<string, unknown>;
  /** Tensors beyond the weights and state (a checkpoint's), after them in the payload. */
  extra?: TensorEntry[];
}

/** Header + tensors -> file bytes. */
export function encodeModelFile(
  header: Omit<ModelHeader, 'weights' | 'state' | 'extra'>,
  weights: Named[],
  state: Named[],
  version = FORMAT_VERSION,
  extra: Named[] = [],
): Uint8Array {
  let offset = 0;
  const manifest = (list: Named[]): TensorEntry[] =>
    list.map((t) => {
      const e: TensorEntry = { name: t.name, shape: [...t.shape], dtype: 'float32', offset };
      offset += t.values.length * 4;
      return e;
    });
  const full: ModelHeader = { ...header, weights: manifest(weights), state: manifest(state), ...(extra.length ? { extra: manifest(extra) } : {}) };
  const headerBytes = new TextEncoder().encode(JSON.stringify(full));
  const payload = new Uint8Array(offset);
  const view = new DataView(payload.buffer);
  let p = 0;
  for (const t of [...weights, ...state, ...extra]) {
    for (let i = 0; i < t.values.length; i++, p += 4) view.setFloat32(p, t.values[i], true);
  }
  const out = new Uint8Array(PREAMBLE_BYTES + headerBytes.length + payload.length);
  const pre = new DataView(out.buffer);
  out.set(new TextEncoder().encode(MAGIC), 0);
  pre.setUint32(4, version, true);
  pre.setUint32(8, headerBytes.length, true);
  pre.setUint32(12, crc32(payload, crc32(headerBytes)), true);
  pre.setBigUint64(16, BigInt(payload.length), true);
  out.set(headerBytes, PREAMBLE_BYTES);
  out.set(payload, PREAMBLE_BYTES + headerBytes.length);
  return out;
}

export interface Named {
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface DecodedModelFile {
  header: ModelHeader;
  version: number;
  weights: Named[];
  state: Named[];
  /** A checkpoint's extra tensors (empty for a model file). */
  extra: Named[];
}

function bad(message: string): OxnetError {
  return new OxnetError('E_FORMAT', message);
}

/** File bytes -> header + tensors, refusing anything damaged or inconsistent with E_FORMAT. */
export function decodeModelFile(bytes: Uint8Array, source = 'model file'): DecodedModelFile {
  if (bytes.length < PREAMBLE_BYTES) throw bad(`${source}: ${bytes.length} bytes is shorter than the ${PREAMBLE_BYTES}-byte preamble (truncated)`);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (magic !== MAGIC) throw bad(`${source}: magic is ${JSON.stringify(magic)}, expected "${MAGIC}" (not an oxnet model)`);
  const pre = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES);
  const version = pre.getUint32(4, true);
  if (!READABLE_VERSIONS.includes(version)) throw bad(`${source}: format version ${version}, this oxnet reads versions ${READABLE_VERSIONS.join(' and ')}`);
  const headerLength = pre.getUint32(8, true);
  const storedCrc = pre.getUint32(12, true);
  const payloadLength = pre.getBigUint64(16, true);
  if (headerLength > MAX_HEADER_BYTES) throw bad(`${source}: header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  const expected = BigInt(PREAMBLE_BYTES) + BigInt(headerLength) + payloadLength;
  if (expected > BigInt(bytes.length)) throw bad(`${source}: header and payload need ${expected} bytes, the file has ${bytes.length} (truncated)`);
  if (expected < BigInt(bytes.length)) throw bad(`${source}: ${BigInt(bytes.length) - expected} unexpected bytes after the payload (oversized)`);
  const headerBytes = bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLength);
  const payload = bytes.subarray(PREAMBLE_BYTES + headerLength);
  const actualCrc = crc32(payload, crc32(headerBytes));
  if (actualCrc !== storedCrc) throw bad(`${source}: checksum mismatch (stored ${hex(storedCrc)}, computed ${hex(actualCrc)}); the file is damaged`);
  let header: ModelHeader;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    throw bad(`${source}: header is not valid JSON (${(e as Error).message})`);
  }
  checkHeader(header, version, source);
  const names = new Set<string>();
  const read = (entries: TensorEntry[], what: string): Named[] =>
    entries.map((e, i) => {
      checkEntry(e, `${what}[${i}]`, source);
      if (names.has(e.name)) throw bad(`${source}: duplicate tensor name ${JSON.stringify(e.name)}`);
      names.add(e.name);
      const count = e.shape.reduce((a, b) => a * b, 1);
      if (e.offset % 4 !== 0 || e.offset + count * 4 > payload.length) {
        throw bad(`${source}: ${e.name} (offset ${e.offset}, ${count} floats) lies outside the ${payload.length}-byte payload`);
      }
      const view = new DataView(payload.buffer, payload.byteOffset + e.offset, count * 4);
      const values = new Float32Array(count);
      for (let k = 0; k < count; k++) values[k] = view.getFloat32(k * 4, true);
      return { name: e.name, shape: [...e.shape], values };
    });
  const weights = read(header.weights, 'weights');
  const state = read(header.state, 'state');
  return { header, version, weights, state, extra: read(header.extra ?? [], 'extra') };
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function checkHeader(h: ModelHeader, version: number, source: string): void {
  if (!h || typeof h !== 'object' || h.format !== 'oxnet-model') throw bad(`${source}: header does not describe an oxnet model`);
  if (!Array.isArray(h.weights) || !Array.isArray(h.state)) throw bad(`${source}: header lacks weights or state arrays`);
  if (h.extra !== undefined && !Array.isArray(h.extra)) throw bad(`${source}: header's extra tensors are not an array`);
  if (version === 1 && (!Array.isArray(h.layers) || !Array.isArray(h.inputShape))) throw bad(`${source}: header lacks layers or inputShape arrays`);
  if (version >= 2) {
    const g = h.graph;
    const arrays = g && typeof g === 'object' && Array.isArray(g.inputs) && Array.isArray(g.layers) && Array.isArray(g.nodes) && Array.isArray(g.outputs);
    if (!arrays) throw bad(`${source}: header lacks the graph (inputs, layers, nodes, outputs arrays)`);
    if (g.kind !== 'sequential' && g.kind !== 'functional')
      throw bad(`${source}: graph kind ${JSON.stringify(g.kind)} is neither 'sequential' nor 'functional'`);
  }
  if (!Number.isInteger(h.seed) || h.seed < 0 || h.seed > 0xffffffff) throw bad(`${source}: seed ${JSON.stringify(h.seed)} is not a 32-bit integer`);
}

function checkEntry(e: TensorEntry, where: string, source: string): void {
  if (!e || typeof e !== 'object' || typeof e.name !== 'string') throw bad(`${source}: ${where} has no name`);
  if (e.dtype !== 'float32') throw bad(`${source}: ${e.name} has dtype ${JSON.stringify(e.dtype)}, only 'float32' is supported`);
  if (!Array.isArray(e.shape) || e.shape.some((d) => !Number.isInteger(d) || d < 0 || d > 2 ** 31)) {
    throw bad(`${source}: ${e.name} has an invalid shape ${JSON.stringify(e.shape)}`);
  }
  if (!Number.isInteger(e.offset) || e.offset < 0) throw bad(`${source}: ${e.name} has an invalid offset ${JSON.stringify(e.offset)}`);
}
