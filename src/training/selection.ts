// The recipe's "decide whether you need hidden layers and how big: try several ones": train each
// candidate (with random restarts), compare them on the validation split only, keep the best, and
// touch the test split once, for the winner.
import type { EvalResult } from '../model/evaluate';
import type { History } from '../model/history';
import type { Sequential } from '../model/sequential';
import * as arg from '../args';
import { OxnetError } from '../errors';
import { fitWithRestarts, type RestartsOptions } from './restarts';

export interface SplitData {
  x: Float32Array;
  y: Float32Array;
}

export interface SelectionOptions<C> {
  /** Candidate configurations, e.g. hidden-layer sizes [[4], [8], [16, 8]]. */
  configs: C[];
  /** A compiled model for `config` whose initial weights come from `seed`. */
  build: (config: C, seed: number) => Sequential;
  train: SplitData;
  val: SplitData;
  /** Evaluated once, with the selected model only. */
  test?: SplitData;
  /** Random restarts per configuration (default 1). */
  restarts?: number;
  seed?: number;
  fitArgs?: RestartsOptions['fitArgs'];
  /** How a configuration is shown in the table (default JSON). */
  label?: (config: C) => string;
  /** Called with each row as it is finished (progress). */
  onResult?: (row: SelectionRow<C>) => void;
}

export interface SelectionRow<C> {
  config: C;
  label: string;
  /** Validation scores of the best restart of this configuration. */
  val: EvalResult;
  trainLoss: number;
  epochs: number;
  params: number;
}

export interface SelectionResult<C> {
  rows: SelectionRow<C>[];
  /** The selected row, its model and the History of that model's training. */
  best: SelectionRow<C> & { model: Sequential; history: History };
  test?: EvalResult;
}

/** Trains every configuration and keeps the one with the lowest validation loss. */
export async function selectModel<C>(opts: SelectionOptions<C>): Promise<SelectionResult<C>> {
  arg.options(opts, 'selectModel', {
    required: true,
    keys: ['configs', 'build', 'train', 'val', 'test', 'restarts', 'seed', 'fitArgs', 'label', 'onResult'],
  });
  if (!Array.isArray(opts.configs) || opts.configs.length === 0) {
    throw new OxnetError('E_ARG', `selectModel: configs must be a non-empty array, got ${arg.describe(opts.configs)}`);
  }
  arg.func(opts.build, 'selectModel: build');
  for (const part of ['train', 'val', 'test'] as const) {
    const d = opts[part];
    if (part === 'test' && d === undefined) continue;
    if (!arg.isPlainObject(d)) throw new OxnetError('E_ARG', `selectModel: ${part} must be { x, y }, got ${arg.describe(d)}`);
    arg.numbers(d.x, `selectModel: ${part}.x`);
    arg.numbers(d.y, `selectModel: ${part}.y`);
  }
  if (opts.label !== undefined) arg.func(opts.label, 'selectModel: label');
  if (opts.onResult !== undefined) arg.func(opts.onResult, 'selectModel: onResult');
  const label = opts.label ?? ((c: C) => JSON.stringify(c));
  const seed = opts.seed === undefined ? 0 : arg.seed(opts.seed, 'selectModel: seed');
  const rows: SelectionRow<C>[] = [];
  let best: (SelectionRow<C> & { model: Sequential; history: History }) | null = null;
  for (const config of opts.configs) {
    const { best: run } = await fitWithRestarts((s) => opts.build(config, s), opts.train.x, opts.train.y, {
      restarts: opts.restarts ?? 1,
      seed,
      fitArgs: opts.fitArgs,
      validationData: [opts.val.x, opts.val.y],
    });
    const model = run.model;
    const losses = run.history.loss;
    const row: SelectionRow<C> = {
      config,
      label: label(config),
      val: model.evaluate(opts.val.x, opts.val.y),
      trainLoss: losses[losses.length - 1] ?? NaN,
      epochs: losses.length,
      params: model.getWeights().reduce((sum, w) => sum + w.length, 0),
    };
    rows.push(row);
    opts.onResult?.(row);
    // NaN never wins: a diverged candidate cannot be selected
    if (best === null || row.val.loss < best.val.loss || Number.isNaN(best.val.loss)) best = { ...row, model, history: run.history };
  }
  const chosen = best as SelectionRow<C> & { model: Sequential; history: History };
  const test = opts.test ? chosen.model.evaluate(opts.test.x, opts.test.y) : undefined;
  return { rows, best: chosen, test };
}

/** The comparison as a text table, the selected row marked with '*'. */
export function selectionTable<C>(result: SelectionResult<C>, opts: { accuracy?: boolean } = {}): string {
  if (!arg.isPlainObject(result) || !Array.isArray(result.rows) || !arg.isPlainObject(result.best)) {
    throw new OxnetError('E_ARG', `selectionTable: result must be what selectModel returned ({ rows, best }), got ${arg.describe(result)}`);
  }
  const o = arg.options(opts, 'selectionTable', { keys: ['accuracy'] });
  if (o.accuracy !== undefined) arg.boolean(o.accuracy, 'selectionTable: accuracy');
  for (const [i, r] of result.rows.entries()) {
    if (!arg.isPlainObject(r) || typeof r.label !== 'string' || typeof r.trainLoss !== 'number' || !arg.isPlainObject(r.val)) {
      throw new OxnetError('E_ARG', `selectionTable: result.rows[${i}] is not a selection row, got ${arg.describe(r)}`);
    }
  }
  const header = ['', 'hidden', 'params', 'epochs', 'train loss', 'val loss'];
  if (opts.accuracy) header.push('val acc');
  const rows = result.rows.map((r) => {
    const cells = [r.config === result.best.config ? '*' : '', r.label, String(r.params), String(r.epochs), r.trainLoss.toFixed(4), r.val.loss.toFixed(4)];
    if (opts.accuracy) cells.push(r.val.accuracy.toFixed(4));
    return cells;
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
