// evaluate over an MPI world: every rank evaluates its share of the samples, the sums are added
// with one allreduce, and every rank gets the figures of the whole set.
import { OxnetError, showValue } from '../errors';
import type { EvalResult, OutputEval } from '../model/evaluate';
import type { Prepared } from '../model/tensors';
import { isWorld, type World } from './world';

/** What evaluation needs of a model (Model has it). */
export interface Evaluable {
  readonly outputNames: string[];
  readonly compiled: { weights: number[] } | null;
  evaluatePrepared(p: Prepared): EvalResult;
  prepare(x: unknown, y: unknown): Prepared;
}

/** Rows [lo, hi) of rank `rank`'s share of n rows: contiguous, sizes differing by at most one. */
export function shardRange(n: number, rank: number, size: number): [number, number] {
  return [Math.floor((rank * n) / size), Math.floor(((rank + 1) * n) / size)];
}

/** Rows [lo, hi) of every array of p (views, no copies). */
export function rowsOf(p: Prepared, lo: number, hi: number): Prepared {
  const view = (a: Float32Array) => {
    const w = a.length / p.n;
    return a.subarray(lo * w, hi * w);
  };
  return { inputs: p.inputs.map(view), targets: p.targets.map(view), n: hi - lo };
}

/** evaluate on prepared data over the world: the same result on every rank, as one process would compute it. */
export function evaluatePreparedDistributed(model: Evaluable, p: Prepared, world: World): EvalResult {
  const c = model.compiled;
  if (!c) throw new OxnetError('E_STATE', 'evaluate: compile the model first (it needs the loss)');
  const names = model.outputNames;
  const k = names.length;
  const [lo, hi] = shardRange(p.n, world.rank, world.size);
  // Per output: loss sum, correct, squared-error sum; then the count and the whole set's n (a check).
  const sums = new Float64Array(3 * k + 2);
  if (hi > lo) {
    const r = model.evaluatePrepared(rowsOf(p, lo, hi));
    names.forEach((name, o) => {
      const e = r.outputs[name];
      const units = p.targets[o].length / p.n;
      sums[3 * o] = e.loss * e.count;
      sums[3 * o + 1] = e.count - e.misclassified;
      sums[3 * o + 2] = e.mse * e.count * units;
    });
  }
  sums[3 * k] = hi - lo;
  sums[3 * k + 1] = p.n;
  world.allreduceSum(sums);
  const n = sums[3 * k];
  if (sums[3 * k + 1] !== p.n * world.size)
    throw new OxnetError('E_MPI', `evaluate: the ranks hold different numbers of samples (this rank ${p.n}); every rank must pass the whole data set`);
  const per: OutputEval[] = names.map((_, o) => ({
    loss: n ? sums[3 * o] / n : NaN,
    accuracy: n ? sums[3 * o + 1] / n : NaN,
    misclassified: n - sums[3 * o + 1],
    mse: n ? sums[3 * o + 2] / (n * (p.targets[o].length / p.n)) : NaN,
    count: n,
  }));
  const total = per.reduce((a, e, o) => a + c.weights[o] * e.loss, 0);
  return { ...per[0], loss: total, outputs: Object.fromEntries(names.map((name, o) => [name, per[o]])) };
}

/** model.evaluate(x, y) over the world: each rank passes the whole set and evaluates its share. */
export function evaluateDistributed(model: Evaluable, x: unknown, y: unknown, world: World): EvalResult {
  const m = model as Partial<Evaluable> | null;
  if (m === null || typeof m !== 'object' || typeof m.prepare !== 'function' || typeof m.evaluatePrepared !== 'function')
    throw new OxnetError('E_ARG', `evaluateDistributed: model must be an oxnet model, got ${showValue(model)}`);
  if (!isWorld(world)) throw new OxnetError('E_ARG', `evaluateDistributed: world must be the world from \`await distributed()\`, got ${showValue(world)}`);
  return evaluatePreparedDistributed(model, model.prepare(x, y), world);
}
