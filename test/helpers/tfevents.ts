// A reader of TensorBoard event files for the tests: every record's framing and both CRCs are
// checked, and each record is decoded with the protobufjs types the writer uses.
import { crc32c } from '@aws-crypto/crc32c';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EventType, maskCrc, type TfEvent } from '../../src/training/tfevents';

export function readEventFile(path: string): TfEvent[] {
  const buf = readFileSync(path);
  const events: TfEvent[] = [];
  for (let off = 0; off < buf.length; ) {
    if (off + 12 > buf.length) throw new Error(`${path}: truncated record header at byte ${off}`);
    const len = Number(buf.readBigUInt64LE(off));
    if (buf.readUInt32LE(off + 8) !== maskCrc(crc32c(buf.subarray(off, off + 8)))) throw new Error(`${path}: bad length CRC at byte ${off}`);
    const data = buf.subarray(off + 12, off + 12 + len);
    if (data.length !== len || off + 16 + len > buf.length) throw new Error(`${path}: truncated record at byte ${off}`);
    if (buf.readUInt32LE(off + 12 + len) !== maskCrc(crc32c(data))) throw new Error(`${path}: bad data CRC at byte ${off}`);
    events.push(EventType.toObject(EventType.decode(data), { longs: Number, arrays: true, defaults: true }) as TfEvent);
    off += 16 + len;
  }
  return events;
}

/** The event files of one run folder (logdir/train, logdir/val), oldest name first. */
export function eventFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()
    .map((f) => join(dir, f));
}

/** tag -> [step, value] pairs of the simple_value scalars, in file order. */
export function scalars(events: TfEvent[]): Record<string, [number, number][]> {
  const out: Record<string, [number, number][]> = {};
  for (const e of events) {
    for (const v of e.summary?.value ?? []) {
      if (v.simpleValue === undefined) continue;
      if (!out[v.tag]) out[v.tag] = [];
      out[v.tag].push([e.step, v.simpleValue]);
    }
  }
  return out;
}
