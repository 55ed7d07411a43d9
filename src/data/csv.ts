// CSV tables -> (x, y) arrays: a header row, numeric feature columns, and a target that is
// one-hot encoded (classification, class names kept), numeric (regression) or the features
// themselves (autoencoder). Parsing is csv-parse's; this module only checks and converts.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import * as arg from '../args';
import { OxnetError } from '../errors';

export type CsvTask = 'classification' | 'regression' | 'autoencoder';

export interface CsvOptions {
  task: CsvTask;
  /** Target column name(s). Required for classification (one column) and regression. */
  target?: string | string[];
  /** Feature columns; default every column that is not a target. */
  features?: string[];
  /** Known class names (from a saved model): rows are encoded against these, in this order. */
  classes?: string[];
  /** false: the target column may be absent (prediction input); y is then empty. Default true. */
  requireTarget?: boolean;
  delimiter?: string;
}

export interface CsvDataset {
  task: CsvTask;
  x: Float32Array;
  y: Float32Array;
  count: number;
  inputSize: number;
  targetSize: number;
  featureNames: string[];
  targetNames: string[];
  /** Classification only: the class of output k is classNames[k]. */
  classNames?: string[];
}

/** Reads a file, or parses the string itself when it contains a line break. */
export function loadCsv(pathOrText: string, options: CsvOptions): CsvDataset {
  arg.string(pathOrText, 'loadCsv: pathOrText');
  const isText = /[\r\n]/.test(pathOrText);
  let text = pathOrText;
  if (!isText) {
    arg.path(pathOrText, 'loadCsv', 'pathOrText');
    checkOptions('loadCsv', options);
    try {
      text = readFileSync(pathOrText, 'utf8');
    } catch (e) {
      throw arg.fsError(e, 'loadCsv', 'read CSV file', pathOrText);
    }
  }
  return parseCsv(text, options, isText ? 'CSV text' : `'${pathOrText}'`);
}

const CSV_KEYS = ['task', 'target', 'features', 'classes', 'requireTarget', 'delimiter'];

function checkOptions(fn: string, options: unknown): CsvOptions {
  const o = arg.options(options, fn, { required: true, keys: CSV_KEYS });
  checkTask(o.task);
  const names = (v: unknown, param: string) => {
    if (v !== undefined && (!Array.isArray(v) || v.some((n) => typeof n !== 'string'))) {
      throw new OxnetError('E_ARG', `${fn}: ${param} must be an array of column names, got ${arg.describe(v)}`);
    }
  };
  if (o.target !== undefined && typeof o.target !== 'string') names(o.target, 'target');
  names(o.features, 'features');
  names(o.classes, 'classes');
  if (o.requireTarget !== undefined) arg.boolean(o.requireTarget, `${fn}: requireTarget`);
  if (o.delimiter !== undefined && (typeof o.delimiter !== 'string' || o.delimiter === '')) {
    throw new OxnetError('E_ARG', `${fn}: delimiter must be a non-empty string, got ${arg.describe(o.delimiter)}`);
  }
  return o as unknown as CsvOptions;
}

/** Parses CSV text; `source` names it in error messages. */
export function parseCsv(text: string, options: CsvOptions, source = 'CSV text'): CsvDataset {
  arg.string(text, 'parseCsv: text');
  checkOptions('parseCsv', options);
  arg.string(source, 'parseCsv: source');
  const rows = parseRows(text, options.delimiter, source);
  if (rows.length === 0) throw new OxnetError('E_DATA', `${source} is empty (no header row)`);
  const header = rows[0];
  const body = rows.slice(1);
  if (body.length === 0) throw new OxnetError('E_DATA', `${source} has a header but no data rows`);
  checkHeader(header, source);

  const targetNames = resolveTargets(header, options, source);
  const featureNames = options.features ?? header.filter((h) => !targetNames.includes(h));
  const featureCols = columnIndices(header, featureNames, 'feature', source);
  if (featureCols.length === 0) throw new OxnetError('E_DATA', `${source} has no feature columns`);
  const targetCols = columnIndices(header, targetNames, 'target', source);

  const x = numericColumns(body, header, featureCols, source);
  const base = { task: options.task, x, count: body.length, inputSize: featureCols.length, featureNames };
  if (options.task === 'autoencoder') {
    return { ...base, y: x, targetSize: featureCols.length, targetNames: featureNames };
  }
  if (targetCols.length === 0) {
    return { ...base, y: new Float32Array(0), targetSize: 0, targetNames, classNames: options.classes };
  }
  if (options.task === 'regression') {
    return { ...base, y: numericColumns(body, header, targetCols, source), targetSize: targetCols.length, targetNames };
  }
  const labels = body.map((row) => row[targetCols[0]]);
  const classNames = options.classes ?? distinctClasses(labels);
  return { ...base, y: oneHot(labels, classNames, header[targetCols[0]], source), targetSize: classNames.length, targetNames, classNames };
}

function checkTask(task: unknown): void {
  if (task !== 'classification' && task !== 'regression' && task !== 'autoencoder') {
    throw new OxnetError('E_ARG', `task must be 'classification', 'regression' or 'autoencoder', got ${arg.describe(task)}`);
  }
}

function parseRows(text: string, delimiter: string | undefined, source: string): string[][] {
  try {
    return parse(text, { bom: true, trim: true, skip_empty_lines: true, delimiter: delimiter ?? ',' }) as string[][];
  } catch (e) {
    // csv-parse messages name the line: "Invalid Record Length: expect 3, got 2 on line 4"
    throw new OxnetError('E_DATA', `${source}: ${(e as Error).message}`, { cause: e });
  }
}

function checkHeader(header: string[], source: string): void {
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new OxnetError('E_DATA', `${source}: header column ${i + 1} has no name`);
    if (seen.has(name)) throw new OxnetError('E_DATA', `${source}: header names column '${name}' twice`);
    seen.add(name);
  });
}

function resolveTargets(header: string[], options: CsvOptions, source: string): string[] {
  const targets = options.target === undefined ? [] : Array.isArray(options.target) ? options.target : [options.target];
  const required = options.requireTarget ?? true;
  if (options.task !== 'autoencoder' && targets.length === 0) {
    throw new OxnetError('E_ARG', `target: a ${options.task} task needs a target column`);
  }
  if (options.task === 'classification' && targets.length > 1) {
    throw new OxnetError('E_ARG', `target: classification takes one target column, got ${targets.join(', ')}`);
  }
  const missing = targets.filter((t) => !header.includes(t));
  if (missing.length > 0 && (required || missing.length < targets.length)) {
    throw new OxnetError('E_DATA', `${source}: no column named '${missing[0]}' (columns: ${header.join(', ')})`);
  }
  return missing.length > 0 ? [] : targets;
}

function columnIndices(header: string[], names: string[], role: string, source: string): number[] {
  return names.map((name) => {
    const i = header.indexOf(name);
    if (i < 0) throw new OxnetError('E_DATA', `${source}: no ${role} column named '${name}' (columns: ${header.join(', ')})`);
    return i;
  });
}

/** Data row r (0-based) sits on line r + 2 of the file: the header is line 1. */
function numericColumns(body: string[][], header: string[], cols: number[], source: string): Float32Array {
  const out = new Float32Array(body.length * cols.length);
  body.forEach((row, r) => {
    cols.forEach((c, k) => {
      const cell = row[c];
      const value = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(value)) {
        const what = cell === '' ? 'an empty value' : `'${cell}', not a number`;
        throw new OxnetError('E_DATA', `${source}: line ${r + 2}, column '${header[c]}' has ${what}`);
      }
      out[r * cols.length + k] = value;
    });
  });
  return out;
}

/** Class names in a stable order: numeric order when all look numeric, else string order. */
export function distinctClasses(labels: string[]): string[] {
  const names = [...new Set(labels)];
  const numeric = names.every((n) => n !== '' && Number.isFinite(Number(n)));
  return numeric ? names.sort((a, b) => Number(a) - Number(b)) : names.sort();
}

function oneHot(labels: string[], classNames: string[], column: string, source: string): Float32Array {
  const index = new Map(classNames.map((name, k) => [name, k]));
  const y = new Float32Array(labels.length * classNames.length);
  labels.forEach((label, r) => {
    const k = index.get(label);
    if (k === undefined) {
      throw new OxnetError('E_DATA', `${source}: line ${r + 2}, column '${column}' has unknown class '${label}' (known: ${classNames.join(', ')})`);
    }
    y[r * classNames.length + k] = 1;
  });
  return y;
}
