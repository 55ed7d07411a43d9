// The course's answer to local minima: multiple random restarts. Train K copies from different
// seeds and keep the one with the lowest validation loss (training loss when there is no
// validation data).
import * as arg from '../args';
import { OxnetError } from '../errors';
import type { FitOptions } from '../model/fit';
import type { History } from '../model/history';
import { deriveSeed, SeedPurpose } from '../model/seeds';
import { Model } from '../model/model';
import type { Sequential } from '../model/sequential';
import type { TensorLike } from '../model/tensors';

export interface RestartsOptions {
  /** Number of copies K (default 5). */
  restarts?: number;
  /** Base seed; copy k is built with a seed derived from (seed, k). Default 0. */
  seed?: number;
  fitArgs?: Omit<FitOptions, 'validationData' | 'seed'>;
  validationData?: [TensorLike, TensorLike];
  /** Stop trying further copies once one scores <= targetLoss. */
  targetLoss?: number;
}

export interface RestartResult {
  /** The seed the copy was built (and trained) with. */
  seed: number;
  model: Sequential;
  history: History;
  /** Final loss the copies are compared on: validation loss, or training loss without validation. */
  loss: number;
}

/** The k-th restart seed of a base seed (exposed so a run can be reproduced alone). */
export function restartSeed(seed: number, k: number): number {
  arg.seed(seed, 'restartSeed: seed');
  arg.count(k, 'restartSeed: k');
  return deriveSeed(seed, SeedPurpose.restart, k);
}

export async function fitWithRestarts(
  build: (seed: number) => Sequential,
  x: TensorLike,
  y: TensorLike,
  opts: RestartsOptions = {},
): Promise<{ best: RestartResult; results: RestartResult[] }> {
  arg.func(build, 'fitWithRestarts: build');
  const o = arg.options(opts, 'fitWithRestarts', { keys: ['restarts', 'seed', 'fitArgs', 'validationData', 'targetLoss'] }) as RestartsOptions;
  opts = o;
  const k = o.restarts === undefined ? 5 : arg.integer(o.restarts, 'fitWithRestarts: restarts', 1, 1 << 16);
  const base = o.seed === undefined ? 0 : arg.seed(o.seed, 'fitWithRestarts: seed');
  if (o.fitArgs !== undefined) arg.options(o.fitArgs, 'fitWithRestarts', { param: 'fitArgs' });
  if (o.validationData !== undefined && (!Array.isArray(o.validationData) || o.validationData.length !== 2)) {
    throw new OxnetError('E_ARG', `fitWithRestarts: validationData must be [x, y], got ${arg.describe(o.validationData)}`);
  }
  if (o.targetLoss !== undefined) arg.finite(o.targetLoss, 'fitWithRestarts: targetLoss');
  const results: RestartResult[] = [];
  let best: RestartResult | null = null;
  for (let i = 0; i < k; i++) {
    const seed = restartSeed(base, i);
    const model = build(seed);
    if (!(model instanceof Model)) throw new OxnetError('E_ARG', `fitWithRestarts: build(seed) must return a model, got ${arg.describe(model)}`);
    if (!model.isCompiled) throw new OxnetError('E_STATE', 'fitWithRestarts: build(seed) must return a compiled model');
    const history = await model.fit(x, y, { ...opts.fitArgs, seed, ...(opts.validationData ? { validationData: opts.validationData } : {}) });
    const [sx, sy] = opts.validationData ?? [x, y];
    const loss = model.evaluate(sx, sy).loss;
    const result: RestartResult = { seed, model, history, loss };
    results.push(result);
    // NaN never wins: a diverged copy is kept only if every copy diverged.
    if (!best || loss < best.loss || (Number.isNaN(best.loss) && !Number.isNaN(loss))) best = result;
    if (opts.targetLoss !== undefined && best.loss <= opts.targetLoss) break;
  }
  return { best: best!, results };
}
