// TensorBoard event files: the few protobuf messages TensorBoard reads (Event, Summary,
// Summary.Value with simple_value or histo, HistogramProto; field numbers as in TensorFlow's
// event.proto and summary.proto), encoded by protobufjs, and TFRecord framing: uint64 length,
// masked CRC-32C of the length bytes, the data, masked CRC-32C of the data (little-endian).
// Writes go through one promise chain of fs.write calls, so training never waits for the disk.
import { crc32c } from '@aws-crypto/crc32c';
import { close as fsClose, write as fsWrite, mkdirSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as protobuf from 'protobufjs/light';
import { OxnetError } from '../errors';

const packed = { packed: true };

/** protobufjs types for the messages, by reflection (no .proto file to ship or parse). */
export const tfeventsRoot = protobuf.Root.fromJSON({
  nested: {
    tensorboard: {
      nested: {
        Event: {
          oneofs: { what: { oneof: ['fileVersion', 'summary'] } },
          fields: {
            wallTime: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            fileVersion: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
        },
        Summary: {
          fields: { value: { rule: 'repeated', type: 'Value', id: 1 } },
          nested: {
            Value: {
              oneofs: { value: { oneof: ['simpleValue', 'histo'] } },
              fields: {
                tag: { type: 'string', id: 1 },
                simpleValue: { type: 'float', id: 2 },
                histo: { type: 'HistogramProto', id: 5 },
              },
            },
          },
        },
        HistogramProto: {
          fields: {
            min: { type: 'double', id: 1 },
            max: { type: 'double', id: 2 },
            num: { type: 'double', id: 3 },
            sum: { type: 'double', id: 4 },
            sumSquares: { type: 'double', id: 5 },
            bucketLimit: { rule: 'repeated', type: 'double', id: 6, options: packed },
            bucket: { rule: 'repeated', type: 'double', id: 7, options: packed },
          },
        },
      },
    },
  },
});

export const EventType = tfeventsRoot.lookupType('tensorboard.Event');

export interface Histogram {
  min: number;
  max: number;
  num: number;
  sum: number;
  sumSquares: number;
  bucketLimit: number[];
  bucket: number[];
}

export interface SummaryValue {
  tag: string;
  simpleValue?: number;
  histo?: Histogram;
}

export interface TfEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  summary?: { value: SummaryValue[] };
}

/** TFRecord's CRC mask: rotate right by 15 bits, add a constant (mod 2^32). */
export function maskCrc(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: length, masked CRC of the length bytes, data, masked CRC of the data. */
export function frameRecord(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(data.length + 16);
  out.writeBigUInt64LE(BigInt(data.length), 0);
  out.writeUInt32LE(maskCrc(crc32c(out.subarray(0, 8))), 8);
  out.set(data, 12);
  out.writeUInt32LE(maskCrc(crc32c(data)), 12 + data.length);
  return out;
}

export function encodeEvent(event: TfEvent): Uint8Array {
  return EventType.encode(EventType.fromObject(event)).finish();
}

/**
 * A histogram of finite values in `buckets` equal-width buckets between their min and max
 * (bucket i holds values up to bucketLimit[i]); num counts the finite values.
 */
export function histogram(values: ArrayLike<number>, buckets = 30): Histogram {
  let min = Infinity;
  let max = -Infinity;
  let num = 0;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    num++;
    sum += v;
    sumSquares += v * v;
  }
  if (num === 0) return { min: 0, max: 0, num: 0, sum: 0, sumSquares: 0, bucketLimit: [0], bucket: [0] };
  const k = max > min ? buckets : 1;
  const width = (max - min) / k;
  const bucket = new Array<number>(k).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    bucket[k === 1 ? 0 : Math.min(k - 1, Math.floor((v - min) / width))]++;
  }
  const bucketLimit = Array.from({ length: k }, (_, i) => (i === k - 1 ? max : min + (i + 1) * width));
  return { min, max, num, sum, sumSquares, bucketLimit, bucket };
}

/** The file name TensorBoard looks for: events.out.tfevents.<unix seconds>.<hostname>. */
export function eventFileName(now = Date.now()): string {
  return `events.out.tfevents.${Math.floor(now / 1000)}.${hostname()}`;
}

/**
 * One event file in `dir` (created if missing). Events are encoded and framed at once, kept in
 * memory, and handed to the disk by flush() without waiting (each write holds whole records);
 * close() waits for every write. A failed write is thrown by the next flush() or close().
 */
export class EventFileWriter {
  private pending: Buffer[] = [];
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {
    this.add({ wallTime: Date.now() / 1000, step: 0, fileVersion: 'brain.Event:2' });
    this.flush();
  }

  /** Opens a new event file in `dir`; a second one in the same second gets .1, .2, ... (never two writers on one file). */
  static create(dir: string): EventFileWriter {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (e) {
      throw new OxnetError('E_IO', `tensorBoard: cannot create the log folder '${dir}': ${(e as Error).message}`, { cause: e });
    }
    const base = join(dir, eventFileName());
    for (let n = 0; ; n++) {
      const path = n === 0 ? base : `${base}.${n}`;
      try {
        return new EventFileWriter(path, openSync(path, 'wx'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST' && n < 1000) continue;
        throw new OxnetError('E_IO', `tensorBoard: cannot create the event file '${path}': ${(e as Error).message}`, { cause: e });
      }
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  add(event: TfEvent): void {
    if (this.closed) throw new OxnetError('E_STATE', `tensorBoard: event file '${this.path}' is closed`);
    this.pending.push(frameRecord(encodeEvent(event)));
  }

  scalar(tag: string, value: number, step: number, wallTime = Date.now() / 1000): void {
    this.add({ wallTime, step, summary: { value: [{ tag, simpleValue: value }] } });
  }

  histogram(tag: string, values: ArrayLike<number>, step: number, wallTime = Date.now() / 1000): void {
    this.add({ wallTime, step, summary: { value: [{ tag, histo: histogram(values) }] } });
  }

  /** Starts writing what was added; does not wait for the disk. */
  flush(): void {
    this.throwFailure();
    this.enqueue();
  }

  /** Writes what is left, waits for every write, closes the file (also after a failed write). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.enqueue();
    await this.chain;
    await new Promise<void>((resolve) => fsClose(this.fd, () => resolve()));
    this.throwFailure();
  }

  private enqueue(): void {
    if (this.pending.length === 0) return;
    const buf = Buffer.concat(this.pending);
    this.pending = [];
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await writeAll(this.fd, buf);
      } catch (e) {
        this.failure = e;
      }
    });
  }

  private throwFailure(): void {
    if (this.failure) {
      const e = this.failure;
      throw new OxnetError('E_IO', `tensorBoard: writing '${this.path}' failed: ${(e as Error).message}`, { cause: e });
    }
  }
}

/** fs.write until every byte is out (a write may take fewer). */
async function writeAll(fd: number, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    off += await new Promise<number>((resolve, reject) => fsWrite(fd, buf, off, buf.length - off, null, (e, n) => (e ? reject(e) : resolve(n))));
  }
}
