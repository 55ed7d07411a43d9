// Command-line parsing for `oxnet` (node:util parseArgs) into checked, typed options.
import { parseArgs } from 'node:util';
import type { CsvTask } from '../data/csv';
import type { NormalizerKind } from '../data/normalize';
import { OxnetError } from '../errors';

export const HELP = `oxnet: train and use small neural networks on CSV data

Usage:
  oxnet train <data.csv> --target <column> --task <task> [options]
  oxnet predict <model.oxnet> <data.csv> [--out predictions.csv]
  oxnet --help | --version

train: normalize the features (fit on the training split only), split into training,
validation and test sets, train (optionally trying several hidden-layer sizes), report the
test score, and save the model with its normalizer.
  --target <column>       the column to predict (autoencoder: a column to leave out)
  --task <task>           classification | regression | autoencoder
  --hidden <sizes>        hidden layer sizes, e.g. 16,8 (default 16)
  --search <list>         hidden sizes to compare on the validation set, ';'-separated,
                          e.g. "4;8;16,8" (the best is kept and tested once)
  --activation <name>     hidden activation: relu | tanh | sigmoid (default tanh)
  --epochs <n>            default 200
  --lr <rate>             Adam learning rate (default 0.01)
  --batch-size <n>        default 16
  --seed <n>              one seed for split, initial weights and order (default 1)
  --restarts <n>          random restarts per size, the best kept (default 1)
  --split <a,b,c>         train,validation,test fractions (default 0.7,0.15,0.15)
  --normalize <kind>      zscore | minmax (default zscore; minmax for autoencoder)
  --patience <n>          stop when the validation loss stalls this many epochs (default 30)
  --out <file>            where to save the model (default model.oxnet)
  --report <file.html>    also write an HTML report of the run (curves, test scores, layers)
  --quiet                 no per-epoch progress

predict: apply a saved model (and its normalizer) to a CSV with the same feature columns;
writes one row per input: the predicted class, or the predicted values, as CSV.
  --out <file>            write the predictions there instead of standard output
`;

export interface TrainArgs {
  command: 'train';
  data: string;
  target?: string;
  task: CsvTask;
  hidden: number[];
  search?: number[][];
  activation: 'relu' | 'tanh' | 'sigmoid';
  epochs: number;
  lr: number;
  batchSize: number;
  seed: number;
  restarts: number;
  split: [number, number, number];
  normalize: NormalizerKind;
  patience: number;
  out: string;
  /** Where to write the HTML report, if asked. */
  report?: string;
  quiet: boolean;
}

export interface PredictArgs {
  command: 'predict';
  model: string;
  data: string;
  out?: string;
}

export type CliArgs = TrainArgs | PredictArgs | { command: 'help' } | { command: 'version' };

const OPTIONS = {
  target: { type: 'string' },
  task: { type: 'string' },
  hidden: { type: 'string' },
  search: { type: 'string' },
  activation: { type: 'string' },
  epochs: { type: 'string' },
  lr: { type: 'string' },
  'batch-size': { type: 'string' },
  seed: { type: 'string' },
  restarts: { type: 'string' },
  split: { type: 'string' },
  normalize: { type: 'string' },
  patience: { type: 'string' },
  out: { type: 'string', short: 'o' },
  report: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

function usage(message: string): OxnetError {
  return new OxnetError('E_ARG', `${message} (see oxnet --help)`);
}

function integer(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw usage(`--${name} must be an integer >= ${min}, got '${value}'`);
  return n;
}

function positiveNumber(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw usage(`--${name} must be a number > 0, got '${value}'`);
  return n;
}

/** "16,8" -> [16, 8]; "" -> [] (no hidden layer). */
export function parseSizes(text: string, name: string): number[] {
  if (text.trim() === '' || text.trim() === '0') return [];
  return text.split(',').map((part) => {
    const n = Number(part.trim());
    if (!Number.isInteger(n) || n < 1) throw usage(`--${name}: layer sizes must be positive integers, got '${text}'`);
    return n;
  });
}

function choice<T extends string>(value: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw usage(`--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

function reportPath(value: string): string {
  if (value === '' || !/\.html?$/i.test(value)) throw usage(`--report must name an .html file, got '${value}'`);
  return value;
}

export function parseCli(argv: string[]): CliArgs {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (e) {
      throw usage((e as Error).message.split('\n')[0]);
    }
  })();
  const { values: v, positionals } = parsed;
  if (v.help || positionals[0] === 'help' || argv.length === 0) return { command: 'help' };
  if (v.version) return { command: 'version' };
  const [command, ...rest] = positionals;
  if (command === 'predict') {
    if (rest.length !== 2) throw usage(`predict takes <model.oxnet> <data.csv>, got ${rest.length} argument(s)`);
    return { command: 'predict', model: rest[0], data: rest[1], out: v.out };
  }
  if (command !== 'train') throw usage(`unknown command '${command ?? ''}': use train or predict`);
  if (rest.length !== 1) throw usage(`train takes one <data.csv>, got ${rest.length} argument(s)`);
  if (v.task === undefined) throw usage('train needs --task classification|regression|autoencoder');
  const task = choice(v.task, 'task', ['classification', 'regression', 'autoencoder'] as const, 'classification');
  if (task !== 'autoencoder' && v.target === undefined) throw usage(`--task ${task} needs --target <column>`);
  const split = (v.split ?? '0.7,0.15,0.15').split(',').map(Number);
  if (split.length !== 3 || split.some((f) => !Number.isFinite(f) || f < 0) || Math.abs(split[0] + split[1] + split[2] - 1) > 1e-6 || split[1] === 0) {
    throw usage(`--split must be three fractions summing to 1 with a validation part > 0, got '${v.split}'`);
  }
  return {
    command: 'train',
    data: rest[0],
    target: v.target,
    task,
    hidden: parseSizes(v.hidden ?? '16', 'hidden'),
    search: v.search === undefined ? undefined : v.search.split(';').map((s) => parseSizes(s, 'search')),
    activation: choice(v.activation, 'activation', ['relu', 'tanh', 'sigmoid'] as const, 'tanh'),
    epochs: integer(v.epochs, 'epochs', 200, 1),
    lr: positiveNumber(v.lr, 'lr', 0.01),
    batchSize: integer(v['batch-size'], 'batch-size', 16, 1),
    seed: integer(v.seed, 'seed', 1, 0),
    restarts: integer(v.restarts, 'restarts', 1, 1),
    split: split as [number, number, number],
    normalize: choice(v.normalize, 'normalize', ['zscore', 'minmax'] as const, task === 'autoencoder' ? 'minmax' : 'zscore'),
    patience: integer(v.patience, 'patience', 30, 0),
    out: v.out ?? 'model.oxnet',
    ...(v.report !== undefined ? { report: reportPath(v.report) } : {}),
    quiet: v.quiet ?? false,
  };
}
