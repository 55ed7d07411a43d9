// Model: a graph of layers (functional, or a chain: Sequential) with its weights on a backend.
// compile / fit / evaluate / predict / computeGradients + applyGradients / summary / weights /
// save. The graph is src/graph/, the weights and runners runtime.ts, training fit.ts, files
// snapshot.ts.
import * as arg from '../args';
import { backend as activeBackend, backendByName, type BackendName } from '../backend';
import type { LossKind, OptimizerSpec, Precision } from '../backend/spec';
import type { Backend, Dataset, NetworkRunner, OutputSpec } from '../backend/types';
import type { Normalizer } from '../data/normalize';
import { OxnetError, showValue } from '../errors';
import { buildGraph, type ModelGraph, valueSize } from '../graph/graph';
import { writeModelFile } from '../io/save';
import type { SymbolicTensor } from '../graph/symbolic';
import type { Layer, SampleShape } from '../layers/layer';
import type { Callback } from './callbacks';
import { type Checkpoint, restoreCheckpoint, writeCheckpoint } from './checkpoint';
import {
  type Compiled,
  type LossName,
  type Metric,
  type MetricName,
  outputSpec,
  perOutput,
  resolveLoss,
  resolveMetrics,
  resolveOptimizer,
  resolvePrecision,
} from './compile';
import { type EvalResult, evalResult, predictedClass } from './evaluate';
import { distributedFit } from '../distributed/fit';
import { distributedFitDataset } from '../distributed/fitDataset';
import { type FitOptions, runFit, wantsDistributed } from './fit';
import { type BatchSource, type FitDatasetOptions, runEvaluateDataset, runFitDataset, runPredictDataset } from './fitDataset';
import type { History } from './history';
import { Runtime } from './runtime';
import { deriveSeed, randomSeed, SeedPurpose } from './seeds';
import { takeSnapshot } from './snapshot';
import { formatSummary } from './summary';
import { chwToHwc, perTensor, type Prepared, type TensorLike, toSamples } from './tensors';

export interface CompileOptions {
  /** One loss for every output, or per output: an array by position or an object by output name. Default 'perceptron' for step outputs. */
  loss?: LossName | { kind: LossName } | (LossName | { kind: LossName })[] | Record<string, LossName | { kind: LossName }>;
  /** The total loss is Σ lossWeights[o] · loss_o (default 1 each): an array or an object by output name. */
  lossWeights?: number[] | Record<string, number>;
  optimizer?: 'sgd' | 'adam' | 'adamw' | OptimizerSpec | Record<string, unknown>;
  /** For every output, or per output (array of arrays, or an object by output name). */
  metrics?: MetricName[] | MetricName[][] | Record<string, MetricName[]>;
  /**
   * 'float32' (default), or 'bfloat16': dense and conv2d products take operands rounded to
   * bfloat16 and accumulate in float32; weights, optimizer, losses and the rest stay float32.
   */
  precision?: Precision;
}

export interface ModelOptions {
  /** Drives initial weights, fit's shuffling, validationSplit and dropout. Default: random (see model.seed). */
  seed?: number;
  /** Backend for this model; default the active one (setBackend / OXNET_BACKEND). */
  backend?: BackendName;
  name?: string;
}

export interface FunctionalOptions extends ModelOptions {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
}

const PREDICT_CHUNK = 4096;

export class Model {
  readonly seed: number;
  readonly name: string | undefined;
  /** Set to true in a callback to end fit after the current epoch. */
  stopTraining = false;
  /** Optimizer steps taken (Adam bias correction counts from here). */
  step = 0;
  /** Epochs trained over all fit calls (fit's per-epoch shuffle is seeded with it). */
  epochsTrained = 0;
  private readonly backendName: BackendName | undefined;
  private runtimeOrNull: Runtime | null = null;
  private compiledOrNull: Compiled | null = null;
  private lr = 0;
  private normalizers: (Normalizer | null)[] = [];
  /** The inputs and outputs a functional model was made of (Sequential builds its own). */
  private readonly ends: { inputs: unknown; outputs: unknown } | null;

  constructor(opts: FunctionalOptions | ModelOptions = {}) {
    if (opts === null || typeof opts !== 'object' || Array.isArray(opts))
      throw new OxnetError('E_ARG', `model options must be an object, got ${showValue(opts)}`);
    const seed = opts.seed ?? randomSeed();
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new OxnetError('E_ARG', `seed must be an integer in [0, 2^32), got ${showValue(opts.seed)}`);
    if (opts.backend !== undefined && opts.backend !== 'native' && opts.backend !== 'js') {
      throw new OxnetError('E_ARG', `backend must be 'native' or 'js', got ${showValue(opts.backend)}`);
    }
    if (opts.name !== undefined && typeof opts.name !== 'string') throw new OxnetError('E_ARG', `model name must be a string, got ${showValue(opts.name)}`);
    this.seed = seed;
    this.name = opts.name;
    this.backendName = opts.backend;
    this.ends = 'inputs' in opts || 'outputs' in opts ? { inputs: (opts as FunctionalOptions).inputs, outputs: (opts as FunctionalOptions).outputs } : null;
    if (this.ends) this.build();
  }

  /** The graph (Sequential overrides: its chain of added layers). */
  protected makeGraph(): ModelGraph {
    if (!this.ends) throw new OxnetError('E_CONFIG', 'a Model needs inputs and outputs (use model({ inputs, outputs }) or new Sequential())');
    return buildGraph(this.ends.inputs, this.ends.outputs);
  }

  /** Resolves the graph and draws the initial weights from the seed (once). */
  build(): void {
    if (this.runtimeOrNull) return;
    const graph = this.makeGraph();
    const be: Backend = this.backendName ? backendByName(this.backendName) : activeBackend();
    this.runtimeOrNull = new Runtime(graph, be, this.seed);
    this.normalizers = graph.inputs.map(() => null);
  }

  protected get built(): boolean {
    return this.runtimeOrNull !== null;
  }

  /** @internal */
  get runtime(): Runtime {
    this.build();
    return this.runtimeOrNull!;
  }

  /** @internal The resolved graph. */
  get graph(): ModelGraph {
    return this.runtime.graph;
  }

  /** What a model file records it as: a functional graph, or a chain (Sequential). */
  get kind(): 'sequential' | 'functional' {
    return 'functional';
  }

  /** The backend this model runs on ('native' or 'js'). */
  get backendNameInUse(): BackendName {
    return this.runtime.backend.name;
  }

  get inputNames(): string[] {
    return this.graph.inputs.map((i) => i.name);
  }

  get outputNames(): string[] {
    return this.graph.outputs.map((o) => o.name);
  }

  /** Shape of one input sample, as users pass it (channels-first [c, h, w] when a conv2d says so); single-input models. */
  get inputShape(): SampleShape {
    return [...this.single('inputShape', this.graph.inputs).shape];
  }

  get inputShapes(): SampleShape[] {
    return this.graph.inputs.map((i) => [...i.shape]);
  }

  /** Shape of one output sample; single-output models. */
  get outputShape(): SampleShape {
    return [...this.single('outputShape', this.graph.outputs).shape];
  }

  get outputShapes(): SampleShape[] {
    return this.graph.outputs.map((o) => [...o.shape]);
  }

  private single<T>(what: string, list: T[]): T {
    if (list.length !== 1) throw new OxnetError('E_STATE', `${what}: the model has ${list.length}; use ${what}s`);
    return list[0];
  }

  /** The layers, in the order their weights are laid out. */
  get layers(): readonly Layer[] {
    return this.graph.layers.map((l) => l.layer);
  }

  /** Layer names as resolved at build ('dense_1', ...). */
  get layerNames(): string[] {
    return this.graph.layers.map((l) => l.name);
  }

  compile(opts: CompileOptions = {}): this {
    if (opts === null || typeof opts !== 'object' || Array.isArray(opts))
      throw new OxnetError('E_ARG', `compile options must be an object, got ${showValue(opts)}`);
    const unknown = Object.keys(opts).filter((k) => !['loss', 'lossWeights', 'optimizer', 'metrics', 'precision'].includes(k));
    if (unknown.length)
      throw new OxnetError(
        'E_CONFIG',
        `compile: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; known: loss, lossWeights, optimizer, metrics, precision`,
      );
    const precision = resolvePrecision(opts.precision);
    const g = this.graph;
    const names = g.outputs.map((o) => o.name);
    // { kind: 'mse' } is one loss for every output; any other object (or any object, when an
    // output is named 'kind') gives the losses by output name.
    const isLossSpec = (v: unknown) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && 'kind' in v && !names.includes('kind');
    const isLoss = (v: unknown) => typeof v === 'string' || isLossSpec(v);
    const losses = perOutput<LossKind>(
      opts.loss,
      names,
      'loss',
      () => 'perceptron' as LossKind,
      isLoss,
      (v) => resolveLoss(v),
    );
    g.outputs.forEach((o, i) => {
      const given = opts.loss !== undefined && (isLoss(opts.loss) || (Array.isArray(opts.loss) ? true : Object.hasOwn(opts.loss as object, o.name)));
      if (!given && o.activation?.kind !== 'step') {
        throw new OxnetError(
          'E_CONFIG',
          `compile needs a loss${names.length > 1 ? ` for output '${o.name}'` : ''} (e.g. 'halfSse', 'mse', 'categoricalCrossentropy'), got none`,
        );
      }
      losses[i] = given ? losses[i] : 'perceptron';
    });
    const weights = perOutput<number>(
      opts.lossWeights,
      names,
      'lossWeights',
      () => 1,
      () => false,
      (v, param) => {
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
          throw new OxnetError('E_CONFIG', `${param} must be a finite number >= 0, got ${showValue(v)}`);
        return v;
      },
    );
    const isMetricList = (v: unknown) => Array.isArray(v) && v.every((m) => typeof m === 'string');
    const metrics = perOutput<Set<Metric>>(
      opts.metrics,
      names,
      'metrics',
      () => new Set(),
      isMetricList,
      (v, param) => resolveMetrics(v, param),
    );
    const optimizer = resolveOptimizer(opts.optimizer ?? 'sgd');
    const outputs = g.outputs.map((o, i) => outputSpec(o, losses[i], weights[i]));
    this.checkLogitOutputs(outputs);
    this.runtime.reset();
    this.compiledOrNull = { losses, weights, outputs, optimizer, metrics, precision };
    this.lr = optimizer.lr;
    this.step = 0;
    this.runtime.trainingRunner(this.compiledOrNull, deriveSeed(this.seed, SeedPurpose.dropout));
    return this;
  }

  /** A from-logits loss on a value that also feeds a layer cannot be run: say how to fix it. */
  private checkLogitOutputs(outputs: OutputSpec[]): void {
    const g = this.graph;
    for (const o of outputs) {
      if (!o.fromLogits) continue;
      const reader = g.nodes.find((n) => n.inputs.includes(o.value));
      const twice = outputs.filter((p) => p.value === o.value).length > 1;
      if (reader || twice) {
        throw new OxnetError(
          'E_CONFIG',
          `output '${o.name}' has loss '${o.loss}', computed from logits, but its value also feeds ${reader ? `node '${reader.name}'` : 'another output'}: apply the activation as its own layer (layers.activation) and give the loss to that`,
        );
      }
    }
  }

  get isCompiled(): boolean {
    return this.compiledOrNull !== null;
  }

  /** @internal */
  get compiled(): Compiled | null {
    return this.compiledOrNull;
  }

  /** The compiled loss (the first output's; see compiled for all) and optimizer (null before compile). */
  get compileConfig(): {
    loss: LossKind;
    losses: LossKind[];
    lossWeights: number[];
    optimizer: OptimizerSpec;
    metrics: Metric[][];
    precision: Precision;
  } | null {
    const c = this.compiledOrNull;
    if (!c) return null;
    return {
      loss: c.losses[0],
      losses: [...c.losses],
      lossWeights: [...c.weights],
      optimizer: { ...c.optimizer },
      metrics: c.metrics.map((m) => [...m]),
      precision: c.precision,
    };
  }

  /** Learning rate used by the next training chunk; set it in onEpochBegin for a schedule. */
  get learningRate(): number {
    if (!this.compiledOrNull) throw new OxnetError('E_STATE', 'learningRate: compile the model first');
    return this.lr;
  }

  set learningRate(lr: number) {
    if (!this.compiledOrNull) throw new OxnetError('E_STATE', 'learningRate: compile the model first');
    if (!(typeof lr === 'number' && Number.isFinite(lr) && lr >= 0))
      throw new OxnetError('E_ARG', `learningRate must be a finite number >= 0, got ${showValue(lr)}`);
    this.lr = lr;
  }

  /** @internal The training runner for a fit with `seed` driving dropout (rebuilt when it differs). */
  trainingRunner(seed: number, clipNorm?: number): NetworkRunner {
    if (!this.compiledOrNull) throw new OxnetError('E_STATE', 'fit: compile the model first');
    arg.seed(seed, 'trainingRunner: seed');
    if (clipNorm !== undefined) arg.finite(clipNorm, 'trainingRunner: clipNorm', (v) => v > 0, 'a finite number > 0');
    return this.runtime.trainingRunner(this.compiledOrNull, seed, clipNorm);
  }

  private inference(): NetworkRunner {
    return this.runtime.current(deriveSeed(this.seed, SeedPurpose.dropout));
  }

  /**
   * Makes fit, evaluate, predict and encode apply `normalizer` to raw inputs; save/load keep it.
   * A model with several inputs takes one per input: an array or an object by input name (null: none).
   */
  setNormalizer(normalizer: Normalizer | null | (Normalizer | null)[] | Record<string, Normalizer | null>): this {
    const g = this.graph;
    const isOne = normalizer === null || (typeof normalizer === 'object' && typeof (normalizer as Normalizer).transform === 'function');
    let list: (Normalizer | null)[];
    if (isOne)
      list = g.inputs.length === 1 ? [normalizer as Normalizer | null] : (perTensor(normalizer, this.inputNames, 'setNormalizer') as (Normalizer | null)[]);
    else if (Array.isArray(normalizer)) {
      if (normalizer.length !== g.inputs.length) throw new OxnetError('E_ARG', `setNormalizer: ${normalizer.length} normalizers for ${g.inputs.length} inputs`);
      list = normalizer;
    } else list = perTensor(normalizer, this.inputNames, 'setNormalizer') as (Normalizer | null)[];
    list.forEach((n, i) => {
      if (n === null) return;
      if (!n || typeof n !== 'object' || typeof (n as Normalizer).transform !== 'function') {
        throw new OxnetError('E_ARG', `setNormalizer: a normalizer (zscore().fit(...), minmax().fit(...)) or null, got ${showValue(n)}`);
      }
      if (n.dim !== g.inputs[i].size) {
        throw new OxnetError(
          'E_SHAPE',
          `normalizer has ${n.dim} columns, the model input${g.inputs.length > 1 ? ` '${g.inputs[i].name}'` : ''} has ${g.inputs[i].size} values`,
        );
      }
    });
    this.normalizers = list;
    return this;
  }

  /** The normalizer of the (one) input, or null. */
  getNormalizer(): Normalizer | null {
    return this.single('getNormalizer', this.normalizers);
  }

  /** @internal Copies training data into the backend once. */
  createDataset(inputs: Float32Array[], targets: Float32Array[], n: number): Dataset {
    checkArrays(inputs, 'createDataset: inputs');
    checkArrays(targets, 'createDataset: targets');
    arg.count(n, 'createDataset: n');
    return this.runtime.createDataset(inputs, targets, n);
  }

  /** @internal Refills a data set from createDataset in place (native); false when the backend cannot. */
  refillDataset(data: Dataset, inputs: Float32Array[], targets: Float32Array[], n: number): boolean {
    return this.runtime.refillDataset(data, inputs, targets, n);
  }

  /** Number of trainable parameters (floats). */
  get parameterCount(): number {
    return this.graph.params.reduce((a, p) => a + p.size, 0);
  }

  /** @internal Every input's normalizer. */
  get inputNormalizers(): (Normalizer | null)[] {
    this.build();
    return [...this.normalizers];
  }

  /** @internal Raw user inputs -> the flat NHWC, normalized samples the backend takes. */
  prepareInputs(x: unknown, param = 'x'): { inputs: Float32Array[]; n: number } {
    arg.string(param, 'prepareInputs: param');
    const g = this.graph;
    const given = perTensor(x, this.inputNames, param);
    let n = -1;
    const inputs = given.map((t, i) => {
      const input = g.inputs[i];
      const name = g.inputs.length > 1 ? `${param}.${input.name}` : param;
      let { data, n: rows } = toSamples(t as TensorLike, input.size, name, n < 0 ? undefined : n);
      n = rows;
      const norm = this.normalizers[i];
      if (norm) data = norm.transform(data, rows);
      if (input.channelsFirst) data = chwToHwc(data, rows, input.shape[0], input.shape[1], input.shape[2]);
      return data;
    });
    return { inputs, n };
  }

  /** @internal Targets, one per output, n rows each. */
  prepareTargets(y: unknown, n: number, param = 'y'): Float32Array[] {
    arg.count(n, 'prepareTargets: n');
    arg.string(param, 'prepareTargets: param');
    const g = this.graph;
    const given = perTensor(y, this.outputNames, param);
    return given.map((t, o) => toSamples(t as TensorLike, g.outputs[o].size, g.outputs.length > 1 ? `${param}.${g.outputs[o].name}` : param, n).data);
  }

  /** @internal */
  prepare(x: unknown, y: unknown, param = ['x', 'y']): Prepared {
    if (!Array.isArray(param) || param.length !== 2) throw new OxnetError('E_ARG', `prepare: param must be [x name, y name], got ${arg.describe(param)}`);
    const { inputs, n } = this.prepareInputs(x, param[0]);
    return { inputs, targets: this.prepareTargets(y, n, param[1]), n };
  }

  /** Outputs for n samples: a flat Float32Array of n * outputSize values, or one per output for a multi-output model. */
  predict(x: TensorLike | TensorLike[] | Record<string, TensorLike>): Float32Array | Float32Array[] {
    const { inputs, n } = this.prepareInputs(x);
    const out = this.chunked(inputs, n, (xs, k) => this.inference().predict(xs, k));
    return out.length === 1 ? out[0] : out;
  }

  async predictAsync(x: TensorLike | TensorLike[] | Record<string, TensorLike>): Promise<Float32Array | Float32Array[]> {
    const prepared = this.prepareInputs(x);
    const n = prepared.n;
    // Chunks after the first start after an await: copy now, so later changes to x cannot leak in.
    const inputs = n > PREDICT_CHUNK ? prepared.inputs.map((a) => a.slice()) : prepared.inputs;
    const g = this.graph;
    const outs = g.outputs.map((o) => new Float32Array(n * o.size));
    for (let s = 0; s < n; s += PREDICT_CHUNK) {
      const k = Math.min(PREDICT_CHUNK, n - s);
      const part = await this.inference().predictAsync(
        inputs.map((a, i) => a.subarray(s * g.inputs[i].size, (s + k) * g.inputs[i].size)),
        k,
      );
      part.forEach((p, o) => {
        outs[o].set(p, s * g.outputs[o].size);
      });
    }
    return outs.length === 1 ? outs[0] : outs;
  }

  /** The course's classification rule: one output per class, pick the highest (>= 0.5 for one output). */
  predictClasses(x: TensorLike | TensorLike[] | Record<string, TensorLike>): number[] {
    const w = this.single('predictClasses', this.graph.outputs).size;
    const y = this.predict(x) as Float32Array;
    return Array.from({ length: y.length / w }, (_, s) => predictedClass(y, s, w));
  }

  /** Runs f on chunks of at most PREDICT_CHUNK samples and joins each output's rows. */
  private chunked(
    inputs: Float32Array[],
    n: number,
    f: (xs: Float32Array[], n: number) => Float32Array[],
    widths = this.graph.outputs.map((o) => o.size),
  ): Float32Array[] {
    if (n <= PREDICT_CHUNK) return f(inputs, n);
    const sizes = this.graph.inputs.map((i) => i.size);
    const outs = widths.map((w) => new Float32Array(n * w));
    for (let s = 0; s < n; s += PREDICT_CHUNK) {
      const k = Math.min(PREDICT_CHUNK, n - s);
      const part = f(
        inputs.map((a, i) => a.subarray(s * sizes[i], (s + k) * sizes[i])),
        k,
      );
      part.forEach((p, o) => {
        outs[o].set(p, s * widths[o]);
      });
    }
    return outs;
  }

  /** Loss (the compiled one, as training computes it) and metrics over x, y. */
  evaluate(x: TensorLike | TensorLike[] | Record<string, TensorLike>, y: TensorLike | TensorLike[] | Record<string, TensorLike>): EvalResult {
    return this.evaluatePrepared(this.prepare(x, y));
  }

  /** @internal evaluate on prepared (normalized, NHWC) data. */
  evaluatePrepared(p: Prepared): EvalResult {
    if (!arg.isPlainObject(p)) throw new OxnetError('E_ARG', `evaluatePrepared: p must be prepare()'s { inputs, targets, n }, got ${arg.describe(p)}`);
    checkArrays(p.inputs, 'evaluatePrepared: p.inputs');
    checkArrays(p.targets, 'evaluatePrepared: p.targets');
    arg.count(p.n, 'evaluatePrepared: p.n');
    const c = this.compiledOrNull;
    if (!c) throw new OxnetError('E_STATE', 'evaluate: compile the model first (it needs the loss)');
    const g = this.graph;
    const runner = this.runtime.evaluationRunner(c, deriveSeed(this.seed, SeedPurpose.dropout));
    const k = g.outputs.length;
    const sums = { lossSums: new Float64Array(k), correct: new Float64Array(k), sqErr: new Float64Array(k), count: p.n };
    for (let s = 0; s < p.n; s += PREDICT_CHUNK) {
      const m = Math.min(PREDICT_CHUNK, p.n - s);
      const r = runner.evaluate(
        p.inputs.map((a, i) => a.subarray(s * g.inputs[i].size, (s + m) * g.inputs[i].size)),
        p.targets.map((a, o) => a.subarray(s * g.outputs[o].size, (s + m) * g.outputs[o].size)),
        m,
      );
      for (let o = 0; o < k; o++) {
        sums.lossSums[o] += r.lossSums[o];
        sums.correct[o] += r.correct[o];
        sums.sqErr[o] += r.sqErr[o];
      }
    }
    return evalResult(sums, c.weights, g.outputs);
  }

  /**
   * Loss and gradients of one batch (x, y) without applying them: forward and backward in training
   * mode (dropout on, batch norm on batch statistics, whose running statistics this updates).
   * grads[i] is the gradient of weightsInfo()[i]; applyGradients applies them (or a sum of several).
   */
  computeGradients(x: TensorLike | TensorLike[] | Record<string, TensorLike>, y: TensorLike | TensorLike[] | Record<string, TensorLike>): GradientResult {
    if (!this.compiledOrNull) throw new OxnetError('E_STATE', 'computeGradients: compile the model first (it needs the loss)');
    const p = this.prepare(x, y);
    if (p.n === 0) throw new OxnetError('E_ARG', 'computeGradients: x has no samples');
    const runner = this.trainingRunner(deriveSeed(this.seed, SeedPurpose.dropout));
    const stats = runner.computeGradients(p.inputs, p.targets, p.n, this.step);
    const names = this.graph.params.map((t) => t.name);
    return { loss: stats.loss, outputLosses: Array.from(stats.outputLosses), finite: stats.finite, grads: runner.getGradients(), names };
  }

  /** One optimizer step from `grads` (in weightsInfo order, as computeGradients gives them). */
  applyGradients(grads: (Float32Array | ArrayLike<number>)[]): void {
    if (!this.compiledOrNull) throw new OxnetError('E_STATE', 'applyGradients: compile the model first (it needs the optimizer)');
    const copies = Runtime.checkTensors('applyGradients', grads, this.graph.params);
    this.trainingRunner(deriveSeed(this.seed, SeedPurpose.dropout)).applyGradients(copies, this.lr, this.step);
    this.step++;
  }

  /** The graph value of layer `layer`'s (first) output: by name, by index, or default the bottleneck. */
  private layerValue(layer: string | number | undefined, what: string): number {
    const g = this.graph;
    if (typeof layer === 'number') {
      if (!Number.isInteger(layer) || layer < 0 || layer >= g.layers.length)
        throw new OxnetError('E_ARG', `${what}: layer index must be in [0, ${g.layers.length - 1}], got ${layer}`);
      return g.layers[layer].applications[0].value;
    }
    if (typeof layer === 'string') {
      const l = g.layers.find((x) => x.name === layer);
      if (!l) throw new OxnetError('E_ARG', `${what}: no layer named '${layer}'; layers: ${this.layerNames.join(', ')}`);
      return l.applications[0].value;
    }
    if (layer !== undefined) throw new OxnetError('E_ARG', `${what}: layer must be a name or an index, got ${showValue(layer)}`);
    // The bottleneck: the smallest output of any layer but those producing the model's outputs.
    const outs = new Set(g.outputs.map((o) => o.value));
    let best = -1;
    for (const l of g.layers) {
      const v = l.applications[0].value;
      if (outs.has(v)) continue;
      if (best < 0 || valueSize(g, v) < valueSize(g, best)) best = v;
    }
    if (best < 0) throw new OxnetError('E_CONFIG', `${what} needs at least two layers (a bottleneck and a decoder)`);
    return best;
  }

  /** Outputs of the bottleneck layer (autoencoder code), or of `layer`: n * its size values. */
  encode(x: TensorLike | TensorLike[] | Record<string, TensorLike>, layer?: string | number): Float32Array {
    const v = this.layerValue(layer, 'encode');
    const { inputs, n } = this.prepareInputs(x);
    return this.chunked(inputs, n, (xs, k) => [this.inference().predictValue(xs, k, v)], [valueSize(this.graph, v)])[0];
  }

  /** Runs the layers after the bottleneck (or `layer`) on codes: the decoder, sharing the weights. */
  decode(code: TensorLike, layer?: string | number): Float32Array | Float32Array[] {
    const v = this.layerValue(layer, 'decode');
    const runner = this.runtime.runnerFrom(v, 'decode');
    const size = valueSize(this.graph, v);
    const { data, n } = toSamples(code, size, 'code');
    const outs = this.chunked([data], n, (xs, k) => runner.predict(xs, k));
    return outs.length === 1 ? outs[0] : outs;
  }

  /** Names and shapes of the parameters, in getWeights order (docs/kernels.md). */
  weightsInfo(): { name: string; shape: number[] }[] {
    return this.graph.params.map((t) => ({ name: t.name, shape: [...t.shape] }));
  }

  /** Non-trainable state (batch norm running mean/var) names and shapes, in getState order. */
  stateInfo(): { name: string; shape: number[] }[] {
    return this.graph.state.map((t) => ({ name: t.name, shape: [...t.shape] }));
  }

  getWeights(): Float32Array[] {
    return this.runtime.getParams();
  }

  /** Replaces all parameters (shape-checked); resets the optimizer's moments and step. */
  setWeights(weights: (Float32Array | ArrayLike<number>)[]): void {
    this.runtime.setParams(Runtime.checkTensors('setWeights', weights, this.graph.params));
    this.step = 0;
  }

  getState(): Float32Array[] {
    return this.runtime.getState();
  }

  setState(state: (Float32Array | ArrayLike<number>)[]): void {
    this.runtime.setState(Runtime.checkTensors('setState', state, this.graph.state));
  }

  /**
   * The optimizer's moments, parameter after parameter (adam: m and v of each weight tensor; sgd
   * with momentum: its velocity; plain sgd: none). Zeros before the first step.
   */
  getOptimizerState(): Float32Array[] {
    const c = this.compiledOrNull;
    if (!c) throw new OxnetError('E_STATE', 'getOptimizerState: compile the model first');
    return this.runtime.getOptimizerState(c, deriveSeed(this.seed, SeedPurpose.dropout));
  }

  /** Replaces the moments (getOptimizerState's order and lengths). */
  setOptimizerState(state: (Float32Array | ArrayLike<number>)[]): void {
    const c = this.compiledOrNull;
    if (!c) throw new OxnetError('E_STATE', 'setOptimizerState: compile the model first');
    if (!Array.isArray(state)) throw new OxnetError('E_ARG', `setOptimizerState: state must be an array of Float32Arrays, got ${arg.describe(state)}`);
    const copies = state.map((s, i) => Float32Array.from(arg.numbers(s, `setOptimizerState: state[${i}]`)));
    this.runtime.setOptimizerState(c, deriveSeed(this.seed, SeedPurpose.dropout), copies);
  }

  /** Writes a checkpoint (atomically): this model's file plus the training state fit's resumeFrom continues from; see src/model/checkpoint.ts. */
  saveCheckpoint(path: string): void {
    arg.path(path, 'saveCheckpoint');
    writeCheckpoint(this, path);
  }

  /**
   * Puts a checkpoint (a path, or readCheckpoint's result) into this compiled model: weights, state,
   * normalizers, optimizer moments, step, epochsTrained and learning rate. A checkpoint of another
   * architecture, optimizer or loss is refused (E_CONFIG saying what differs). A fit right after,
   * with the checkpoint's epoch as initialEpoch, also resumes its seed and callbacks' states.
   */
  restore(from: string | Checkpoint): Checkpoint {
    return restoreCheckpoint(this, from);
  }

  /** Trains; see FitOptions. Resolves with per-epoch History. */
  fit(
    x: TensorLike | TensorLike[] | Record<string, TensorLike>,
    y: TensorLike | TensorLike[] | Record<string, TensorLike>,
    opts: FitOptions = {},
  ): Promise<History> {
    return wantsDistributed(opts) ? distributedFit(this, x, y, opts) : runFit(this, x, y, opts);
  }

  /** Trains on streamed { x, y } batches (a DataSource or any iterable); see FitDatasetOptions and docs/data.md. */
  fitDataset(source: BatchSource, opts: FitDatasetOptions = {}): Promise<History> {
    return wantsDistributed(opts) ? distributedFitDataset(this, source, opts) : runFitDataset(this, source, opts);
  }

  /** evaluate over one pass of a source of { x, y } batches. */
  evaluateDataset(source: BatchSource): Promise<EvalResult> {
    return runEvaluateDataset(this, source);
  }

  /** predict over one pass of a source of inputs (or { x } batches), outputs joined in order. */
  predictDataset(source: BatchSource): Promise<Float32Array | Float32Array[]> {
    return runPredictDataset(this, source);
  }

  /** Writes the model to one .oxnet file (atomically); see loadModel. */
  save(path: string): void {
    arg.path(path, 'save');
    writeModelFile(path, takeSnapshot(this));
  }

  /** A table of the graph's nodes: output shape, parameter count and inputs. */
  summary(): string {
    return formatSummary(this.graph, this.name);
  }
}

/** What computeGradients gives back. */
/** An array of Float32Arrays that are not detached. */
function checkArrays(list: unknown, param: string): void {
  if (!Array.isArray(list)) throw new OxnetError('E_ARG', `${param} must be an array of Float32Arrays, got ${arg.describe(list)}`);
  list.forEach((a, i) => {
    if (!(a instanceof Float32Array)) throw new OxnetError('E_ARG', `${param}[${i}] must be a Float32Array, got ${arg.describe(a)}`);
    arg.numbers(a, `${param}[${i}]`);
  });
}

export interface GradientResult {
  /** Σ lossWeights · loss of the batch (before any update). */
  loss: number;
  outputLosses: number[];
  /** The loss and every gradient are finite. */
  finite: boolean;
  /** One per parameter tensor, in weightsInfo / getWeights order. */
  grads: Float32Array[];
  names: string[];
}

/** Keras-style functional model: model({ inputs, outputs }). */
export function model(opts: FunctionalOptions): Model {
  if (opts === null || typeof opts !== 'object' || !('inputs' in opts) || !('outputs' in opts)) {
    throw new OxnetError('E_ARG', `model takes { inputs, outputs, name?, seed?, backend? }, got ${showValue(opts)}`);
  }
  return new Model(opts);
}

export type { Callback, Compiled, FitOptions, Prepared };
