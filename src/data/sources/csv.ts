// CSV files streamed row by row (csv-parse's stream API over a file stream): a first pass
// checks the header, counts the rows and collects the class names; every pass after that
// parses the file again and yields { x, y } per row, as loadCsv would encode it.
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import * as arg from '../../args';
import { type CsvTask, distinctClasses } from '../csv';
import { OxnetError } from '../../errors';
import { openFile } from './rowFile';
import { DataSource } from './source';

export interface CsvSourceOptions {
  task: CsvTask;
  /** Target column name(s): one for classification, one or more for regression. */
  target?: string | string[];
  /** Feature columns; default every column that is not a target. */
  features?: string[];
  /** Class names in output order; default the distinct values of the target column (first pass). */
  classes?: string[];
  delimiter?: string;
}

/** One row: features, and the target (one-hot, numbers, or the features for an autoencoder). */
export interface CsvSample {
  x: Float32Array;
  y: Float32Array;
}

/** A streamed CSV file with what its first pass found. */
export class CsvSource extends DataSource<CsvSample> {
  constructor(
    open: () => AsyncIterator<CsvSample>,
    readonly count: number,
    readonly featureNames: string[],
    readonly targetNames: string[],
    readonly classNames: string[] | undefined,
  ) {
    super(open, count);
  }
}

interface Row {
  record: string[];
  info: { lines: number; bytes: number };
}

function rows(path: string, delimiter: string): AsyncIterable<Row> {
  const parser = parse({ bom: true, trim: true, skip_empty_lines: true, delimiter, info: true });
  const stream = createReadStream(path);
  stream.on('error', (e) => parser.destroy(arg.fsError(e, 'csvSource', 'read', path)));
  return stream.pipe(parser) as AsyncIterable<Row>;
}

async function* parsed(path: string, delimiter: string): AsyncGenerator<Row> {
  try {
    yield* rows(path, delimiter);
  } catch (e) {
    if (e instanceof OxnetError) throw e;
    // csv-parse messages name the line: "Invalid Record Length: expect 3, got 2 on line 4"
    throw new OxnetError('E_DATA', `'${path}': ${(e as Error).message}`, { cause: e });
  }
}

/** A CSV file as a source of { x, y } rows, read lazily (never whole); see CsvSourceOptions. */
export async function csvSource(path: string, options: CsvSourceOptions): Promise<CsvSource> {
  arg.path(path, 'csvSource');
  const o = arg.options(options, 'csvSource', { required: true, keys: ['task', 'target', 'features', 'classes', 'delimiter'] });
  const task = o.task as CsvTask;
  if (task !== 'classification' && task !== 'regression' && task !== 'autoencoder') {
    throw new OxnetError('E_ARG', `csvSource: task must be 'classification', 'regression' or 'autoencoder', got ${arg.describe(task)}`);
  }
  const names = (v: unknown, param: string): string[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((n) => typeof n !== 'string'))
      throw new OxnetError('E_ARG', `csvSource: ${param} must be an array of column names, got ${arg.describe(v)}`);
    return v;
  };
  const targets = typeof o.target === 'string' ? [o.target] : (names(o.target, 'target') ?? []);
  const features = names(o.features, 'features');
  let classes = names(o.classes, 'classes');
  const delimiter = o.delimiter === undefined ? ',' : o.delimiter;
  if (typeof delimiter !== 'string' || delimiter === '')
    throw new OxnetError('E_ARG', `csvSource: delimiter must be a non-empty string, got ${arg.describe(delimiter)}`);
  if (task !== 'autoencoder' && targets.length === 0) throw new OxnetError('E_ARG', `csvSource: a ${task} task needs a target column`);
  if (task === 'classification' && targets.length > 1)
    throw new OxnetError('E_ARG', `csvSource: classification takes one target column, got ${targets.join(', ')}`);
  await (await openFile(path, 'csvSource')).close(); // a missing file fails here, as E_IO

  // First pass: header, row count, class names.
  let header: string[] | null = null;
  let count = 0;
  const seen = new Set<string>();
  let targetCol = -1;
  for await (const { record } of parsed(path, delimiter)) {
    if (!header) {
      header = record;
      checkHeader(header, path);
      const missing = [...targets, ...(features ?? [])].find((c) => !header?.includes(c));
      if (missing !== undefined) throw new OxnetError('E_DATA', `'${path}': no column named '${missing}' (columns: ${header.join(', ')})`);
      targetCol = task === 'classification' ? header.indexOf(targets[0]) : -1;
      continue;
    }
    count++;
    if (targetCol >= 0 && !classes) seen.add(record[targetCol]);
  }
  if (!header) throw new OxnetError('E_DATA', `'${path}' is empty (no header row)`);
  const head = header;
  const featureNames = features ?? head.filter((h) => !targets.includes(h));
  if (featureNames.length === 0) throw new OxnetError('E_DATA', `'${path}' has no feature columns`);
  const featureCols = featureNames.map((n) => head.indexOf(n));
  const targetCols = targets.map((n) => head.indexOf(n));
  if (task === 'classification') classes ??= distinctClasses([...seen]);
  const classIndex = new Map((classes ?? []).map((c, k) => [c, k]));
  const cls = classes;

  const open = async function* (): AsyncGenerator<CsvSample> {
    let line = 0;
    for await (const { record, info } of parsed(path, delimiter)) {
      if (line++ === 0) continue; // the header
      const at = `'${path}' line ${info.lines}`;
      const x = numbers(record, featureCols, head, at);
      let y: Float32Array;
      if (task === 'autoencoder') y = x;
      else if (task === 'regression') y = numbers(record, targetCols, head, at);
      else {
        const k = classIndex.get(record[targetCols[0]]);
        if (k === undefined)
          throw new OxnetError('E_DATA', `${at}, column '${targets[0]}' has unknown class '${record[targetCols[0]]}' (known: ${cls?.join(', ')})`);
        y = new Float32Array(classIndex.size);
        y[k] = 1;
      }
      yield { x, y };
    }
  };
  return new CsvSource(open, count, featureNames, task === 'autoencoder' ? featureNames : targets, cls);
}

function checkHeader(header: string[], path: string): void {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new OxnetError('E_DATA', `'${path}': header column ${i + 1} has no name`);
    if (seen.has(name)) throw new OxnetError('E_DATA', `'${path}': header names column '${name}' twice`);
    seen.add(name);
  });
}

function numbers(record: string[], cols: number[], header: string[], at: string): Float32Array {
  const out = new Float32Array(cols.length);
  cols.forEach((c, k) => {
    const cell = record[c];
    const v = cell === '' ? Number.NaN : Number(cell);
    if (!Number.isFinite(v)) throw new OxnetError('E_DATA', `${at}, column '${header[c]}' has ${cell === '' ? 'an empty value' : `'${cell}', not a number`}`);
    out[k] = v;
  });
  return out;
}
