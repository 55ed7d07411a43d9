// The Sequential model: a stack of layers, built into one backend network (NetworkRunner).
import { backend as activeBackend, backendByName, type BackendName } from '../backend';
import { mulberry32 } from '../backend/js/rng';
import type { ActivationSpec, Backend, Dataset, LayerSpec, LossKind, NetworkRunner, NetworkSpec, OptimizerSpec } from '../backend/types';
import type { Normalizer } from '../data/normalize';
import { OxnetError } from '../errors';
import type { Layer, BuiltLayer, SampleShape } from '../layers/layer';
import type { Callback } from './callbacks';
import { checkLossPairing, resolveLoss, resolveMetrics, resolveOptimizer, type LossName } from './compile';
import { EvalAccumulator, predictedClass, type EvalResult } from './evaluate';
import { runFit, type FitOptions } from './fit';
import type { History } from './history';
import { deriveSeed, randomSeed, SeedPurpose } from './seeds';
import { chwToHwc, toSamples, type TensorLike } from './tensors';
import { formatSummary } from './summary';
import { saveModel } from '../io/save';

export interface SequentialOptions {
  /** Drives initial weights, fit's shuffling, validationSplit and dropout. Default: random (see model.seed). */
  seed?: number;
  layers?: Layer[];
  /** Backend for this model; default the active one (setBackend / OXNET_BACKEND). */
  backend?: BackendName;
}

export interface CompileOptions {
  /** Default 'perceptron' for a model ending in step units; required otherwise. */
  loss?: LossName | { kind: LossName };
  optimizer?: 'sgd' | 'adam' | 'adamw' | OptimizerSpec | Record<string, unknown>;
  metrics?: ('accuracy' | 'acc' | 'misclassified' | 'mse')[];
}

interface BuiltModel {
  /** As the user passes samples (channels-first [c, h, w] when the first conv2d says so). */
  inputShape: SampleShape;
  inputSize: number;
  layers: BuiltLayer[];
  names: string[];
  outputShape: SampleShape;
  outputSize: number;
  chw: [number, number, number] | null;
  /** Index of each layer's first parameter in the flat parameter list. */
  paramStart: number[];
  stateStart: number[];
}

interface Compiled {
  loss: LossKind;
  optimizer: OptimizerSpec;
  metrics: Set<'acc' | 'misclassified' | 'mse'>;
}

const PREDICT_CHUNK = 4096;

export class Sequential {
  readonly seed: number;
  /** Set to true in a callback to end fit after the current epoch. */
  stopTraining = false;
  private readonly stack: Layer[] = [];
  private built: BuiltModel | null = null;
  private be: Backend | null = null;
  private readonly backendName: BackendName | undefined;
  private params: Float32Array[] = [];
  private state: Float32Array[] = [];
  private runner: NetworkRunner | null = null;
  private runnerSeed = 0;
  private runnerClipNorm: number | undefined = undefined;
  private logitsRunner: NetworkRunner | null = null;
  private tailRunners = new Map<number, NetworkRunner>();
  private compiled: Compiled | null = null;
  private lr = 0;
  /** Optimizer steps taken (Adam bias correction counts from here). */
  step = 0;
  /** Epochs trained over all fit calls (fit's per-epoch shuffle is seeded with it). */
  epochsTrained = 0;
  private normalizer: Normalizer | null = null;

  constructor(opts: SequentialOptions = {}) {
    const seed = opts.seed ?? randomSeed();
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new OxnetError('E_ARG', `seed must be an integer in [0, 2^32), got ${opts.seed}`);
    }
    this.seed = seed;
    this.backendName = opts.backend;
    for (const layer of opts.layers ?? []) this.add(layer);
  }

  add(layer: Layer): this {
    if (this.built) throw new OxnetError('E_STATE', `cannot add layer ${layer.name ?? layer.type}: the model is already built`);
    if (this.stack.length > 0 && layer.declaredInputShape !== undefined) {
      throw new OxnetError(
        'E_CONFIG',
        `inputShape belongs on the first layer only, got ${JSON.stringify(layer.declaredInputShape)} on layer ${this.stack.length}`,
      );
    }
    this.stack.push(layer);
    return this;
  }

  get layers(): readonly Layer[] {
    return this.stack;
  }

  /** The backend this model runs on ('native' or 'js'). */
  get backendNameInUse(): BackendName {
    return this.backend().name;
  }

  private backend(): Backend {
    this.be ??= this.backendName ? backendByName(this.backendName) : activeBackend();
    return this.be;
  }

  /** Resolves shapes and draws the initial weights from the seed. Called by compile/predict/getWeights. */
  build(): void {
    if (this.built) return;
    const first = this.stack[0];
    if (!first) throw new OxnetError('E_CONFIG', 'the model has no layers');
    if (!first.declaredInputShape) throw new OxnetError('E_CONFIG', `the first layer (${first.type}) needs inputShape or inputDim`);
    const inputShape = first.declaredInputShape;
    let shape = inputShape;
    const layers: BuiltLayer[] = [];
    const names: string[] = [];
    const perType = new Map<string, number>();
    const paramStart: number[] = [];
    const stateStart: number[] = [];
    let pCount = 0;
    let sCount = 0;
    this.stack.forEach((layer, i) => {
      const k = (perType.get(layer.type) ?? 0) + 1;
      perType.set(layer.type, k);
      const name = layer.name ?? `${layer.type}_${k}`;
      if (names.includes(name)) throw new OxnetError('E_CONFIG', `layer name '${name}' is used twice`);
      names.push(name);
      const b = layer.build(shape, i);
      layers.push(b);
      paramStart.push(pCount);
      stateStart.push(sCount);
      pCount += b.params.length;
      sCount += b.state.length;
      shape = b.outputShape;
    });
    const chw = layers[0].transposeInputFromChannelsFirst ? (inputShape as [number, number, number]) : null;
    const next = mulberry32(deriveSeed(this.seed, SeedPurpose.init));
    this.params = layers.flatMap((b) => b.params.map((p) => p.init(next)));
    this.state = layers.flatMap((b) => b.state.map((s) => s.init()));
    const size = (s: SampleShape) => s.reduce((a, c) => a * c, 1);
    this.built = { inputShape, inputSize: size(inputShape), layers, names, outputShape: shape, outputSize: size(shape), chw, paramStart, stateStart };
  }

  private model(): BuiltModel {
    this.build();
    return this.built!;
  }

  get inputShape(): SampleShape {
    return [...this.model().inputShape];
  }

  get outputShape(): SampleShape {
    return [...this.model().outputShape];
  }

  private get lastActivation(): ActivationSpec | undefined {
    const m = this.model();
    return m.layers[m.layers.length - 1].activation;
  }

  compile(opts: CompileOptions = {}): this {
    const last = this.lastActivation;
    if (opts.loss === undefined && last?.kind !== 'step') {
      throw new OxnetError('E_CONFIG', `compile needs a loss (e.g. 'halfSse', 'mse', 'categoricalCrossentropy'), got none`);
    }
    const loss = resolveLoss(opts.loss ?? 'perceptron');
    checkLossPairing(loss, last, this.stack[this.stack.length - 1].type);
    const optimizer = resolveOptimizer(opts.optimizer ?? 'sgd');
    const metrics = resolveMetrics(opts.metrics);
    this.syncFromRunner();
    this.compiled = { loss, optimizer, metrics };
    this.lr = optimizer.lr;
    this.step = 0;
    this.createRunner(deriveSeed(this.seed, SeedPurpose.dropout));
    return this;
  }

  get isCompiled(): boolean {
    return this.compiled !== null;
  }

  /** The compiled loss and optimizer (null before compile). */
  get compileConfig(): { loss: LossKind; optimizer: OptimizerSpec } | null {
    return this.compiled ? { loss: this.compiled.loss, optimizer: { ...this.compiled.optimizer } } : null;
  }

  /** Learning rate used by the next training chunk; set it in onEpochBegin for a schedule. */
  get learningRate(): number {
    if (!this.compiled) throw new OxnetError('E_STATE', 'learningRate: compile the model first');
    return this.lr;
  }

  set learningRate(lr: number) {
    if (!this.compiled) throw new OxnetError('E_STATE', 'learningRate: compile the model first');
    if (!(Number.isFinite(lr) && lr >= 0)) throw new OxnetError('E_ARG', `learningRate must be a finite number >= 0, got ${lr}`);
    this.lr = lr;
  }

  private networkSpec(layers: LayerSpec[], inputSize: number, seed: number, last?: 'linear', clipNorm?: number): NetworkSpec {
    const c = this.compiled;
    const specs = layers.map((l) => structuredClone(l));
    if (last === 'linear') {
      const top = specs[specs.length - 1];
      if ('activation' in top) top.activation = { kind: 'linear' };
    }
    return {
      inputSize,
      layers: specs,
      // Inference-only networks never train: any valid loss and optimizer do.
      loss: { kind: c && !last ? c.loss : 'halfSse' },
      optimizer: c && !last ? { ...c.optimizer } : { kind: 'sgd', lr: 0.01 },
      seed,
      ...(clipNorm !== undefined ? { clipNorm } : {}),
    };
  }

  private createRunner(seed: number, clipNorm?: number): NetworkRunner {
    const m = this.model();
    const runner = this.backend().createNetwork(
      this.networkSpec(
        m.layers.map((l) => l.spec),
        m.inputSize,
        seed,
        undefined,
        clipNorm,
      ),
      this.params,
    );
    if (this.state.length) runner.setState(this.state);
    this.runner = runner;
    this.runnerSeed = seed;
    this.runnerClipNorm = clipNorm;
    return runner;
  }

  /** The training network, created with an inference-only spec when the model is not compiled. */
  private net(): NetworkRunner {
    return this.runner ?? this.createRunner(deriveSeed(this.seed, SeedPurpose.dropout));
  }

  /** Copies the runner's current weights and state back into this.params/state. */
  private syncFromRunner(): void {
    if (this.runner) {
      this.params = this.runner.getParams();
      this.state = this.runner.getState();
    }
  }

  /** @internal The training network for a fit with `seed` driving dropout (rebuilt when it differs). */
  trainingRunner(seed: number, clipNorm?: number): NetworkRunner {
    if (!this.compiled) throw new OxnetError('E_STATE', 'fit: compile the model first');
    if (this.runner && this.runnerSeed === seed && this.runnerClipNorm === clipNorm) return this.runner;
    this.syncFromRunner();
    return this.createRunner(seed, clipNorm);
  }

  /** @internal Copies training data into this model's backend once. */
  createDataset(x: Float32Array, y: Float32Array, n: number): Dataset {
    return this.backend().createDataset(x, y, n);
  }

  /** @internal */
  get compiledState(): Compiled | null {
    return this.compiled;
  }

  /** Makes fit, evaluate, predict and encode apply `normalizer` to raw inputs; save/load keep it. */
  setNormalizer(normalizer: Normalizer | null): this {
    if (normalizer && normalizer.dim !== this.model().inputSize) {
      throw new OxnetError('E_SHAPE', `normalizer has ${normalizer.dim} columns, the model input has ${this.model().inputSize} values`);
    }
    this.normalizer = normalizer;
    return this;
  }

  getNormalizer(): Normalizer | null {
    return this.normalizer;
  }

  /** @internal Raw user input -> the flat NHWC, normalized samples the backend takes. */
  prepareInput(x: TensorLike, param = 'x'): { data: Float32Array; n: number } {
    const m = this.model();
    let { data, n } = toSamples(x, m.inputSize, param);
    if (this.normalizer) data = this.normalizer.transform(data, n);
    if (m.chw) data = chwToHwc(data, n, ...m.chw);
    return { data, n };
  }

  /** @internal */
  prepareTarget(y: TensorLike, n: number, param = 'y'): Float32Array {
    return toSamples(y, this.model().outputSize, param, n).data;
  }

  /** Outputs for n samples: a flat Float32Array of n * outputSize values (sample-major). */
  predict(x: TensorLike): Float32Array {
    const { data, n } = this.prepareInput(x);
    return this.chunked(data, n, (xs, k) => this.net().predict(xs, k));
  }

  async predictAsync(x: TensorLike): Promise<Float32Array> {
    const prepared = this.prepareInput(x);
    const n = prepared.n;
    // Chunks after the first start after an await: copy now, so later changes to x cannot leak in.
    const data = n > PREDICT_CHUNK ? prepared.data.slice() : prepared.data;
    const m = this.model();
    const out = new Float32Array(n * m.outputSize);
    for (let s = 0; s < n; s += PREDICT_CHUNK) {
      const k = Math.min(PREDICT_CHUNK, n - s);
      out.set(await this.net().predictAsync(data.subarray(s * m.inputSize, (s + k) * m.inputSize), k), s * m.outputSize);
    }
    return out;
  }

  /** The course's classification rule: one output per class, pick the highest (>= 0.5 for one output). */
  predictClasses(x: TensorLike): number[] {
    const y = this.predict(x);
    const w = this.model().outputSize;
    return Array.from({ length: y.length / w }, (_, s) => predictedClass(y, s, w));
  }

  private chunked(data: Float32Array, n: number, f: (x: Float32Array, n: number) => Float32Array, outWidth = this.model().outputSize): Float32Array {
    const inW = data.length / Math.max(n, 1);
    if (n <= PREDICT_CHUNK) return f(data, n);
    const out = new Float32Array(n * outWidth);
    for (let s = 0; s < n; s += PREDICT_CHUNK) {
      const k = Math.min(PREDICT_CHUNK, n - s);
      out.set(f(data.subarray(s * inW, (s + k) * inW), k), s * outWidth);
    }
    return out;
  }

  /** Loss (the compiled one, as training computes it) and metrics over x, y. */
  evaluate(x: TensorLike, y: TensorLike): EvalResult {
    const { data, n } = this.prepareInput(x);
    return this.evaluatePrepared(data, this.prepareTarget(y, n), n);
  }

  /** @internal evaluate on already prepared (normalized, NHWC) inputs. */
  evaluatePrepared(x: Float32Array, y: Float32Array, n: number): EvalResult {
    if (!this.compiled) throw new OxnetError('E_STATE', 'evaluate: compile the model first (it needs the loss)');
    const m = this.model();
    const last = this.lastActivation;
    const acc = new EvalAccumulator(this.backend(), this.compiled.loss, last, m.outputSize);
    const zNet = this.logits();
    for (let s = 0; s < n; s += PREDICT_CHUNK) {
      const k = Math.min(PREDICT_CHUNK, n - s);
      const z = zNet.predict(x.subarray(s * m.inputSize, (s + k) * m.inputSize), k);
      acc.add(z, y.subarray(s * m.outputSize, (s + k) * m.outputSize), k);
    }
    return acc.result();
  }

  /** A network giving the last pre-activation: a twin with a linear last activation, weights synced. */
  private logits(): NetworkRunner {
    const m = this.model();
    const last = this.lastActivation;
    const main = this.net();
    if (!last || last.kind === 'linear') return main;
    const params = main.getParams();
    if (this.logitsRunner) this.logitsRunner.setParams(params);
    else
      this.logitsRunner = this.backend().createNetwork(
        this.networkSpec(
          m.layers.map((l) => l.spec),
          m.inputSize,
          0,
          'linear',
        ),
        params,
      );
    if (this.state.length) this.logitsRunner.setState(main.getState());
    return this.logitsRunner;
  }

  /** Index of a layer by name or index; default the bottleneck (the smallest output before the last layer). */
  layerIndex(layer?: string | number): number {
    const m = this.model();
    if (typeof layer === 'number') {
      if (!Number.isInteger(layer) || layer < 0 || layer >= m.layers.length) {
        throw new OxnetError('E_ARG', `layer index must be in [0, ${m.layers.length - 1}], got ${layer}`);
      }
      return layer;
    }
    if (typeof layer === 'string') {
      const i = m.names.indexOf(layer);
      if (i < 0) throw new OxnetError('E_ARG', `no layer named '${layer}'; layers: ${m.names.join(', ')}`);
      return i;
    }
    if (m.layers.length < 2) throw new OxnetError('E_CONFIG', 'encode/decode need at least two layers (a bottleneck and a decoder)');
    let best = 0;
    const size = (i: number) => m.layers[i].outputShape.reduce((a, c) => a * c, 1);
    for (let i = 1; i < m.layers.length - 1; i++) if (size(i) < size(best)) best = i;
    return best;
  }

  /** Outputs of the bottleneck layer (autoencoder code), n * codeSize values. */
  encode(x: TensorLike, layer?: string | number): Float32Array {
    const i = this.layerIndex(layer);
    const { data, n } = this.prepareInput(x);
    const width = this.model().layers[i].outputShape.reduce((a, c) => a * c, 1);
    return this.chunked(data, n, (xs, k) => this.net().predictUpTo(xs, k, i), width);
  }

  /** Runs the layers after the bottleneck on codes (a tail network sharing the weights). */
  decode(code: TensorLike, layer?: string | number): Float32Array {
    const i = this.layerIndex(layer);
    const m = this.model();
    if (i === m.layers.length - 1) throw new OxnetError('E_ARG', `decode: layer ${m.names[i]} is the last layer, nothing follows it`);
    const codeSize = m.layers[i].outputShape.reduce((a, c) => a * c, 1);
    const { data, n } = toSamples(code, codeSize, 'code');
    const main = this.net();
    const pFrom = m.paramStart[i + 1];
    const sFrom = m.stateStart[i + 1];
    const params = main.getParams().slice(pFrom);
    let tail = this.tailRunners.get(i);
    if (tail) tail.setParams(params);
    else {
      tail = this.backend().createNetwork(
        this.networkSpec(
          m.layers.slice(i + 1).map((l) => l.spec),
          codeSize,
          0,
          undefined,
        ),
        params,
      );
      this.tailRunners.set(i, tail);
    }
    if (this.state.length) tail.setState(main.getState().slice(sFrom));
    const t = tail;
    return this.chunked(data, n, (xs, k) => t.predict(xs, k));
  }

  /** Names and shapes of the parameters, in getWeights order (docs/kernels.md). */
  weightsInfo(): { name: string; shape: number[] }[] {
    const m = this.model();
    return m.layers.flatMap((b, i) => b.params.map((p) => ({ name: `${m.names[i]}/${p.name}`, shape: [...p.shape] })));
  }

  /** Non-trainable state (batch norm running mean/var) names and shapes, in getState order. */
  stateInfo(): { name: string; shape: number[] }[] {
    const m = this.model();
    return m.layers.flatMap((b, i) => b.state.map((s) => ({ name: `${m.names[i]}/${s.name}`, shape: [...s.shape] })));
  }

  getWeights(): Float32Array[] {
    this.model();
    return this.runner ? this.runner.getParams() : this.params.map((p) => p.slice());
  }

  /** Replaces all parameters (shape-checked); resets the optimizer's moments and step. */
  setWeights(weights: (Float32Array | ArrayLike<number>)[]): void {
    const info = this.weightsInfo();
    if (!Array.isArray(weights) || weights.length !== info.length) {
      throw new OxnetError(
        'E_SHAPE',
        `setWeights expects ${info.length} arrays (${info.map((w) => w.name).join(', ')}), got ${Array.isArray(weights) ? weights.length : typeof weights}`,
      );
    }
    const copies = weights.map((w, i) => {
      const size = info[i].shape.reduce((a, c) => a * c, 1);
      if (!w || w.length !== size) {
        throw new OxnetError('E_SHAPE', `setWeights: ${info[i].name} has shape ${JSON.stringify(info[i].shape)} (${size} values), got ${w?.length} values`);
      }
      return Float32Array.from(w);
    });
    this.params = copies;
    if (this.runner) {
      this.runner.setParams(copies);
      this.runner.resetOptimizer();
    }
    this.step = 0;
  }

  getState(): Float32Array[] {
    this.model();
    return this.runner ? this.runner.getState() : this.state.map((s) => s.slice());
  }

  setState(state: Float32Array[]): void {
    const info = this.stateInfo();
    if (state.length !== info.length || state.some((s, i) => s.length !== info[i].shape.reduce((a, c) => a * c, 1))) {
      throw new OxnetError('E_SHAPE', `setState expects ${info.length} arrays shaped ${JSON.stringify(info.map((s) => s.shape))}`);
    }
    this.state = state.map((s) => Float32Array.from(s));
    if (this.runner) this.runner.setState(this.state);
  }

  /** Trains; see FitOptions. Resolves with per-epoch History. */
  fit(x: TensorLike, y: TensorLike, opts: FitOptions = {}): Promise<History> {
    return runFit(this, x, y, opts);
  }

  /** Writes the model to one .oxnet file (atomically); see loadModel. */
  save(path: string): void {
    saveModel(this, path);
  }

  /** A table of layers, output shapes and parameter counts. */
  summary(): string {
    const m = this.model();
    return formatSummary(
      m.layers.map((b, i) => ({
        name: m.names[i],
        type: this.stack[i].type,
        outputShape: b.outputShape,
        params: b.params.reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0),
      })),
      m.inputShape,
    );
  }

  /** Layer names as resolved at build ('dense_1', ...). */
  get layerNames(): string[] {
    return [...this.model().names];
  }

  /** @internal The topology as plain data: what save writes. */
  topology(): { inputShape: number[]; layers: { type: string; config: Record<string, unknown> }[] } {
    const m = this.model();
    return {
      inputShape: [...m.inputShape],
      layers: this.stack.map((l, i) => ({ type: l.type, config: { ...l.getConfig(), name: m.names[i] } })),
    };
  }
}

export type { Callback, FitOptions };

/** Keras-style factory: sequential({layers: [...], seed}). */
export function sequential(opts: SequentialOptions = {}): Sequential {
  return new Sequential(opts);
}
