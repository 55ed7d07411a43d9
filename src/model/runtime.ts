// A model's weights and the backend runners that hold them: the training runner (one per fit
// seed and clipNorm), and runners of sub-graphs (a decoder) that share the weights by copy. The
// initial weights are drawn in TypeScript from the model's seed, so both backends start alike.
// The optimizer's moments follow the weights from one training runner to the next of the same
// compile (a fit with its own seed, then computeGradients / applyGradients, go on with them).
import { describe } from '../args';
import type { OptimizerSpec, Precision } from '../backend/spec';
import type { Backend, Dataset, NetworkRunner, OutputSpec } from '../backend/types';
import { OxnetError } from '../errors';
import type { ModelGraph } from '../graph/graph';
import { graphSpec, inferenceOutputs, type SubGraph, subGraphFrom } from '../graph/spec';
import { mulberry32 } from '../random';
import { deriveSeed, SeedPurpose } from './seeds';

/** What the runner is compiled for: the paired outputs and the optimizer (null: inference only). */
export interface RunnerTraining {
  outputs: OutputSpec[];
  optimizer: OptimizerSpec;
  precision: Precision;
}

const INFERENCE_OPTIMIZER: OptimizerSpec = { kind: 'sgd', lr: 0.01 };

export class Runtime {
  private params: Float32Array[];
  private state: Float32Array[];
  private runner: NetworkRunner | null = null;
  private last: { training: RunnerTraining | null; seed: number; clipNorm?: number } = { training: null, seed: Number.NaN };
  private readonly subs = new Map<number, { runner: NetworkRunner; sub: SubGraph }>();
  /** The moments of the last training runner, for the next one of the same compile (null: zeros). */
  private moments: { training: RunnerTraining; state: Float32Array[] } | null = null;

  constructor(
    readonly graph: ModelGraph,
    readonly backend: Backend,
    seed: number,
  ) {
    const next = mulberry32(deriveSeed(seed, SeedPurpose.init));
    this.params = graph.layers.flatMap((l) => l.paramInfo.map((p) => p.init(next)));
    this.state = graph.layers.flatMap((l) => l.stateInfo.map((s) => s.init()));
  }

  /** The runner for `training` with `seed` driving dropout and `clipNorm` (rebuilt when any differs). */
  trainingRunner(training: RunnerTraining | null, seed: number, clipNorm?: number): NetworkRunner {
    // The compiled losses and optimizer are one object per compile (compile resets the runner): identity is enough.
    const last = this.last;
    if (this.runner && last.training === training && last.seed === seed && last.clipNorm === clipNorm) return this.runner;
    this.sync();
    this.last = { training, seed, clipNorm };
    const outputs = training ? training.outputs : inferenceOutputs(this.graph);
    const spec = graphSpec(this.graph, outputs, training ? training.optimizer : INFERENCE_OPTIMIZER, seed, clipNorm, training?.precision);
    this.runner = this.backend.createNetwork(spec, this.params, this.state);
    if (training && this.moments?.training === training) this.runner.setOptimizerState(this.moments.state);
    return this.runner;
  }

  /**
   * A runner with `training`'s losses for evaluate: the current one whatever its dropout seed and
   * clipNorm (evaluation uses neither), so an evaluate inside a fit with its own seed reads the
   * runner that fit trains instead of replacing it with a copy of the weights of that moment.
   */
  evaluationRunner(training: RunnerTraining, seed: number): NetworkRunner {
    if (this.runner && this.last.training === training) return this.runner;
    return this.trainingRunner(training, seed);
  }

  /** The current runner (any will do for inference), or one created inference-only. */
  current(seed: number): NetworkRunner {
    return this.runner ?? this.trainingRunner(null, seed);
  }

  /** Drops the runner (compile changed the losses or the optimizer); weights are kept, moments not. */
  reset(): void {
    this.sync();
    this.runner = null;
    this.moments = null;
  }

  /** Copies the runner's weights, state and (training runners) moments back before it is replaced. */
  private sync(): void {
    if (!this.runner) return;
    this.params = this.runner.getParams();
    this.state = this.runner.getState();
    const training = this.last.training;
    if (training) this.moments = { training, state: this.runner.getOptimizerState() };
  }

  /** The optimizer's moments for `training` (see NetworkRunner.getOptimizerState): zeros before any step. */
  getOptimizerState(training: RunnerTraining, seed: number): Float32Array[] {
    return this.evaluationRunner(training, seed).getOptimizerState();
  }

  /** Replaces the moments of `training`'s runner (lengths checked by the backend). */
  setOptimizerState(training: RunnerTraining, seed: number, state: Float32Array[]): void {
    this.evaluationRunner(training, seed).setOptimizerState(state);
  }

  getParams(): Float32Array[] {
    return this.runner ? this.runner.getParams() : this.params.map((p) => p.slice());
  }

  setParams(params: Float32Array[]): void {
    this.params = params;
    this.moments = null;
    if (this.runner) {
      this.runner.setParams(params);
      this.runner.resetOptimizer();
    }
  }

  getState(): Float32Array[] {
    return this.runner ? this.runner.getState() : this.state.map((s) => s.slice());
  }

  setState(state: Float32Array[]): void {
    this.state = state;
    if (this.runner) this.runner.setState(state);
  }

  createDataset(inputs: Float32Array[], targets: Float32Array[], n: number): Dataset {
    return this.backend.createDataset(inputs, targets, n);
  }

  /** Refills `data` in place when the backend can (false: make a new one with createDataset). */
  refillDataset(data: Dataset, inputs: Float32Array[], targets: Float32Array[], n: number): boolean {
    if (!this.backend.refillDataset) return false;
    this.backend.refillDataset(data, inputs, targets, n);
    return true;
  }

  /** A runner of the graph after value `cut` (its one input), with the current weights. */
  runnerFrom(cut: number, what: string): NetworkRunner {
    let entry = this.subs.get(cut);
    const params = this.getParams();
    const state = this.getState();
    if (!entry) {
      const sub = subGraphFrom(this.graph, cut, what);
      // The decoder computes in the precision the model was compiled with (as predict does).
      const spec = graphSpec(sub.graph, inferenceOutputs(sub.graph), INFERENCE_OPTIMIZER, 0, undefined, this.last.training?.precision);
      const runner = this.backend.createNetwork(
        spec,
        sub.params.map((p) => params[p]),
        sub.state.map((s) => state[s]),
      );
      entry = { runner, sub };
      this.subs.set(cut, entry);
    } else {
      entry.runner.setParams(entry.sub.params.map((p) => params[p]));
      entry.runner.setState(entry.sub.state.map((s) => state[s]));
    }
    return entry.runner;
  }

  /** Refuses weights that do not fit the graph's tensors (count and lengths). */
  static checkTensors(what: string, list: unknown, expected: { name: string; shape: number[]; size: number }[]): Float32Array[] {
    if (!Array.isArray(list) || list.length !== expected.length) {
      throw new OxnetError(
        'E_SHAPE',
        `${what} expects ${expected.length} arrays (${expected.map((w) => w.name).join(', ')}), got ${Array.isArray(list) ? list.length : list === null ? 'null' : typeof list}`,
      );
    }
    return list.map((w, i) => {
      const e = expected[i];
      const ok = w instanceof Float32Array || w instanceof Float64Array || Array.isArray(w);
      if (!ok || (w as ArrayLike<number>).length !== e.size) {
        throw new OxnetError(
          'E_SHAPE',
          `${what}: ${e.name} has shape ${JSON.stringify(e.shape)} (${e.size} values), got ${ok ? `${(w as ArrayLike<number>).length} values` : describe(w)}`,
        );
      }
      return Float32Array.from(w as ArrayLike<number>);
    });
  }
}
